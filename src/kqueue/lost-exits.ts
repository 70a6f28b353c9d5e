/**
 * Process exits a `library` kqueue (libkqueue on Linux) can never report, and waits that come back
 * early with nothing.
 *
 * libkqueue watches a process through a pidfd and reads the exit status with
 * `waitid(WNOWAIT)`. That works for a child of this process that nobody has reaped yet. For any
 * other process (not a child, or a child Bun's event loop reaped first) the pidfd turns readable
 * at the exit, `waitid` fails, no event is made, and from then on every `kevent()` on that kqueue
 * returns 0 at once: a wait loop that treats 0 before the deadline as spurious would call it
 * again and again and burn a core for the whole timeout.
 *
 * So `Kqueue` refuses a process watch it can tell is hopeless (not a child) at registration, and
 * when a wait comes back early with nothing it looks for watches whose exit was lost (see
 * {@link isChildOfThisProcess}), removes them from libkqueue and reports each as an exit whose
 * status is gone. An early empty return that this does not explain is followed by a short,
 * growing pause ({@link pauseAfterEmptyReturns}), so no wait can spin whatever libkqueue does.
 * The native kqueues of macOS and FreeBSD never come here.
 *
 * @internal
 * @module
 */
import { constant, errno, errnoNumber, loadWaitid } from "../../ffi/index.ts";

const EINTR = errnoNumber("EINTR");
const ECHILD = errnoNumber("ECHILD");

/** The errno a lost exit is reported with: the status went to whoever reaped the process. */
export const LOST_EXIT_ERRNO = ECHILD;

/**
 * Whether `pid` is a child of this process that has not been reaped: `waitid(P_PID, pid,
 * WEXITED | WNOHANG | WNOWAIT)`, which neither blocks nor reaps. `false` only on ECHILD (not a
 * child, or reaped already); `true` for a child, running or exited, and wherever the call is
 * missing or fails otherwise, so that nothing is refused on a doubt.
 */
export function isChildOfThisProcess(pid: number): boolean {
  const calls = loadWaitid();
  if (calls === undefined) return true;
  const options = constant("WEXITED") | constant("WNOHANG") | constant("WNOWAIT");
  for (;;) {
    if (calls.waitid(constant("P_PID"), pid, null, options) === 0) return true;
    const code = errno();
    if (code !== EINTR) return code !== ECHILD;
  }
}

/** The longest pause after an unexplained early empty return, in ms. */
const MAX_PAUSE_MS = 32;

/**
 * Sleeps after the `streak`-th early empty return in a row that no lost exit explains: 1 ms after
 * the second, doubling up to 32 ms, never past `remainingMs` (-1: no deadline). The first is free:
 * libkqueue has the odd spurious return, and a pause there would only add latency.
 */
export function pauseAfterEmptyReturns(streak: number, remainingMs: number): void {
  if (streak < 2) return;
  let ms = Math.min(2 ** (streak - 2), MAX_PAUSE_MS);
  if (remainingMs >= 0) ms = Math.min(ms, remainingMs);
  if (ms > 0) Bun.sleepSync(ms);
}
