/**
 * `batches()`: the loop form of `waitAsync`, an async iterator whose every `next()` resolves with
 * the instance's next non-empty result. What a loop of `waitAsync` calls pays per wait and this
 * does not: a promise's bookkeeping of timers and abort listeners, the first poll on the next
 * turn of the event loop, and arming and releasing the watch. The loop arms its watch at each
 * `next()` without polling first (every watch reports an instance that is ready already as soon
 * as it is armed, on a later turn, so a ready instance cannot starve the event loop), keeps it
 * counted as waiting for the whole loop, and releases it once, when the loop ends.
 *
 * The loop ends with `return()` (a `break`, a `return` or an exception in a `for await` body), an
 * abort of its signal (the pending `next()`, or else the next one, rejects with the signal's
 * reason), the instance's `close()` (EBADF, the same way), or a failure of the watch or of a poll.
 * Then the watch is disarmed and the instance is free for another `waitAsync` or loop.
 *
 * @internal
 * @module
 */
import type { ReadinessWatch } from "./watch.ts";

/** What a loop needs of its waiter. */
export interface LoopPort<R> {
  /** Polls the instance with `wait(0)`: its result when that ends the wait, else undefined. */
  poll(): R | undefined;
  /** The instance's watch. */
  watch(): ReadinessWatch;
  /** The loop ended: the instance may wait again. */
  ended(): void;
}

/**
 * The internal method by which a loop's owner says whether the loop keeps the process alive while
 * it runs (it does unless told otherwise): `watchFd` turns it off while only unref'd watches are
 * open. Not part of the public API, which has no such option.
 */
export const keepProcessAlive: unique symbol = Symbol("bunix.keepProcessAlive");

const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

/** The pending `next()`. Method syntax, so that a loop stays assignable when its data type widens. */
interface NextCall<R> {
  resolve(result: IteratorResult<R>): void;
  reject(error: unknown): void;
}

/** One `batches()` loop. */
export class BatchLoop<R> implements AsyncIterableIterator<R> {
  readonly #port: LoopPort<R>;
  readonly #signal: AbortSignal | undefined;
  readonly #onAbort = (): void => this.fail(this.#signal!.reason);
  /** The error the next `next()` rejects with, once. */
  #error: unknown;
  #hasError: boolean;
  #running: boolean;
  #armed = false;
  #next: NextCall<R> | undefined;
  #keepAlive = true;

  /**
   * @param port - the waiter's side.
   * @param signal - ends the loop when aborted.
   * @param error - the loop cannot start (closed, EBUSY, aborted already, bad options): its first
   *   `next()` rejects with this.
   */
  constructor(port: LoopPort<R>, signal: AbortSignal | undefined, error: unknown) {
    this.#port = port;
    this.#signal = signal;
    this.#hasError = error !== undefined;
    this.#error = error;
    this.#running = !this.#hasError;
    if (this.#running) signal?.addEventListener("abort", this.#onAbort, { once: true });
  }

  /** The next non-empty result (the instance's reusable one, valid until the next `next()`). */
  next(): Promise<IteratorResult<R>> {
    if (this.#hasError) {
      const error = this.#error;
      this.#hasError = false;
      this.#error = undefined;
      return Promise.reject(error);
    }
    if (!this.#running) return Promise.resolve(DONE);
    if (this.#next !== undefined) return Promise.reject(new TypeError("batches(): next() called again before the previous next() settled"));
    const promise = new Promise<IteratorResult<R>>((resolve, reject) => {
      this.#next = { resolve, reject };
    });
    this.#arm(false);
    return promise;
  }

  /** Ends the loop (a `break` out of `for await`): the watch is released. */
  return(): Promise<IteratorResult<R>> {
    this.#end();
    const next = this.#next;
    this.#next = undefined;
    next?.resolve(DONE);
    return Promise.resolve(DONE);
  }

  /**
   * Whether the loop keeps the process alive while it runs (through its watch's `keepAlive`; a
   * watch without one always does). When the loop ends, its watch keeps the process alive again
   * for the instance's next waiter.
   */
  [keepProcessAlive](on: boolean): void {
    if (this.#keepAlive === on || !this.#running) return;
    try {
      this.#port.watch().keepAlive?.(on);
    } catch (error) {
      this.fail(error);
      return;
    }
    this.#keepAlive = on;
  }

  /** The loop is its own iterator. */
  [Symbol.asyncIterator](): this {
    return this;
  }

  /** The watch reported: poll, resolve the pending `next()` with events, or arm again. @internal */
  report(): void {
    const next = this.#next;
    if (next === undefined) return;
    let result: R | undefined;
    try {
      result = this.#port.poll();
    } catch (error) {
      this.fail(error);
      return;
    }
    if (result === undefined) {
      this.#arm(true);
      return;
    }
    this.#next = undefined;
    next.resolve({ done: false, value: result });
  }

  /** Ends the loop with `error`: the pending `next()` rejects with it, or else the next one. @internal */
  fail(error: unknown): void {
    if (!this.#running) return;
    this.#end();
    const next = this.#next;
    this.#next = undefined;
    if (next !== undefined) {
      next.reject(error);
    } else {
      this.#hasError = true;
      this.#error = error;
    }
  }

  #arm(retry: boolean): void {
    try {
      this.#port.watch().arm(retry);
      this.#armed = true;
    } catch (error) {
      this.fail(error);
    }
  }

  #end(): void {
    if (!this.#running) return;
    this.#running = false;
    this.#signal?.removeEventListener("abort", this.#onAbort);
    if (this.#armed) {
      this.#armed = false;
      this.#port.watch().disarm();
    }
    if (!this.#keepAlive) {
      this.#keepAlive = true;
      this.#port.watch().keepAlive?.(true);
    }
    this.#port.ended();
  }
}
