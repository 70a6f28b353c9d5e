/**
 * The async-wait engine: what `Epoll.waitAsync`, `Kqueue.waitAsync` and (through them) the
 * `Poller` are built on, the one place that chooses how each instance learns that it is ready, and
 * the controls tests use to leave no helper thread behind.
 *
 * The `waitAsync` contract itself (timeout, abort, close, EBUSY, keeping the process alive) is
 * written once, on {@link WaitAsyncOptions}; the waiter that keeps it is wait-async.ts.
 *
 * Which instance gets which readiness mechanism ({@link epollWatch}, {@link kqueueWatch}):
 *
 * | instance                         | mechanism (folder)                              | threads          | wake-ups per event |
 * | -------------------------------- | ----------------------------------------------- | ---------------- | ------------------ |
 * | `Epoll` (Linux)                  | Bun's event loop, a duplicate per wait (`event-loop/`) | none      | 1                  |
 * |   … Bun's loop refuses it        | the readiness thread, outer epoll (`readiness-thread/`) | 1 per JS thread | 2           |
 * | native `Kqueue` (macOS, FreeBSD) | the readiness thread, outer kqueue (`readiness-thread/`) | 1 per JS thread | 2          |
 * | `Kqueue` from `library` (libkqueue) | its own helper thread in `kevent()` (`libkqueue-helper/`) | 1 per instance | 2      |
 * | any, `{ busyPoll: true }`        | `wait(0)` on every event-loop turn (busy-poll.ts) | none           | 0 (a busy core)    |
 *
 * A `Poller` gets its backend's row. Helper threads start on first use and stop after
 * {@link LINGER_MS} without waits (helper-thread.ts). docs/design/wait-async.md explains each
 * design and what it relies on in Bun.
 *
 * @internal
 * @module
 */
import { LoopDuplicateWatch } from "./event-loop/duplicate-watch.ts";
import { KeventHelper, type KeventHelperOptions, keventHelperCount, shutdownKeventHelpers } from "./libkqueue-helper/helper.ts";
import { existingReadinessEngine, readinessEngine } from "./readiness-thread/engine.ts";
import type { ReadinessWatch } from "./watch.ts";

export { AsyncWaiter, type WaitAsyncHost, type WaitAsyncOptions } from "./wait-async.ts";
export { readinessWatch, type ReadinessWatch, type WatchFactory } from "./watch.ts";
export { LoopDuplicateWatch } from "./event-loop/duplicate-watch.ts";
export { LINGER_MS } from "./helper-thread.ts";
export { ReadinessEngine, existingReadinessEngine, readinessEngine } from "./readiness-thread/engine.ts";
export { KeventHelper, keventHelperCount, shutdownKeventHelpers } from "./libkqueue-helper/helper.ts";

// BUNIX_EVENT_LOOP=off starts with the readiness thread too: how a packaged or compiled app checks that path.
let eventLoopWatching = process.env.BUNIX_EVENT_LOOP !== "off";

/**
 * Makes new `Epoll` watches skip Bun's event loop and use the readiness thread from the start (or
 * go back). For tests of the readiness thread, which stays the path of native kqueue and of the
 * fallback.
 */
export function setEventLoopWatching(on: boolean): void {
  eventLoopWatching = on;
}

/** The readiness watch of an `Epoll` (or epoll `Poller`) with descriptor `fd`: the first row of the table. */
export function epollWatch(fd: number, onReady: () => void, onError: (error: unknown) => void): ReadinessWatch {
  const thread = () => readinessEngine().watch(fd, onReady, onError);
  return eventLoopWatching ? new LoopDuplicateWatch(fd, onReady, thread) : thread();
}

/**
 * The readiness watch of a `Kqueue` (or kqueue `Poller`): the readiness thread for the native
 * kqueue (`options.library` undefined), else a helper thread of the instance's own, which the
 * kqueue's `wait` must drain first ({@link KeventHelper.take}).
 */
export function kqueueWatch(options: KeventHelperOptions, onReady: () => void, onError: (error: unknown) => void): ReadinessWatch {
  if (options.library === undefined) return readinessEngine().watch(options.fd, onReady, onError);
  return new KeventHelper(options, onReady, onError);
}

/**
 * Stops every helper thread of this JS thread now (the readiness thread and the kqueue helpers),
 * failing pending waits with ECANCELED, and resolves when they have closed their descriptors and
 * ended. Idle helpers stop by themselves after {@link LINGER_MS}; this is for tests and for a
 * Worker about to be terminated.
 */
export async function shutdownAsyncWaits(): Promise<void> {
  await Promise.all([existingReadinessEngine()?.shutdown(), shutdownKeventHelpers()]);
}

/** How many helper threads this JS thread has: starting, running, or asked to end and not ended yet. */
export function asyncHelperThreads(): number {
  return (existingReadinessEngine()?.threads ?? 0) + keventHelperCount();
}
