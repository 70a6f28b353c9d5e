/**
 * Checking a descriptor someone else made before a socket object takes it: that it is a socket,
 * a Unix-domain one, of a type bunix handles, and listening or not as the caller needs.
 *
 * Every check only reads (getsockopt, getsockname, fcntl F_GETFL), so a descriptor that fails one
 * is left exactly as it was: still open, its flags unchanged, still the caller's.
 *
 * @internal
 * @module
 */
import { errno as readErrno, struct } from "../../ffi/index.ts";
import { SystemError } from "../core/errors.ts";
import { isNonblocking } from "../core/fd.ts";
import { readFamily } from "./address.ts";
import { getIntOption, socketKernel, socketTypeOf, type SocketType } from "./kernel.ts";

/** What a checked descriptor is. */
export interface InspectedSocket {
  readonly type: SocketType;
  readonly nonblocking: boolean;
  /** The socket's own address (getsockname), in memory of its own. */
  readonly address: Uint8Array;
  /** How many bytes of `address` the kernel filled. */
  readonly addressLength: number;
}

/**
 * Checks that `fd` is a Unix-domain socket that is listening (`listening: true`) or not.
 * @param method - the library method, named in the errors no system call produced.
 * @throws SystemError EBADF (not open) or ENOTSOCK (not a socket), from getsockopt; EINVAL for a
 *   socket of another family or type, or a listening socket where a connected or bound one is
 *   wanted (and the other way round).
 */
export function inspectSocket(fd: number, method: string, listening: boolean): InspectedSocket {
  const k = socketKernel();
  const soType = getIntOption(fd, k.solSocket, k.soType);
  const address = new Uint8Array(new ArrayBuffer(struct("sockaddr_un").size));
  k.lengthCell[0] = address.byteLength;
  if (k.symbols.getsockname(fd, address, k.lengthCell) !== 0) throw SystemError.fromErrno(readErrno(), "getsockname");
  const addressLength = k.lengthCell[0]!;
  const type = socketTypeOf(soType);
  if (readFamily(address) !== k.afUnix || type === undefined) {
    throw new SystemError("EINVAL", method, `fd ${fd} is not a Unix-domain stream, dgram or seqpacket socket`);
  }
  const accepting = getIntOption(fd, k.solSocket, k.soAcceptconn) !== 0;
  if (accepting !== listening) {
    const detail = listening
      ? `fd ${fd} is not a listening socket (UnixSocket.fromFd takes connected and bound ones)`
      : `fd ${fd} is a listening socket: take it with UnixListener.fromFd`;
    throw new SystemError("EINVAL", method, detail);
  }
  return { type, nonblocking: isNonblocking(fd), address, addressLength };
}
