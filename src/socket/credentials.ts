/**
 * The credentials of the process at the other end of a Unix socket, as the kernel recorded them
 * when the connection was made (connect, accept or socketpair), not as they are now.
 *
 * Linux: getsockopt SO_PEERCRED gives a `struct ucred` (pid, uid, gid). BSD and macOS:
 * getsockopt LOCAL_PEERCRED at level SOL_LOCAL gives a `struct xucred`, with the effective uid and
 * the groups (the first is the effective gid) but, on macOS, no pid: LOCAL_PEERPID gives that.
 * FreeBSD 13 and later put the pid in xucred's `cr_pid`. These BSD paths are not run in this
 * repository's CI.
 *
 * @internal
 * @module
 */
import { constant, optionalConstant, struct } from "../../ffi/index.ts";
import { lastError } from "../core/errors.ts";
import { getIntOption, socketKernel } from "./kernel.ts";

/** Who is at the other end of a Unix socket. */
export interface PeerCredentials {
  /** The peer's process id; -1 where the platform cannot tell. */
  readonly pid: number;
  /** The peer's effective user id. */
  readonly uid: number;
  /** The peer's effective group id. */
  readonly gid: number;
}

/**
 * getsockopt SO_PEERCRED (Linux) or LOCAL_PEERCRED (+ LOCAL_PEERPID on macOS) for `fd`.
 * @throws SystemError from getsockopt (ENOTCONN on a socket that was never connected; EINVAL on BSD).
 */
export function readPeerCredentials(fd: number): PeerCredentials {
  return optionalConstant("SO_PEERCRED") !== undefined ? linuxCredentials(fd) : bsdCredentials(fd);
}

/** Reads option `option` at `level` into a new buffer of `size` bytes. */
function getStruct(fd: number, level: number, option: number, size: number): DataView {
  const k = socketKernel();
  const bytes = new Uint8Array(new ArrayBuffer(size));
  k.lengthCell[0] = size;
  if (k.symbols.getsockopt(fd, level, option, bytes, k.lengthCell) !== 0) throw lastError("getsockopt");
  return new DataView(bytes.buffer);
}

function linuxCredentials(fd: number): PeerCredentials {
  const layout = struct("ucred");
  const view = getStruct(fd, constant("SOL_SOCKET"), constant("SO_PEERCRED"), layout.size);
  const { pid, uid, gid } = layout.fields;
  return { pid: view.getInt32(pid.offset, true), uid: view.getUint32(uid.offset, true), gid: view.getUint32(gid.offset, true) };
}

function bsdCredentials(fd: number): PeerCredentials {
  const layout = struct("xucred");
  const level = constant("SOL_LOCAL");
  const view = getStruct(fd, level, constant("LOCAL_PEERCRED"), layout.size);
  const uid = view.getUint32(layout.fields.cr_uid.offset, true);
  // cr_groups[0] is the effective gid, as getpeereid(3) reports it.
  const gid = view.getUint32(layout.fields.cr_groups.offset, true);
  const peerPid = optionalConstant("LOCAL_PEERPID");
  if (peerPid !== undefined) return { pid: getIntOption(fd, level, peerPid), uid, gid };
  // FreeBSD >= 13: cr_pid, in the union after cr_groups; the ABI table lists it where it exists.
  const crPid = layout.fields.cr_pid;
  return { pid: crPid === undefined ? -1 : view.getInt32(crPid.offset, true), uid, gid };
}
