/**
 * The async-wait engine: what `Epoll.waitAsync`, `Kqueue.waitAsync` and (through them) the
 * `Poller` are built on, and the controls tests use to leave no helper thread behind.
 *
 * - wait-async.ts: the per-instance waiter (`AsyncWaiter`) and `WaitAsyncOptions`.
 * - event-loop-source.ts: an `Epoll`'s default source, Bun's own event loop watching its descriptor.
 * - readiness-thread.ts / readiness-worker.ts: the shared readiness thread (outer epoll or kqueue):
 *   native kqueue's source, and an `Epoll`'s fallback.
 * - kevent-helper.ts / kevent-worker.ts: a per-instance helper thread for libkqueue.
 * - busy-poll.ts: the opt-in `busyPoll` source.
 *
 * @internal
 * @module
 */
import { keventHelperCount, shutdownKeventHelpers } from "./libkqueue-helper/helper.ts";
import { existingReadinessEngine } from "./readiness-thread/engine.ts";

export { AsyncWaiter, type WaitAsyncHost, type WaitAsyncOptions } from "./wait-async.ts";
export { readinessSource, type ReadinessSource, type ReadinessSourceProvider, type SourceFactory } from "./source.ts";
export { EventLoopSource, setEventLoopWatching } from "./event-loop/event-loop-source.ts";
export { LINGER_MS, ReadinessEngine, existingReadinessEngine, readinessEngine } from "./readiness-thread/engine.ts";
export { keventHelperCount, shutdownKeventHelpers } from "./libkqueue-helper/helper.ts";

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
