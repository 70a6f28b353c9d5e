/**
 * Timeouts as every blocking call in bunix takes them: milliseconds like
 * `setTimeout`; `-1`, `undefined` or `Infinity` wait forever; `0` polls; fractions round up, never
 * down to a busy loop. And the EINTR rule: an interrupted wait is retried with the time that is
 * left, never the full timeout again.
 *
 * @internal
 * @module
 */
import { errno, errnoNumber } from "../../ffi/index.ts";
import { SystemError, invalidType, outOfRange } from "./errors.ts";

/** Forever, as the kernel's `int` timeout spells it. */
export const FOREVER = -1;

/** The longest wait one `int` millisecond timeout can express (about 24.8 days). */
export const MAX_KERNEL_TIMEOUT_MS = 0x7fffffff;

/**
 * Normalises a timeout argument to whole milliseconds, or -1 for forever. May exceed what one
 * kernel call takes; {@link kernelTimeout} splits it.
 */
export function validateTimeout(value: unknown, name = "timeoutMs"): number {
  if (value === undefined) return FOREVER;
  if (typeof value !== "number") throw invalidType(name, "of type number", value);
  if (value === -1 || value === Number.POSITIVE_INFINITY) return FOREVER;
  if (Number.isNaN(value) || value < 0) throw outOfRange(name, "-1, Infinity or a number >= 0", value);
  return Math.ceil(value);
}

/** What one kernel call may wait: the remaining time capped to an `int`, or -1 for forever. */
export function kernelTimeout(remainingMs: number): number {
  return remainingMs > MAX_KERNEL_TIMEOUT_MS ? MAX_KERNEL_TIMEOUT_MS : remainingMs;
}

const EINTR = errnoNumber("EINTR");

/**
 * Finishes a timed wait whose first kernel call came back negative (failed) or empty before the
 * deadline. Retries on EINTR with the time that is left, splits waits longer than one kernel call
 * can take, and treats an early empty return as spurious (libkqueue has them). Returns the first
 * non-negative result that ends the wait: a positive count, or 0 when the time is up.
 *
 * Pollers call the kernel themselves and come here only when the first call did not settle the
 * wait, so the common case pays for no closure and no clock read.
 *
 * @param timeoutMs - normalised by {@link validateTimeout}: -1 or whole ms >= 0.
 * @param startedAt - `performance.now()` just before the first call (unused when `timeoutMs` is -1).
 * @param first - what the first kernel call returned.
 * @param firstErrno - errno read right after it, when it returned a negative value.
 * @param call - makes one kernel call with a timeout in ms (-1: forever).
 * @param syscall - named in the error when a call fails for another reason than EINTR.
 * @throws SystemError for any failure but EINTR.
 */
export function continueTimedWait(
  timeoutMs: number,
  startedAt: number,
  first: number,
  firstErrno: number,
  call: (ms: number) => number,
  syscall: string,
): number {
  let result = first;
  let code = firstErrno;
  for (;;) {
    if (result > 0) return result;
    if (result < 0 && code !== EINTR) throw SystemError.fromErrno(code, syscall);
    let next = FOREVER;
    if (timeoutMs !== FOREVER) {
      const remaining = Math.ceil(timeoutMs - (performance.now() - startedAt));
      if (remaining <= 0) return 0;
      next = kernelTimeout(remaining);
    }
    result = call(next);
    code = result < 0 ? errno() : 0;
  }
}

/**
 * Runs a call that reports failure as a negative return until it does not fail with EINTR, for
 * calls with no timeout of their own (read, write, close-free calls). Returns the result or the
 * errno as a negative number, so the caller decides what EAGAIN means.
 */
export function retryInterrupted(call: () => number): { result: number; errno: number } {
  for (;;) {
    const result = call();
    if (result >= 0) return { result, errno: 0 };
    const code = errno();
    if (code !== EINTR) return { result, errno: code };
  }
}
