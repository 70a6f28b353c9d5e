/**
 * `PidFd`: a pidfd_open(2) descriptor for a process, readable once it exits, that can signal it
 * without the pid-reuse race of `kill` (Linux >= 5.3).
 *
 * @module
 */
import { constants as osConstants } from "node:os";
import { constant, loadPidfd, loadSyscall2, loadSyscall4, optionalConstant } from "../../ffi/index.ts";
import { invalidType, invalidValue, lastError, unsupportedError } from "../core/errors.ts";
import { platform } from "../core/platform.ts";
import { FdResource } from "../core/resource.ts";
import { validateBoolean, validateInteger, validateOptions } from "../core/validate.ts";

/** Options of {@link PidFd.open}. */
export interface PidFdOptions {
  /**
   * `PIDFD_NONBLOCK` (Linux >= 5.10): the descriptor is `O_NONBLOCK`, which only changes
   * `waitid(P_PIDFD)` (not wrapped by bunix). Readiness through a poller is the same either way.
   * Default `false`.
   */
  readonly nonblocking?: boolean;
}

/**
 * The two pidfd calls, each returning what the kernel returned (read errno next if negative).
 * @internal
 */
export interface PidfdCalls {
  readonly open: (pid: number, flags: number) => number;
  readonly sendSignal: (fd: number, signal: number) => number;
}

const cachedCalls = new Map<string, PidfdCalls | undefined>();

/**
 * The pidfd calls: glibc's wrappers (2.36 and later) when `via` is `"auto"` and they exist, else
 * `syscall(SYS_pidfd_open, …)` and `syscall(SYS_pidfd_send_signal, …)`. `undefined` where neither
 * can be loaded. Tests pass `"syscall"` to exercise the fallback on a new glibc.
 * @internal
 */
export function pidfdCalls(via: "auto" | "syscall" = "auto"): PidfdCalls | undefined {
  if (cachedCalls.has(via)) return cachedCalls.get(via);
  const calls = via === "auto" ? (wrapperCalls() ?? syscallCalls()) : syscallCalls();
  cachedCalls.set(via, calls);
  return calls;
}

function wrapperCalls(): PidfdCalls | undefined {
  const wrappers = loadPidfd();
  if (wrappers === undefined) return undefined;
  const { pidfd_open, pidfd_send_signal } = wrappers;
  return {
    open: (pid, flags) => pidfd_open(pid, flags),
    // No siginfo (the kernel then fills one in as kill(2) would) and no flags.
    sendSignal: (fd, signal) => pidfd_send_signal(fd, signal, null, 0),
  };
}

function syscallCalls(): PidfdCalls | undefined {
  const syscall2 = loadSyscall2()?.syscall;
  const syscall4 = loadSyscall4()?.syscall;
  const openNumber = optionalConstant("SYS_pidfd_open");
  const signalNumber = optionalConstant("SYS_pidfd_send_signal");
  if (syscall2 === undefined || syscall4 === undefined || openNumber === undefined || signalNumber === undefined) {
    return undefined;
  }
  return {
    open: (pid, flags) => Number(syscall2(openNumber, pid, flags)),
    sendSignal: (fd, signal) => Number(syscall4(signalNumber, fd, signal, 0, 0)),
  };
}

/** The pidfd calls for a new PidFd, or ENOTSUP. */
function supportedCalls(): PidfdCalls {
  const calls = platform.supports.pidfd ? pidfdCalls() : undefined;
  if (calls === undefined) throw unsupportedError("PidFd");
  return calls;
}

/**
 * A signal as a number: a number is checked to be a non-negative integer (the kernel judges the
 * range: EINVAL), a name is looked up in `os.constants.signals`.
 */
function signalNumber(signal: unknown): number {
  if (typeof signal === "number") return validateInteger(signal, "signal", 0, 0x7fff_ffff);
  if (typeof signal !== "string") throw invalidType("signal", "of type number or string", signal);
  const signals = osConstants.signals as Readonly<Record<string, number>>;
  if (!Object.hasOwn(signals, signal)) throw invalidValue("signal", `must be a signal name such as "SIGTERM"`, signal);
  return signals[signal]!;
}

/**
 * `pidfd_open(pid, flags)`: a descriptor that refers to one process, made with {@link PidFd.open}.
 *
 * **Exit.** The descriptor becomes readable (epoll `IN`) when the process exits, and stays
 * readable after the process has been reaped: a `Bun.spawn` child, which Bun reaps on its own,
 * still reports its exit here however late you look. `read(2)` on it is not supported by the
 * kernel; watch it with a poller. PidFd never reaps (no `waitid`/`waitpid`): that would take the
 * exit status from Bun, which reports it through `subprocess.exited` and `exitCode`.
 *
 * **Signals.** `sendSignal` goes to the process the descriptor was opened for, never to a later
 * process that reuses the pid. Opening is the only step with the race: open the descriptor while
 * you know the pid is still the process you mean (for a `Bun.spawn` child: right after `spawn`,
 * before its exit can have been reaped).
 *
 * The kernel makes every pidfd close-on-exec. Linux >= 5.3 (`PIDFD_NONBLOCK` 5.10). bunix calls
 * glibc's wrappers (glibc >= 2.36) or the raw system calls on an older glibc. Elsewhere `open`
 * throws ENOTSUP; `platform.supports.pidfd` says so in advance. (FreeBSD's process descriptors
 * come from `pdfork` and cannot be opened for an existing pid.)
 *
 * @example
 * ```ts
 * import { PidFd } from "bunix";
 * const child = Bun.spawn(["sleep", "60"]);
 * using pidfd = PidFd.open(child.pid);
 * pidfd.sendSignal("SIGTERM");
 * await child.exited;
 * console.log(child.signalCode); // "SIGTERM"
 * ```
 */
export class PidFd extends FdResource {
  readonly #pid: number;
  readonly #calls: PidfdCalls;

  private constructor(fd: number, pid: number, calls: PidfdCalls) {
    super(fd, "PidFd");
    this.#pid = pid;
    this.#calls = calls;
  }

  /**
   * `pidfd_open(pid, PIDFD_NONBLOCK?)`: a descriptor for the running process `pid`.
   *
   * @param pid - a process id (a thread-group leader); any process the caller can see, not only
   *   children.
   * @param options - `nonblocking` (default `false`).
   * @throws SystemError (syscall `"pidfd_open"`): ESRCH when no process has that pid, including
   *   one that exited and was reaped; EINVAL when `pid` is a thread but not a process, or for
   *   `nonblocking` before Linux 5.10; EMFILE, ENFILE, ENOMEM. ENOTSUP (syscall `"PidFd"`) where
   *   the platform or kernel (< 5.3) has no pidfd.
   * @throws TypeError when `pid` is not a number or an option has the wrong type.
   * @throws RangeError when `pid` is not an integer from 1 to 2^31 - 1.
   *
   * @example
   * ```ts
   * using self = PidFd.open(process.pid);
   * console.log(self.pid === process.pid); // true
   * ```
   */
  static open(pid: number, options?: PidFdOptions): PidFd {
    const calls = supportedCalls();
    validateInteger(pid, "pid", 1, 0x7fff_ffff);
    const nonblocking = validateBoolean(validateOptions(options).nonblocking, "options.nonblocking", false);
    const fd = calls.open(pid, nonblocking ? constant("PIDFD_NONBLOCK") : 0);
    if (fd < 0) throw lastError("pidfd_open");
    return new PidFd(fd, pid, calls);
  }

  /** The process id the descriptor was opened for (it stays the same after `close()`). */
  get pid(): number {
    return this.#pid;
  }

  /**
   * `pidfd_send_signal(fd, signal, NULL, 0)`: sends `signal` to the process, as `kill(2)` would,
   * but only ever to the process this descriptor refers to.
   *
   * Signal 0 sends nothing and checks that the process can still be signalled. A process that has
   * exited but is not yet reaped can still be "signalled" (nothing happens); once reaped, ESRCH.
   *
   * @param signal - a number (`os.constants.signals.SIGTERM`) or a name (`"SIGTERM"`).
   * @throws SystemError (syscall `"pidfd_send_signal"`): ESRCH when the process has been reaped;
   *   EPERM when the caller may not signal it; EINVAL for a signal number the kernel does not know.
   *   EBADF (syscall `"PidFd.sendSignal"`) when closed.
   * @throws TypeError when `signal` is neither a number nor a string, or an unknown name.
   * @throws RangeError when `signal` is a negative or non-integer number.
   *
   * @example
   * ```ts
   * const child = Bun.spawn(["sleep", "60"]);
   * using pidfd = PidFd.open(child.pid);
   * pidfd.sendSignal(0);         // still there
   * pidfd.sendSignal("SIGKILL");
   * await child.exited;
   * try { pidfd.sendSignal(0); } catch (e) { console.log((e as SystemError).code); } // "ESRCH"
   * ```
   */
  sendSignal(signal: number | NodeJS.Signals): void {
    const fd = this.openFd("sendSignal");
    const number = signalNumber(signal);
    if (this.#calls.sendSignal(fd, number) < 0) throw lastError("pidfd_send_signal");
  }
}
