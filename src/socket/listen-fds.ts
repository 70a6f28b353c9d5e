/**
 * `listenFds()`: the descriptors a service manager opened for this process (systemd socket
 * activation, and the supervisors that copy its protocol).
 *
 * The protocol: the manager starts the process with the sockets at descriptors 3, 4, … and sets
 * `LISTEN_FDS` to how many there are and `LISTEN_PID` to the process's pid, so that a child that
 * inherits the environment does not take them too (`LISTEN_FDNAMES` may name them).
 *
 * @module
 */
import { SystemError } from "../core/errors.ts";
import { setCloseOnExec } from "../core/fd.ts";
import { validateBoolean, validateOptions } from "../core/validate.ts";

/** The first descriptor the protocol passes; the others follow it. */
export const LISTEN_FDS_START = 3;

const VARIABLES = ["LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"] as const;

/** Options of {@link listenFds}. */
export interface ListenFdsOptions {
  /**
   * Remove `LISTEN_PID`, `LISTEN_FDS` and `LISTEN_FDNAMES` from `process.env`, so that processes
   * started later (which get `process.env` by default) are not told about descriptors they do not
   * have. Default true, as `sd_listen_fds(1)` is normally called.
   */
  readonly unsetEnvironment?: boolean;
}

/**
 * The descriptors passed by socket activation: `[3, 4, …]`, one per `LISTEN_FDS`, when
 * `LISTEN_PID` is this process's pid, else `[]` (nothing was passed, or it was meant for the
 * process that started this one). Each is made close-on-exec, so a child does not inherit it.
 *
 * The descriptors become the caller's; take a listening socket with `UnixListener.fromFd`, which
 * checks what it is given. Call it once: with the default `unsetEnvironment`, a second call
 * returns `[]`.
 *
 * @throws SystemError EINVAL when `LISTEN_PID` is this process but `LISTEN_FDS` is not a
 *   non-negative integer; EBADF when a descriptor it announces is not open. TypeError for bad
 *   options.
 * @example
 * ```ts
 * import { UnixListener, listenFds } from "bunix";
 * const [fd] = listenFds();
 * using server = fd === undefined ? UnixListener.bind("/run/demo.sock") : UnixListener.fromFd(fd);
 * ```
 */
export function listenFds(options?: ListenFdsOptions): number[] {
  const unset = validateBoolean(validateOptions(options).unsetEnvironment, "options.unsetEnvironment", true);
  const pid = process.env.LISTEN_PID;
  const count = process.env.LISTEN_FDS;
  if (unset) for (const name of VARIABLES) delete process.env[name];
  if (pid === undefined || count === undefined || !/^[0-9]+$/.test(pid) || Number(pid) !== process.pid) return [];
  if (!/^[0-9]+$/.test(count) || Number(count) > 0x7fffffff - LISTEN_FDS_START) {
    throw new SystemError("EINVAL", "listenFds", `LISTEN_FDS is not a descriptor count: ${JSON.stringify(count)}`);
  }
  const fds: number[] = [];
  for (let i = 0; i < Number(count); i++) fds.push(LISTEN_FDS_START + i);
  for (const fd of fds) setCloseOnExec(fd);
  return fds;
}
