/**
 * Raw descriptors for the kqueue tests, made straight through FFI so that the tests depend on no
 * other public class.
 * @module
 */
import { closeSync, writeSync } from "node:fs";
import { constant, errno, loadSockets, optionalConstant } from "../../ffi/index.ts";
import { SystemError } from "../../src/core/errors.ts";
import { setCloseOnExec } from "../../src/core/fd.ts";

/** A connected AF_UNIX stream socket pair, close-on-exec, closed by `using`. */
export interface SocketPair extends Disposable {
  readonly fds: readonly [number, number];
  /** Writes `text` to one end. */
  write(end: 0 | 1, text: string): void;
}

/** socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC). */
export function socketPair(): SocketPair {
  const cloexec = optionalConstant("SOCK_CLOEXEC");
  const fds = new Int32Array(new ArrayBuffer(8));
  if (loadSockets()!.socketpair(constant("AF_UNIX"), constant("SOCK_STREAM") | (cloexec ?? 0), 0, fds) !== 0) {
    throw SystemError.fromErrno(errno(), "socketpair");
  }
  const pair: [number, number] = [fds[0]!, fds[1]!];
  // macOS has no SOCK_CLOEXEC.
  if (cloexec === undefined) for (const fd of pair) setCloseOnExec(fd);
  let closed = false;
  return {
    fds: pair,
    write(end, text) {
      writeSync(pair[end], text);
    },
    [Symbol.dispose]() {
      if (closed) return;
      closed = true;
      for (const fd of pair) closeSync(fd);
    },
  };
}
