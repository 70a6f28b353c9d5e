/**
 * The wait loop of `mq_timedsend` and `mq_timedreceive`: bunix's millisecond timeouts on top of
 * the absolute CLOCK_REALTIME deadline POSIX gives these calls.
 *
 * @internal
 * @module
 */
import { errno, errnoNumber } from "../../ffi/index.ts";
import { SystemError } from "../core/errors.ts";
import { deadlineAfter } from "./structs.ts";
import { FOREVER, kernelTimeout } from "../core/timeout.ts";

const EAGAIN = errnoNumber("EAGAIN");
const EINTR = errnoNumber("EINTR");
const ETIMEDOUT = errnoNumber("ETIMEDOUT");

/**
 * Makes one call with `deadline` (null: no deadline, block) and returns its result; a negative
 * result means "read errno now", so the function must make no other FFI call after it.
 */
export type DeadlineCall = (deadline: Uint8Array | null) => number;

/**
 * Runs `call` until it succeeds or the time is up, and returns its result, or -1 when it timed out
 * or would block (a nonblocking queue never waits, whatever the timeout).
 *
 * The deadline is recomputed from a monotonic clock before every retry, so EINTR resumes with the
 * time that is left, and an early ETIMEDOUT (the realtime clock stepped forward mid-wait) waits
 * out the rest: the call never returns before `timeoutMs`. Waits longer than one kernel timeout
 * (about 24.8 days) go in pieces, so a far deadline never overflows `tv_sec`.
 *
 * @param timeoutMs - as normalised by `validateTimeout`: -1 (forever) or whole ms >= 0.
 * @throws SystemError for any failure but EAGAIN, EINTR and ETIMEDOUT, naming `syscall`.
 */
export function timedCall(timeoutMs: number, call: DeadlineCall, syscall: string): number {
  const startedAt = performance.now();
  let remaining = timeoutMs;
  for (;;) {
    const result = call(remaining === FOREVER ? null : deadlineAfter(kernelTimeout(remaining)));
    if (result >= 0) return result;
    const code = errno();
    if (code === EAGAIN) return -1;
    if (code !== EINTR && code !== ETIMEDOUT) throw SystemError.fromErrno(code, syscall);
    if (timeoutMs !== FOREVER) {
      remaining = timeoutMs - (performance.now() - startedAt);
      if (remaining <= 0) return -1;
    }
  }
}
