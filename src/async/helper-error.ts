/**
 * The error of a helper thread (the readiness thread, a kqueue helper) that failed.
 *
 * @internal
 * @module
 */
import { SystemError } from "../core/errors.ts";

/**
 * The error a `waitAsync` rejects with when a helper thread fails outside its protocol: its script
 * did not load (a bundle without it, say) or it ended unexpectedly. A `SystemError` with code `EIO`
 * like every other failure of a wait, with the Worker's own error as its `cause`.
 */
export function helperThreadError(helper: string, cause: unknown): SystemError {
  const reason = cause instanceof Error ? cause.message : cause === undefined ? "it ended unexpectedly" : String(cause);
  const error = new SystemError("EIO", "waitAsync", `the ${helper} failed: ${reason}`);
  if (cause !== undefined) error.cause = cause;
  return error;
}
