/**
 * `waitAsync` for one instance: the per-instance waiter that `Epoll` and `Kqueue` share.
 *
 * A wait runs as follows, every step on the calling thread:
 *
 * 1. Arguments, the instance's state and the signal are checked; every failure becomes a rejected
 *    promise, never a synchronous throw.
 * 2. On the next turn of the event loop (`setImmediate`, so that a loop of waits on an instance
 *    that is always ready cannot starve timers and I/O) the instance is polled with its own
 *    `wait(0)`. Events, or a timeout of 0, resolve the wait.
 * 3. Otherwise the instance's {@link ReadinessSource} is armed, and each report polls again with
 *    `wait(0)`: events resolve, an empty poll (a spurious report) arms again.
 * 4. The timeout (a timer on this thread) polls once more and resolves with what that poll found,
 *    usually nothing; an abort rejects with the signal's reason; `close()` rejects with EBADF.
 *    None of them takes events: what was not delivered stays for the next wait.
 *
 * One wait per instance at a time: a second `waitAsync` while one is pending is rejected with
 * `EBUSY` (both would share the instance's one reusable result). A synchronous `wait` meanwhile is
 * allowed and takes the events it finds; the pending async wait goes on waiting.
 *
 * @internal
 * @module
 */
import { SystemError, closedError, invalidType } from "../core/errors.ts";
import { log } from "../core/log.ts";
import { MAX_KERNEL_TIMEOUT_MS, validateTimeout } from "../core/timeout.ts";
import { validateBoolean, validateOptions } from "../core/validate.ts";
import { BusyPollSource } from "./busy-poll.ts";
import type { ReadinessSource, SourceFactory } from "./source.ts";

/**
 * Options of `waitAsync` on `Epoll`, `Kqueue` and `Poller`.
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

/** What an instance gives its waiter. */
export interface WaitAsyncHost<R> {
  /** The class name, for errors (`"Epoll"`). */
  readonly kind: string;
  /** Whether the instance is closed. */
  isClosed(): boolean;
  /** The instance's non-blocking `wait(0)`. */
  poll(): R;
  /** Whether a poll's result resolves the wait (it holds events). */
  isReady(result: R): boolean;
  /** Makes the instance's readiness source (Bun's event loop, the readiness thread or a helper thread). */
  readonly createSource: SourceFactory;
}

/** One pending wait. */
interface Pending<R> {
  // Method syntax, so that an instance's waiter stays assignable when its data type widens
  // (an `Epoll<string>` is an `Epoll<unknown>`).
  resolve(result: R): void;
  reject(error: unknown): void;
  readonly signal: AbortSignal | undefined;
  readonly onAbort: () => void;
  /** -1: forever; otherwise whole ms. */
  readonly timeoutMs: number;
  readonly startedAt: number;
  readonly source: () => ReadinessSource;
  timer: ReturnType<typeof setTimeout> | undefined;
  immediate: ReturnType<typeof setImmediate> | undefined;
  /** The source was armed for this wait: it must be disarmed when the wait settles. */
  armed: boolean;
}

/** The `waitAsync` machinery of one instance. */
export class AsyncWaiter<R> {
  readonly #host: WaitAsyncHost<R>;
  #pending: Pending<R> | undefined;
  #source: ReadinessSource | undefined;
  #busySource: ReadinessSource | undefined;

  /** @param host - the instance's side. */
  constructor(host: WaitAsyncHost<R>) {
    this.#host = host;
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
    const host = this.#host;
    let timeout: number;
    let signal: AbortSignal | undefined;
    let busyPoll: boolean;
    try {
      if (host.isClosed()) throw closedError(host.kind, "waitAsync");
      timeout = validateTimeout(timeoutMs);
      ({ signal, busyPoll } = readOptions(options));
    } catch (error) {
      return Promise.reject(error);
    }
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.#pending !== undefined) {
      return Promise.reject(
        new SystemError(
          "EBUSY",
          `${host.kind}.waitAsync`,
          `${host.kind} already has a waitAsync() pending: await it (or abort it) before starting another`,
        ),
      );
    }
    return this.#start(timeout, signal, busyPoll);
  }

  /**
   * The instance is closing: rejects a pending wait with EBADF and releases the sources. Call it
   * before the descriptor is closed.
   */
  close(): void {
    const pending = this.#pending;
    if (pending !== undefined) {
      const kind = this.#host.kind;
      this.#settle(pending);
      pending.reject(new SystemError("EBADF", `${kind}.waitAsync`, `${kind} was closed while waitAsync() was pending`));
    }
    this.#source?.dispose();
    this.#busySource?.dispose();
    this.#source = undefined;
    this.#busySource = undefined;
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
      onAbort: () => this.#abort(pending),
      timeoutMs,
      startedAt: performance.now(),
      source: busyPoll ? () => this.#busy() : () => this.#readiness(),
      timer: undefined,
      immediate: undefined,
      armed: false,
    };
    this.#pending = pending;
    signal?.addEventListener("abort", pending.onAbort, { once: true });
    if (timeoutMs > 0) this.#startTimer(pending, timeoutMs);
    pending.immediate = setImmediate(() => {
      pending.immediate = undefined;
      this.#poll(pending, timeoutMs === 0);
    });
    return promise;
  }

  /** Polls the instance for `pending`: resolves on events (or when `final`), else arms the source. */
  #poll(pending: Pending<R>, final: boolean): void {
    if (this.#pending !== pending) return;
    let result: R;
    try {
      result = this.#host.poll();
    } catch (error) {
      this.#fail(pending, error);
      return;
    }
    if (final || this.#host.isReady(result)) {
      this.#settle(pending);
      pending.resolve(result);
      return;
    }
    try {
      pending.source().arm();
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
    this.#poll(pending, true);
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

  /** Ends `pending` (before its promise settles): timers, listener, source. */
  #settle(pending: Pending<R>): void {
    this.#pending = undefined;
    if (pending.timer !== undefined) clearTimeout(pending.timer);
    if (pending.immediate !== undefined) clearImmediate(pending.immediate);
    pending.signal?.removeEventListener("abort", pending.onAbort);
    if (pending.armed) {
      pending.armed = false;
      pending.source().disarm();
    }
  }

  /**
   * A report from a source: poll again for the pending wait, if any. Never throws: sources call it
   * from the event loop's callbacks (a socket's, a pump's, an immediate), where an exception would
   * surface as an uncaught error far from its cause.
   */
  readonly #onReady = (): void => {
    const pending = this.#pending;
    if (pending === undefined) return;
    try {
      this.#poll(pending, false);
    } catch (error) {
      log("error", "an async waiter failed while handling a readiness report", { error });
    }
  };

  readonly #onError = (error: unknown): void => {
    const pending = this.#pending;
    if (pending !== undefined) this.#fail(pending, error);
  };

  #readiness(): ReadinessSource {
    return (this.#source ??= this.#host.createSource(this.#onReady, this.#onError));
  }

  #busy(): ReadinessSource {
    return (this.#busySource ??= new BusyPollSource(this.#onReady));
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
