/**
 * Plain recv(2) and send(2) on a stream socket, for the paths that carry bytes and no
 * descriptors: no msghdr to fill, no control buffer for the kernel to scan, no result object.
 *
 * A stream socket read with no control buffer still never leaks a descriptor a peer sent: the
 * kernel disposes of rights that it cannot deliver (Linux closes them when the message is
 * consumed; BSD and macOS dispose of them the same way). A read also stops at such a message's
 * boundary, so a short read means "nothing more for now", never "the stream ended".
 *
 * The pointers are plain numbers: the callers keep their buffers in ArrayBuffers of their own
 * (which never move) and add offsets themselves, so that no view is allocated per call.
 *
 * @internal
 * @module
 */
import type { Pointer } from "bun:ffi";
import { errno, errnoNumber } from "../../ffi/index.ts";
import { SystemError } from "../core/errors.ts";
import { socketKernel } from "./kernel.ts";

const EINTR = errnoNumber("EINTR");
const EAGAIN = errnoNumber("EAGAIN");
const EWOULDBLOCK = errnoNumber("EWOULDBLOCK");

/**
 * recv(2) of up to `length` bytes at address `pointer`. Returns the count (0 at the end of the
 * stream), or -1 when the socket is nonblocking and nothing is waiting.
 * @throws SystemError ECONNRESET and the like, from recv.
 */
export function recvInto(fd: number, pointer: number, length: number): number {
  const recv = socketKernel().symbols.recv;
  for (;;) {
    const got = recv(fd, pointer as Pointer, length, 0) as number;
    if (got >= 0) return got;
    const code = errno();
    if (code === EINTR) continue;
    if (code === EAGAIN || code === EWOULDBLOCK) return -1;
    throw SystemError.fromErrno(code, "recv");
  }
}

/**
 * send(2) of `length` bytes at address `pointer`, with MSG_NOSIGNAL where the platform has it
 * (elsewhere SO_NOSIGPIPE, set on every bunix socket, does the same). Returns the count sent, or
 * -1 when the socket is nonblocking and its buffer is full.
 * @throws SystemError EPIPE, ECONNRESET and the like, from send.
 */
export function sendFrom(fd: number, pointer: number, length: number): number {
  const k = socketKernel();
  for (;;) {
    const sent = k.symbols.send(fd, pointer as Pointer, length, k.sendFlags) as number;
    if (sent >= 0) return sent;
    const code = errno();
    if (code === EINTR) continue;
    if (code === EAGAIN || code === EWOULDBLOCK) return -1;
    throw SystemError.fromErrno(code, "send");
  }
}

/**
 * send(2) of all of `data` (the caller's typed array, passed as such: bun:ffi takes its address at
 * the call, so a small array that the garbage collector may move is safe). Returns the count sent,
 * or `null` when the socket is nonblocking and its buffer is full.
 * @throws SystemError EPIPE, ECONNRESET, EMSGSIZE and the like, from send.
 */
export function sendBytes(fd: number, data: Uint8Array): number | null {
  const k = socketKernel();
  for (;;) {
    const sent = k.symbols.send(fd, data, data.length, k.sendFlags) as number;
    if (sent >= 0) return sent;
    const code = errno();
    if (code === EINTR) continue;
    if (code === EAGAIN || code === EWOULDBLOCK) return null;
    throw SystemError.fromErrno(code, "send");
  }
}

/**
 * recv(2) into all of `target` (the caller's typed array, passed as such). Returns the count (0 at
 * the end of the stream), or -1 when the socket is nonblocking and nothing is waiting.
 * @throws SystemError ECONNRESET and the like, from recv.
 */
export function recvBytes(fd: number, target: Uint8Array): number {
  const recv = socketKernel().symbols.recv;
  for (;;) {
    const got = recv(fd, target, target.length, 0) as number;
    if (got >= 0) return got;
    const code = errno();
    if (code === EINTR) continue;
    if (code === EAGAIN || code === EWOULDBLOCK) return -1;
    throw SystemError.fromErrno(code, "recv");
  }
}
