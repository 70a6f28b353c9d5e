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
 * | instance                            | mechanism (folder)                                                        | threads         | wake-ups per event |
 * | ----------------------------------- | ------------------------------------------------------------------------- | --------------- | ------------------ |
 * | `Epoll` (Linux)                     | io_uring relays readiness to a socket Bun's loop keeps reading (`io-uring/`) | none         | 1                  |
 * |   … io_uring missing or forbidden   | Bun's event loop watches a duplicate, one per wait (`event-loop/`)        | none            | 1                  |
 * |   … Bun's loop refuses the instance | the readiness thread, outer epoll (`readiness-thread/`)                   | 1 per JS thread | 2                  |
 * | native `Kqueue` (macOS, FreeBSD)    | Bun's event loop (kqueue-based there) watches a duplicate, one per wait (`event-loop/`) | none | 1           |
 * |   … Bun's loop refuses the instance | the readiness thread, outer kqueue (`readiness-thread/`)                  | 1 per JS thread | 2                  |
 * | `Kqueue` from `library` (libkqueue) | its own helper thread in `kevent()` (`libkqueue-helper/`)                 | 1 per instance  | 2                  |
 * | any, `{ busyPoll: true }`           | `wait(0)` on every event-loop turn (busy-poll.ts)                         | none            | 0 (a busy core)    |
 *
 * A `Poller` gets its backend's row. The relay and the duplicate report an instance that is ready
 * already as soon as they are armed, so a waiter may arm without polling first. The native kqueue
 * rows cannot be tested on Linux; the hosted CI runs them on macOS. Helper threads start on first use and stop after
 * {@link LINGER_MS} without waits (helper-thread.ts). docs/design/wait-async.md explains each
 * design and what it relies on in Bun.
 *
 * @internal
 * @module
 */
import { LoopDuplicateWatch } from "./event-loop/duplicate-watch.ts";
import { RelayUnavailable, RelayWatch } from "./io-uring/relay.ts";
import { KeventHelper, type KeventHelperOptions, keventHelperCount, shutdownKeventHelpers } from "./libkqueue-helper/helper.ts";
import { existingReadinessEngine, readinessEngine } from "./readiness-thread/engine.ts";
import type { ReadinessWatch } from "./watch.ts";

export { AsyncWaiter, type WaitAsyncHost, type WaitAsyncOptions } from "./wait-async.ts";
export { readinessWatch, type ReadinessWatch, type WatchFactory } from "./watch.ts";
export { LoopDuplicateWatch } from "./event-loop/duplicate-watch.ts";
export { Relay, RelayWatch, existingRelay, setRelayUnavailable } from "./io-uring/relay.ts";
export { LINGER_MS } from "./helper-thread.ts";
export { ReadinessEngine, existingReadinessEngine, readinessEngine } from "./readiness-thread/engine.ts";
export { KeventHelper, keventHelperCount, shutdownKeventHelpers } from "./libkqueue-helper/helper.ts";

/**
 * Where the table starts for an instance: `"io-uring"` (the default; each row falls back to the
 * next), `"event-loop"` (the duplicate per wait), `"readiness-thread"`. For tests and benchmarks
 * of the later rows.
 */
export type WatchStart = "io-uring" | "event-loop" | "readiness-thread";

// BUNIX_EVENT_LOOP=off starts at the readiness thread: how a packaged or compiled app checks that path.
let start: WatchStart = process.env.BUNIX_EVENT_LOOP === "off" ? "readiness-thread" : "io-uring";

/** Makes new watches start at `row` of the table (see {@link WatchStart}). */
export function setWatchStart(row: WatchStart): void {
  start = row;
}

/** The row new watches start at. */
export function watchStart(): WatchStart {
  return start;
}

/** A pollable descriptor's watch: relay, else a duplicate per wait, else the readiness thread. */
function pollableWatch(fd: number, relayed: boolean, onReady: () => void, onError: (error: unknown) => void): ReadinessWatch {
  const thread = () => readinessEngine().watch(fd, onReady, onError);
  if (start === "readiness-thread") return thread();
  const duplicate = () => new LoopDuplicateWatch(fd, onReady, thread);
  if (start === "io-uring" && relayed) {
    try {
      return new RelayWatch(fd, onReady, duplicate);
    } catch (error) {
      if (!(error instanceof RelayUnavailable)) throw error;
    }
  }
  return duplicate();
}

/** The readiness watch of an `Epoll` (or epoll `Poller`) with descriptor `fd`: the first rows of the table. */
export function epollWatch(fd: number, onReady: () => void, onError: (error: unknown) => void): ReadinessWatch {
  return pollableWatch(fd, true, onReady, onError);
}

/**
 * The readiness watch of a `Kqueue` (or kqueue `Poller`): for the native kqueue (`options.library`
 * undefined) Bun's event loop, else the readiness thread; for a `library` kqueue a helper thread
 * of the instance's own, which the kqueue's `wait` must drain first ({@link KeventHelper.take}).
 */
export function kqueueWatch(options: KeventHelperOptions, onReady: () => void, onError: (error: unknown) => void): ReadinessWatch {
  if (options.library === undefined) return pollableWatch(options.fd, false, onReady, onError);
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
