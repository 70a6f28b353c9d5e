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
   * A wait is pending: call `onReady` once the instance may have events (at once, on a later
   * turn, if it has some already). One report per `arm()`; reports may be spurious (the waiter
   * polls and arms again). From the first `arm()` to `disarm()` the watch counts as waiting (it
   * keeps the process alive).
   * @param retry - the waiter arms again because its poll after this watch's last report found
   *   nothing (a watch may count these, to give up on a mechanism that keeps reporting nothing).
   * @throws SystemError when the instance cannot be watched (the waiter rejects with it).
   */
  arm(retry: boolean): void;
  /**
   * Arming is cheaper than the waiter's first poll: the waiter arms a new wait at once, without
   * polling first. Only for watches that report an instance ready already as soon as they are
   * armed.
   */
  readonly armFirst?: boolean;
  /** The wait settled: no report is wanted. One may still arrive; the waiter ignores it. */
  disarm(): void;
  /**
   * Whether the watch, while it counts as waiting, keeps the process alive: true until told
   * otherwise (a `batches()` loop that turned it off turns it on again when it ends). A watch
   * without this method (busy polling, the libkqueue helper) always does. Only internal callers use it (`watchFd`'s unref'd watches, through a `batches()` loop);
   * no public option reaches it.
   */
  keepAlive?(on: boolean): void;
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
