/**
 * Plain recv(2) and send(2) on a stream socket, for the paths that carry bytes and no
 * descriptors: no msghdr to fill, no control buffer for the kernel to scan, no result object.
 *
 * A stream socket read with no control buffer never leaks a descriptor a peer sent: the kernel
 * disposes of rights it cannot deliver (Linux closes them as the message is consumed; BSD and
 * macOS dispose of them likewise).
 *
 * A buffer is given either as a typed array (bun:ffi takes its address at the call, so a small
 * array that the garbage collector may move is safe) or as a plain address, for callers that keep
 * their buffers in ArrayBuffers of their own (which never move) and add offsets themselves, so
 * that no view is allocated per call.
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

/** A buffer for recv or send: a typed array, or an address in memory that does not move. */
export type ByteSource = Uint8Array | number;

/**
 * recv(2) of up to `length` bytes into `target`. Returns the count (0 at the end of the stream), or
 * -1 when the socket is nonblocking and nothing is waiting.
 * @throws SystemError ECONNRESET and the like, from recv.
 */
export function recvInto(fd: number, target: ByteSource, length: number): number {
  const recv = socketKernel().symbols.recv;
  for (;;) {
    const got = recv(fd, target as Pointer, length, 0) as number;
    if (got >= 0) return got;
    if (!retryable(errno(), "recv")) return -1;
  }
}

/**
 * send(2) of `length` bytes from `source`, with MSG_NOSIGNAL where the platform has it (elsewhere
 * SO_NOSIGPIPE, set on every bunix socket, does the same). Returns the count sent, or -1 when the
 * socket is nonblocking and its buffer is full.
 * @throws SystemError EPIPE, ECONNRESET, EMSGSIZE and the like, from send.
 */
export function sendFrom(fd: number, source: ByteSource, length: number): number {
  const k = socketKernel();
  for (;;) {
    const sent = k.symbols.send(fd, source as Pointer, length, k.sendFlags) as number;
    if (sent >= 0) return sent;
    if (!retryable(errno(), "send")) return -1;
  }
}

/** After a failed call: true to retry (EINTR), false for "would block"; throws anything else. */
function retryable(code: number, syscall: string): boolean {
  if (code === EINTR) return true;
  if (code === EAGAIN || code === EWOULDBLOCK) return false;
  throw SystemError.fromErrno(code, syscall);
}
