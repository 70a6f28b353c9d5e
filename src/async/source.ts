/**
 * The contract between an instance's async waiter (wait-async.ts) and whatever tells it that the
 * instance may have events: Bun's event loop (event-loop-source.ts, an `Epoll`'s default), the
 * shared readiness thread (readiness-thread.ts), a kqueue helper thread (kevent-helper.ts) or the
 * busy-poll loop (busy-poll.ts).
 *
 * A source never takes events from the instance for the waiter: the waiter always collects them
 * itself with the instance's own non-blocking `wait(0)` on the calling thread, so edge-triggered
 * and one-shot semantics and user data are exactly those of the synchronous API. (The kqueue
 * helper does call `kevent()` on the instance; it hands what it got to that same `wait(0)`.)
 *
 * @internal
 * @module
 */

/** Watches one instance for its async waiter. */
export interface ReadinessSource {
  /**
   * A wait is pending and the last `wait(0)` found nothing: call `onReady` once the instance may
   * have events. One report per `arm()`; reports may be spurious (the waiter polls and arms
   * again). From the first `arm()` to `disarm()` the source counts as waiting (it keeps the
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
 * Makes the source of one waiter.
 * @param onReady - called (on the waiter's thread, never synchronously from `arm`) when the
 *   instance may be ready.
 * @param onError - called when the source fails for good (its thread died).
 */
export type SourceFactory = (onReady: () => void, onError: (error: unknown) => void) => ReadinessSource;

/**
 * The internal method by which `Epoll` and `Kqueue` make the readiness source of their own
 * descriptor: Bun's event loop (epoll), the shared readiness thread (native kqueue, and the
 * fallback of epoll), or (libkqueue) the instance's kqueue helper thread,
 * which `wait` must drain first. `Epoll.waitAsync`/`Kqueue.waitAsync` use it, and so can a wrapper
 * that polls the instance through its own `wait(0)` (the `Poller`: see index.ts). One source per
 * instance.
 */
export const readinessSource: unique symbol = Symbol("bunix.readinessSource");

/** An instance that can make its readiness source. */
export interface ReadinessSourceProvider {
  /**
   * Makes the source that reports this instance's readiness.
   * @throws Error when the instance already made one.
   */
  [readinessSource]: SourceFactory;
}
