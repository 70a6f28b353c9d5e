/**
 * `waitAsync` for one instance: the per-instance waiter that `Epoll`, `Kqueue` and `Poller` share.
 * The contract it keeps is written once, on {@link WaitAsyncOptions}.
 *
 * A wait runs as follows, every step on the calling thread:
 *
 * 1. Arguments, the instance's state and the signal are checked; every failure becomes a rejected
 *    promise, never a synchronous throw.
 * 2. On the next turn of the event loop (`setImmediate`, so that a loop of waits on an instance
 *    that is always ready cannot starve timers and I/O) the instance is polled with its own
 *    `wait(0)`. Events, or a timeout of 0, resolve the wait. A watch that reports an instance
 *    ready already as soon as it is armed ({@link ReadinessWatch.armFirst}) skips this poll: it is
 *    armed at once, and its report comes on a later turn all the same.
 * 3. Otherwise the instance's {@link ReadinessWatch} is armed, and each report polls again with
 *    `wait(0)`: events resolve, an empty poll (a spurious report) arms again.
 * 4. The timeout (a timer on this thread) polls once more and resolves with what that poll found,
 *    usually nothing; an abort rejects with the signal's reason; `close()` rejects with EBADF.
 *    None of them takes events: what was not delivered stays for the next wait.
 *
 * `batches()` (batch-loop.ts) runs the same steps with the watch kept armed between batches.
 *
 * @internal
 * @module
 */
import { SystemError, closedError, invalidType } from "../core/errors.ts";
import { log } from "../core/log.ts";
import { MAX_KERNEL_TIMEOUT_MS, validateTimeout } from "../core/timeout.ts";
import { validateBoolean, validateOptions } from "../core/validate.ts";
import { BatchLoop } from "./batch-loop.ts";
import { BusyPollWatch } from "./busy-poll.ts";
import type { ReadinessWatch, WatchFactory } from "./watch.ts";

/**
 * Options of `waitAsync` on `Epoll`, `Kqueue` and `Poller`, and the rules every `waitAsync` keeps:
 *
 * - It resolves with the instance's reusable result (the one `wait` returns) when events are
 *   ready, or when the timeout passes (then empty). The instance collects the events itself with
 *   its own non-blocking `wait(0)` on the calling thread, so edge-triggered, one-shot and
 *   dispatch modes, timers, processes and user data behave exactly as with `wait`. A ready
 *   instance resolves on the next turn of the event loop.
 * - The timeout is a timer on this thread: `-1`, `Infinity` or omitted waits forever; `0` polls
 *   on the next turn. It resolves never early, with what a last `wait(0)` finds (usually nothing).
 * - `signal`: aborting rejects with `signal.reason` (an `AbortError` `DOMException` by default),
 *   at once if it is already aborted, as `fetch` does. Aborts and timeouts take no events: what
 *   was not delivered comes with the next wait.
 * - `close()` while a wait is pending rejects it with a `SystemError` EBADF.
 * - One `waitAsync` at a time per instance: a second while one is pending rejects with EBUSY
 *   (both would share the one reusable result). Synchronous `wait`s may be mixed in; they take the
 *   events they find, and a pending `waitAsync` goes on waiting. Many instances may wait at once.
 * - A pending wait keeps the process alive (as a pending socket read does); the process exits
 *   normally once nothing is pending. An idle process with pending waits uses no CPU unless
 *   `busyPoll` is asked for.
 * - In a Worker, the Worker's own event loop serves its waits. Let pending waits settle (or abort
 *   them) and close instances before `terminate()`: an instance left open is not closed by it (and
 *   a helper thread blocked in the kernel keeps its thread and descriptors until the process ends).
 * - Errors are rejections, never throws: EBADF (syscall `"<Class>.waitAsync"`) when the instance
 *   is closed, TypeError/RangeError for bad arguments, EBUSY as above, and the kernel's errors
 *   from waiting and from setting up the watch.
 *
 * `batches(options)`, the loop form, keeps the same rules with these differences: it has no
 * timeout; each iteration yields the next non-empty result (valid until the next iteration; a
 * `Poller` may yield an empty one after a `Waker`'s wake-up), and the watch stays armed between
 * iterations, so a loop that waits again at once pays nothing per batch beyond the wait itself.
 * Ending the loop (`break`, `return`, an exception) or aborting `signal` ends the watch; the abort
 * rejects the pending iteration with the signal's reason, and `close()` rejects it with EBADF; no
 * event is lost either way. A running loop keeps the process alive, as a pending wait does.
 * While it runs, another `batches()` or a `waitAsync` on the instance is a `SystemError` EBUSY
 * (rejected by its first `next()`); synchronous `wait`s may be mixed in.
 *
 * How an instance is watched while it waits (Bun's event loop, a helper thread) depends on the
 * instance and the platform; the class's `waitAsync` says which, and docs/design/wait-async.md
 * explains each design.
 *
 * @example
 * ```ts
 * const controller = new AbortController();
 * const pending = epoll.waitAsync(5000, { signal: controller.signal });
 * controller.abort();                       // pending rejects with an AbortError DOMException
 * ```
 */
export interface WaitAsyncOptions {
  /**
   * Aborting it rejects the wait with the signal's `reason` (an `AbortError` `DOMException` unless
   * `abort(reason)` gave another), as `fetch` does. An already-aborted signal rejects at once. No
   * event is lost: events not yet delivered come with the next wait.
   */
  readonly signal?: AbortSignal;
  /**
   * Poll with `wait(0)` on every turn of the event loop instead of sleeping until the event loop
   * (or a helper thread) reports readiness. Saves the thread wake-up (several microseconds, tens
   * across idle CPUs), and keeps one CPU core 100 % busy for as long as the wait is pending. Default `false`. For latency-critical programs that
   * can spend a core, and for benchmarks.
   */
  readonly busyPoll?: boolean;
}

/** What a waiter needs of its instance (an `Epoll`, a `Kqueue`, a `Poller`). */
export interface WaitAsyncHost<R extends { readonly length: number }> {
  /** Whether the instance is closed. */
  readonly closed: boolean;
  /** The instance's `wait`; the waiter only ever calls `wait(0)`. */
  wait(timeoutMs: number): R;
}

/** One pending wait. */
interface Pending<R> {
  // Method syntax, so that an instance's waiter stays assignable when its data type widens
  // (an `Epoll<string>` is an `Epoll<unknown>`).
  resolve(result: R): void;
  reject(error: unknown): void;
  readonly signal: AbortSignal | undefined;
  /** Made only with a signal (a loop of waits without one allocates less per wait). */
  readonly onAbort: (() => void) | undefined;
  /** -1: forever; otherwise whole ms. */
  readonly timeoutMs: number;
  /** When the wait started (`performance.now()`), for its timer; 0 when it has none. */
  readonly startedAt: number;
  /**
   * What this wait sleeps on, chosen once when it starts: the instance's readiness watch, or busy
   * polling. None for a wait with timeout 0, which only polls.
   */
  watch: ReadinessWatch | undefined;
  timer: ReturnType<typeof setTimeout> | undefined;
  immediate: ReturnType<typeof setImmediate> | undefined;
  /** The watch was armed for this wait: it must be disarmed when the wait settles. */
  armed: boolean;
}

/** The `waitAsync` machinery of one instance. */
export class AsyncWaiter<R extends { readonly length: number }> {
  readonly #kind: string;
  readonly #host: WaitAsyncHost<R>;
  readonly #createWatch: WatchFactory;
  readonly #woke: (() => boolean) | undefined;
  #pending: Pending<R> | undefined;
  /** The active `batches()` loop. */
  #loop: BatchLoop<R> | undefined;
  #watch: ReadinessWatch | undefined;
  #busyWatch: ReadinessWatch | undefined;

  /**
   * @param kind - the class name, for errors (`"Epoll"`).
   * @param host - the instance.
   * @param createWatch - makes the instance's readiness watch (the choice is in index.ts).
   * @param woke - whether the last `wait(0)` swallowed a wake-up, which ends a wait with no
   *   entries (a `Poller`'s `Waker`); otherwise a poll resolves the wait when it holds events.
   */
  constructor(kind: string, host: WaitAsyncHost<R>, createWatch: WatchFactory, woke?: () => boolean) {
    this.#kind = kind;
    this.#host = host;
    this.#createWatch = createWatch;
    this.#woke = woke;
  }

  /** Whether a wait is pending. */
  get pending(): boolean {
    return this.#pending !== undefined;
  }

  /**
   * Starts a wait. Never throws: every error is a rejection.
   * @param timeoutMs - as `wait` takes it.
   * @param options - {@link WaitAsyncOptions}.
   */
  waitAsync(timeoutMs: unknown, options: unknown): Promise<R> {
    const kind = this.#kind;
    let timeout: number;
    let signal: AbortSignal | undefined;
    let busyPoll: boolean;
    try {
      if (this.#host.closed) throw closedError(kind, "waitAsync");
      timeout = validateTimeout(timeoutMs);
      ({ signal, busyPoll } = readOptions(options));
    } catch (error) {
      return Promise.reject(error);
    }
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.#pending !== undefined || this.#loop !== undefined) return Promise.reject(this.#busyError("waitAsync"));
    return this.#start(timeout, signal, busyPoll);
  }

  /**
   * Starts a `batches()` loop. Never throws: an error (closed, bad options, an aborted signal,
   * EBUSY) rejects the loop's first `next()`.
   * @param options - `signal` (and `busyPoll`), as for `waitAsync`.
   */
  batches(options: unknown): AsyncIterableIterator<R> {
    const kind = this.#kind;
    let signal: AbortSignal | undefined;
    let busyPoll = false;
    let error: unknown;
    try {
      if (this.#host.closed) throw closedError(kind, "batches");
      ({ signal, busyPoll } = readOptions(options));
      if (signal?.aborted) throw signal.reason;
      if (this.#pending !== undefined || this.#loop !== undefined) throw this.#busyError("batches");
    } catch (thrown) {
      error = thrown;
    }
    const loop: BatchLoop<R> = new BatchLoop<R>(
      {
        poll: () => {
          const result = this.#host.wait(0);
          return result.length > 0 || this.#woke?.() === true ? result : undefined;
        },
        watch: busyPoll ? () => this.#busy() : () => this.#readiness(),
        ended: () => {
          if (this.#loop === loop) this.#loop = undefined;
        },
      },
      signal,
      error,
    );
    if (error === undefined) this.#loop = loop;
    return loop;
  }

  #busyError(method: string): SystemError {
    const kind = this.#kind;
    return new SystemError(
      "EBUSY",
      `${kind}.${method}`,
      `${kind} already has a waitAsync() pending or a batches() loop running: await it (or abort it, or end the loop) before starting another`,
    );
  }

  /**
   * The instance is closing: rejects a pending wait with EBADF and releases the watches. Call it
   * before the descriptor is closed.
   */
  close(): void {
    const pending = this.#pending;
    const kind = this.#kind;
    if (pending !== undefined) {
      this.#settle(pending);
      pending.reject(new SystemError("EBADF", `${kind}.waitAsync`, `${kind} was closed while waitAsync() was pending`));
    }
    this.#loop?.fail(new SystemError("EBADF", `${kind}.batches`, `${kind} was closed while its batches() loop was running`));
    this.#watch?.dispose();
    this.#busyWatch?.dispose();
    this.#watch = undefined;
    this.#busyWatch = undefined;
  }

  #start(timeoutMs: number, signal: AbortSignal | undefined, busyPoll: boolean): Promise<R> {
    let resolve!: (result: R) => void;
    let reject!: (error: unknown) => void;
    const promise = new Promise<R>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const pending: Pending<R> = {
      resolve,
      reject,
      signal,
      onAbort: signal === undefined ? undefined : () => this.#abort(pending),
      timeoutMs,
      // Only a timer reads it: a wait without one spares the clock read.
      startedAt: timeoutMs > 0 ? performance.now() : 0,
      watch: undefined,
      timer: undefined,
      immediate: undefined,
      armed: false,
    };
    this.#pending = pending;
    if (signal !== undefined) signal.addEventListener("abort", pending.onAbort!, { once: true });
    if (timeoutMs > 0) this.#startTimer(pending, timeoutMs);
    if (timeoutMs !== 0) {
      let watch: ReadinessWatch;
      try {
        watch = busyPoll ? this.#busy() : this.#readiness();
      } catch (error) {
        this.#fail(pending, error);
        return promise;
      }
      pending.watch = watch;
      if (watch.armFirst === true) {
        this.#arm(pending, false);
        return promise;
      }
    }
    pending.immediate = setImmediate(() => {
      pending.immediate = undefined;
      this.#poll(pending, timeoutMs === 0, false);
    });
    return promise;
  }

  /**
   * Polls the instance for `pending`: resolves on events (or when `final`), else arms the watch.
   * `retry`: this poll answers a report (an empty one is a spurious report).
   */
  #poll(pending: Pending<R>, final: boolean, retry: boolean): void {
    if (this.#pending !== pending) return;
    let result: R;
    try {
      result = this.#host.wait(0);
    } catch (error) {
      this.#fail(pending, error);
      return;
    }
    if (final || result.length > 0 || this.#woke?.() === true) {
      this.#settle(pending);
      pending.resolve(result);
      return;
    }
    this.#arm(pending, retry);
  }

  #arm(pending: Pending<R>, retry: boolean): void {
    try {
      pending.watch!.arm(retry);
      pending.armed = true;
    } catch (error) {
      this.#fail(pending, error);
    }
  }

  #startTimer(pending: Pending<R>, ms: number): void {
    // setTimeout takes at most 2^31 - 1 ms; longer waits re-arm with what is left.
    pending.timer = setTimeout(() => this.#timerFired(pending), Math.min(ms, MAX_KERNEL_TIMEOUT_MS));
  }

  #timerFired(pending: Pending<R>): void {
    pending.timer = undefined;
    if (this.#pending !== pending) return;
    // Never early: a timer may fire a fraction of a millisecond before its time.
    const left = Math.ceil(pending.timeoutMs - (performance.now() - pending.startedAt));
    if (left > 0) {
      this.#startTimer(pending, left);
      return;
    }
    this.#poll(pending, true, false);
  }

  #abort(pending: Pending<R>): void {
    if (this.#pending !== pending) return;
    this.#fail(pending, pending.signal!.reason);
  }

  #fail(pending: Pending<R>, error: unknown): void {
    if (this.#pending !== pending) return;
    this.#settle(pending);
    pending.reject(error);
  }

  /** Ends `pending` (before its promise settles): timers, listener, watch. */
  #settle(pending: Pending<R>): void {
    this.#pending = undefined;
    if (pending.timer !== undefined) clearTimeout(pending.timer);
    if (pending.immediate !== undefined) clearImmediate(pending.immediate);
    if (pending.signal !== undefined) pending.signal.removeEventListener("abort", pending.onAbort!);
    if (pending.armed) {
      pending.armed = false;
      pending.watch!.disarm();
    }
  }

  /**
   * A report from a watch: poll again for the pending wait or the running loop, if any. Never
   * throws: watches call it from the event loop's callbacks (a socket's, a pump's, an immediate),
   * where an exception would surface as an uncaught error far from its cause.
   */
  readonly #onReady = (): void => {
    const pending = this.#pending;
    try {
      if (pending !== undefined) this.#poll(pending, false, true);
      else this.#loop?.report();
    } catch (error) {
      log("error", "an async waiter failed while handling a readiness report", { error });
    }
  };

  readonly #onError = (error: unknown): void => {
    const pending = this.#pending;
    if (pending !== undefined) this.#fail(pending, error);
    else this.#loop?.fail(error);
  };

  #readiness(): ReadinessWatch {
    return (this.#watch ??= this.#createWatch(this.#onReady, this.#onError));
  }

  #busy(): ReadinessWatch {
    return (this.#busyWatch ??= new BusyPollWatch(this.#onReady));
  }
}

/** Reads `waitAsync`'s options. @throws TypeError for options of the wrong type. */
function readOptions(options: unknown): { signal: AbortSignal | undefined; busyPoll: boolean } {
  const { signal, busyPoll } = validateOptions(options as WaitAsyncOptions | undefined);
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw invalidType("options.signal", "an instance of AbortSignal", signal);
  }
  return { signal, busyPoll: validateBoolean(busyPoll, "options.busyPoll", false) };
}
