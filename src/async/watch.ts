/**
 * The contract between an instance's async waiter (wait-async.ts) and the mechanism that tells it
 * that the instance may have events: a *readiness watch*. Which instance gets which watch is the
 * table in index.ts.
 *
 * A watch never takes events from the instance for the waiter: the waiter always collects them
 * itself with the instance's own non-blocking `wait(0)` on the calling thread, so edge-triggered
 * and one-shot semantics and user data are exactly those of the synchronous API. (The libkqueue
 * helper does call `kevent()` on the instance; it hands what it got to that same `wait(0)`.)
 *
 * @internal
 * @module
 */

/** Watches one instance for its async waiter. */
export interface ReadinessWatch {
  /**
   * A wait is pending and the last `wait(0)` found nothing: call `onReady` once the instance may
   * have events. One report per `arm()`; reports may be spurious (the waiter polls and arms
   * again). From the first `arm()` to `disarm()` the watch counts as waiting (it keeps the
   * process alive).
   * @throws SystemError when the instance cannot be watched (the waiter rejects with it).
   */
  arm(): void;
  /** The wait settled: no report is wanted. One may still arrive; the waiter ignores it. */
  disarm(): void;
  /** The instance is closing: release everything before its descriptor closes. Synchronous. */
  dispose(): void;
}

/**
 * Makes the watch of one waiter.
 * @param onReady - called (on the waiter's thread, never synchronously from `arm`) when the
 *   instance may be ready.
 * @param onError - called when the watch fails for good (its thread died).
 */
export type WatchFactory = (onReady: () => void, onError: (error: unknown) => void) => ReadinessWatch;

/**
 * The internal method by which `Epoll` and `Kqueue` make the readiness watch of their own
 * descriptor (the choice is `epollWatch`/`kqueueWatch` in index.ts). `Epoll.waitAsync` and
 * `Kqueue.waitAsync` use it, and so does the `Poller`, which polls the instance through its own
 * `wait(0)`. One watch per waiter.
 */
export const readinessWatch: unique symbol = Symbol("bunix.readinessWatch");
