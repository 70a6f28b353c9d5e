/**
 * `socketpair()`: two connected Unix-domain sockets.
 *
 * @module
 */
import { errno as readErrno } from "../../ffi/index.ts";
import { SystemError } from "../core/errors.ts";
import { closeDescriptor } from "../core/fd.ts";
import { validateBoolean, validateOptions } from "../core/validate.ts";
import { checkTypeSupported, prepareDescriptor, socketKernel, validateChoice, type SocketType } from "./kernel.ts";
import { wrapSocket, type UnixSocket } from "./unix-socket.ts";

/** Options of {@link socketpair}. */
export interface SocketpairOptions {
  /** Make both ends nonblocking. Default false. */
  readonly nonblocking?: boolean;
}

/**
 * socketpair(2): two connected, close-on-exec Unix-domain sockets of `type`, with no file and no
 * name. What one end sends, the other receives; each end's `peerCredentials()` reports this
 * process. One end can go to a child process ({@link spawnWithChannel} does that) or travel to
 * another process as a descriptor in `send(…, { fds })`.
 *
 * @param type - `"stream"` (a byte stream), `"dgram"` (separate messages; Unix datagrams are
 *   reliable and ordered) or `"seqpacket"` (messages over a connection, with an end).
 * @throws SystemError EMFILE / ENFILE, ENOTSUP for seqpacket where the platform lacks it.
 *   TypeError for a bad `type` or options.
 * @example
 * ```ts
 * import { socketpair } from "bunix";
 * const [a, b] = socketpair("dgram", { nonblocking: true });
 * console.assert(b.recv(16) === null);   // nothing sent yet
 * a.send("");                            // an empty datagram is a message too
 * console.assert(b.recv(16)!.bytes === 0);
 * a.close(); b.close();
 * ```
 */
export function socketpair(type: SocketType, options?: SocketpairOptions): [UnixSocket, UnixSocket] {
  const checked = validateChoice(type, "type", ["stream", "dgram", "seqpacket"]);
  const nonblocking = validateBoolean(validateOptions(options).nonblocking, "options.nonblocking", false);
  checkTypeSupported(checked, "socketpair");
  const k = socketKernel();
  const pair = new Int32Array(new ArrayBuffer(8));
  const flags = k.sockCloexec | (nonblocking ? k.sockNonblock : 0);
  if (k.symbols.socketpair(k.afUnix, k.types[checked] | flags, 0, pair) !== 0) throw SystemError.fromErrno(readErrno(), "socketpair");
  const first = pair[0]!;
  const second = pair[1]!;
  // prepareDescriptor closes the descriptor it fails on; the other one is closed here.
  try {
    prepareDescriptor(first, nonblocking, k.sockCloexec !== 0);
  } catch (error) {
    closeDescriptor(second);
    throw error;
  }
  try {
    prepareDescriptor(second, nonblocking, k.sockCloexec !== 0);
  } catch (error) {
    closeDescriptor(first);
    throw error;
  }
  return [wrapSocket(first, checked, nonblocking), wrapSocket(second, checked, nonblocking)];
}
