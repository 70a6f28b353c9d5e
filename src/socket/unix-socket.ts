/**
 * `UnixSocket`: one Unix-domain socket (stream, datagram or seqpacket) with sendmsg/recvmsg,
 * descriptor passing, peer credentials, shutdown and the nonblocking mode.
 *
 * @module
 */
import { errno as readErrnoNow } from "../../ffi/index.ts";
import { SystemError, invalidType, outOfRange } from "../core/errors.ts";
import { closeDescriptor, duplicateDescriptor, setCloseOnExec, setNonblocking } from "../core/fd.ts";
import { FdResource } from "../core/resource.ts";
import { retryInterrupted } from "../core/timeout.ts";
import { validateBoolean, validateFd, validateInteger, validateOptions } from "../core/validate.ts";
import { encodeAddress, type SocketPath } from "./address.ts";
import { BoundPath } from "./bound-path.ts";
import { inspectSocket } from "./inspect.ts";
import { readPeerCredentials, type PeerCredentials } from "./credentials.ts";
import {
  checkTypeSupported,
  openSocket,
  setNoSigpipe,
  socketKernel,
  validateChoice,
  type ShutdownHow,
  type SocketType,
} from "./kernel.ts";
import { sendFrom } from "./stream-io.ts";
import { receiveMessage, receivePlain, sendMessage, validateFdList, type ReceivedMessage, type SendData } from "./message.ts";

/** Options of {@link UnixSocket.connect}. */
export interface UnixConnectOptions {
  /** The socket type; it must match the listener's. Default `"stream"`. */
  readonly type?: SocketType;
  /** Create the socket nonblocking: `send` and `recv` return `null` instead of waiting. Default false. */
  readonly nonblocking?: boolean;
}

/** Options of {@link UnixSocket.bind}. */
export interface UnixBindOptions {
  /** Only `"dgram"`: stream and seqpacket servers are {@link UnixListener}s. Default `"dgram"`. */
  readonly type?: "dgram";
  /** Create the socket nonblocking. Default false. */
  readonly nonblocking?: boolean;
}

/** Options of {@link UnixSocket.send} and {@link UnixSocket.sendTo}. */
export interface UnixSendOptions {
  /**
   * Descriptors to pass (SCM_RIGHTS). The receiver gets its own copies; yours stay open. Linux
   * passes at most 253 per message (more is EINVAL), macOS 512.
   */
  readonly fds?: readonly number[];
}

/** Options of {@link UnixSocket.recv}. */
export interface UnixRecvOptions {
  /**
   * How many received descriptors to return, 0 to 65536; default 0. Any beyond them are closed
   * and `truncated` is set: a descriptor is never leaked.
   */
  readonly maxFds?: number;
}

export type { SocketPath } from "./address.ts";
export type { PeerCredentials } from "./credentials.ts";
export type { ReceivedMessage, SendData } from "./message.ts";
export type { ShutdownHow, SocketType } from "./kernel.ts";

const MAX_RECEIVE_SIZE = 0x7fffffff;
const MAX_FDS = 65536;
const ALL_TYPES: readonly SocketType[] = ["stream", "dgram", "seqpacket"];
const SHUTDOWN_HOWS: readonly ShutdownHow[] = ["read", "write", "both"];

let wrap: (fd: number, type: SocketType, nonblocking: boolean, bound: BoundPath | null) => UnixSocket;

/**
 * Makes a UnixSocket for a descriptor this library just created and prepared.
 * @internal
 */
export function wrapSocket(fd: number, type: SocketType, nonblocking: boolean): UnixSocket {
  return wrap(fd, type, nonblocking, null);
}

/**
 * A Unix-domain socket. Make one with {@link UnixSocket.connect}, {@link UnixSocket.bind}
 * (datagram), {@link socketpair}, {@link UnixListener.accept}, {@link UnixSocket.fromFd} or, in a
 * child, {@link childChannel}.
 *
 * The socket owns its descriptor: `close()` (or `using`) releases it, and a bound datagram
 * socket's `close()` also removes its socket file. If it is garbage-collected unclosed, a
 * finalizer closes the descriptor and logs a warning, but leaves any socket file in place.
 *
 * Blocking unless made `nonblocking`: then `send` and `recv` return `null` where they would wait.
 * A blocking `recv` blocks the whole JS thread (as `Atomics.wait` does); in a program that must
 * stay responsive, make the socket nonblocking and wait for readiness with an `Epoll`, `Kqueue`
 * or `Poller` on `fd`. Every descriptor is close-on-exec. Writing to a socket whose peer has gone
 * is an `EPIPE` error, never a SIGPIPE that kills the process.
 *
 * @example
 * ```ts
 * import { socketpair } from "bunix";
 * const [a, b] = socketpair("seqpacket");
 * a.send("ping");
 * const message = b.recv(64)!;
 * console.assert(new TextDecoder().decode(message.data) === "ping");
 * a.close(); b.close();
 * ```
 */
export class UnixSocket extends FdResource {
  static {
    wrap = (fd, type, nonblocking, bound) => new UnixSocket(fd, type, nonblocking, bound);
  }

  readonly #type: SocketType;
  #nonblocking: boolean;
  #bound: BoundPath | null;

  private constructor(fd: number, type: SocketType, nonblocking: boolean, bound: BoundPath | null) {
    super(fd, "UnixSocket");
    this.#type = type;
    this.#nonblocking = nonblocking;
    this.#bound = bound;
  }

  /**
   * socket(2) + connect(2): connects to the listener (or, for `"dgram"`, the bound socket) at
   * `path`. A path starting with `"\0"` is a Linux abstract name.
   *
   * Made nonblocking, a connect to a stream listener whose backlog is full fails with EAGAIN
   * (Linux) instead of waiting for room.
   *
   * @param path - the socket file: a string (UTF-8) or its exact bytes, at most 108 bytes on Linux
   *   (filling sun_path, no NUL), 103 on BSD and macOS.
   * @throws SystemError ENOENT (no such socket), ECONNREFUSED (nobody listening, or the listener
   *   is closed), EPROTOTYPE (the type differs from the listener's), EACCES, EAGAIN (see above).
   * @throws RangeError when `path` is empty or too long; TypeError for bad arguments.
   * @throws SystemError ENOTSUP for an abstract name off Linux, or seqpacket where unsupported.
   * @example
   * ```ts
   * import { UnixListener, UnixSocket } from "bunix";
   * using server = UnixListener.bind("/tmp/demo.sock");
   * using client = UnixSocket.connect("/tmp/demo.sock");
   * using peer = server.accept()!;
   * client.send("hi");
   * console.assert(peer.recv(16)!.bytes === 2);
   * ```
   */
  static connect(path: SocketPath, options?: UnixConnectOptions): UnixSocket {
    const opts = validateOptions(options);
    const type = opts.type === undefined ? "stream" : validateChoice(opts.type, "options.type", ALL_TYPES);
    const nonblocking = validateBoolean(opts.nonblocking, "options.nonblocking", false);
    const address = encodeAddress(path, "path", "UnixSocket.connect");
    checkTypeSupported(type, "UnixSocket.connect");
    const fd = openSocket(type, nonblocking);
    const { symbols } = socketKernel();
    // A Unix connect interrupted while waiting for room in the backlog has not connected, so a
    // retry is a fresh attempt.
    const { result, errno } = retryInterrupted(() => symbols.connect(fd, address.bytes, address.length));
    if (result !== 0) {
      closeDescriptor(fd);
      throw SystemError.fromErrno(errno, "connect", address.display);
    }
    return new UnixSocket(fd, type, nonblocking, null);
  }

  /**
   * socket(2) + bind(2): a datagram socket bound at `path`, which receives what others `sendTo`
   * that path and sends with `path` as its address (the receiver's `from`). Closing it removes the
   * socket file, if the path still names the file it created.
   *
   * An existing file at `path` is never removed: bind fails with EADDRINUSE.
   *
   * @throws SystemError EADDRINUSE (something exists at `path`), ENOENT (no such directory),
   *   EACCES. RangeError / TypeError for bad arguments; ENOTSUP for an abstract name off Linux.
   * @example
   * ```ts
   * import { UnixSocket } from "bunix";
   * using server = UnixSocket.bind("/tmp/demo-dgram.sock");
   * using client = UnixSocket.bind("/tmp/demo-client.sock");
   * client.sendTo("/tmp/demo-dgram.sock", "hello");
   * console.assert(server.recv(64)!.from === "/tmp/demo-client.sock");
   * ```
   */
  // `override`: a static `bind` shadows Function.prototype.bind on the class, by design of the API.
  static override bind(path: SocketPath, options?: UnixBindOptions): UnixSocket {
    const opts = validateOptions(options);
    if (opts.type !== undefined) validateChoice(opts.type, "options.type", ["dgram"]);
    const nonblocking = validateBoolean(opts.nonblocking, "options.nonblocking", false);
    const address = encodeAddress(path, "path", "UnixSocket.bind");
    const fd = openSocket("dgram", nonblocking);
    if (socketKernel().symbols.bind(fd, address.bytes, address.length) !== 0) {
      const error = SystemError.fromErrno(readErrnoNow(), "bind", address.display);
      closeDescriptor(fd);
      throw error;
    }
    return new UnixSocket(fd, "dgram", nonblocking, address.abstract ? null : BoundPath.record(address.given));
  }

  /**
   * Takes ownership of `fd`, an open Unix-domain socket that is connected or bound (one received
   * with `recv`, or inherited), and makes it close-on-exec. Its type and blocking mode are read
   * from the descriptor. A bound datagram socket taken this way never removes its socket file:
   * whoever bound it owns that.
   *
   * Everything is checked before anything is changed: on any error the descriptor is left open,
   * untouched, and still yours. A listening socket belongs to {@link UnixListener.fromFd}.
   *
   * @throws SystemError EBADF (not open), ENOTSOCK (not a socket), EINVAL (a socket of another
   *   family or type, or a listening socket). RangeError / TypeError for a bad `fd`.
   * @example
   * ```ts
   * import { UnixSocket } from "bunix";
   * const { fds } = carrier.recv(1, { maxFds: 1 })!;
   * using passed = UnixSocket.fromFd(fds[0]!);
   * passed.send("hello through a passed socket");
   * ```
   */
  static fromFd(fd: number): UnixSocket {
    validateFd(fd);
    return adoptSocket(fd, "UnixSocket.fromFd");
  }

  /** The socket type: `"stream"`, `"dgram"` or `"seqpacket"`. */
  get type(): SocketType {
    return this.#type;
  }

  /** Whether the socket is in nonblocking mode. */
  get nonblocking(): boolean {
    return this.#nonblocking;
  }

  /**
   * sendmsg(2): sends `data` and, with `fds`, descriptors (SCM_RIGHTS). A list of buffers is
   * gathered into one message in order; strings are sent as UTF-8. Returns the bytes sent, or
   * `null` when the socket is nonblocking and the call would block (nothing was sent).
   *
   * On a stream socket a blocking send may return fewer bytes than given only when interrupted
   * by a signal; a nonblocking one sends what fits. Descriptors travel with the first byte.
   * Datagram and seqpacket messages are sent whole or not at all (EMSGSIZE when too large).
   * Sends carry MSG_NOSIGNAL (SO_NOSIGPIPE on macOS), so a peer that has gone is EPIPE.
   * On a stream socket, descriptors need at least one byte of data: the kernel sends nothing for
   * zero bytes, so they would never arrive (RangeError).
   *
   * @throws SystemError EPIPE (the peer closed or shut down reading), ECONNRESET, ENOTCONN,
   *   EMSGSIZE, EBADF (a closed descriptor in `fds`), EINVAL (too many `fds`), ETOOMANYREFS,
   *   EBADF when this socket is closed. TypeError / RangeError for bad arguments, and
   *   RangeError for `fds` with empty `data` on a stream socket.
   * @example
   * ```ts
   * import { openSync } from "node:fs";
   * const file = openSync("/etc/hostname", "r");
   * sock.send([header, body], { fds: [file] });   // the receiver gets its own copy of file
   * ```
   */
  send(data: SendData, options?: UnixSendOptions): number | null {
    // The common case, bytes alone: send(2), without a msghdr to fill.
    if (options === undefined && data instanceof Uint8Array) {
      const sent = sendFrom(this.openFd("send"), data, data.length);
      return sent < 0 ? null : sent;
    }
    const fds = options === undefined ? noFds : validateFdList(validateOptions(options).fds, "options.fds");
    if (fds.length > 0 && this.#type === "stream" && carriesNoBytes(data)) {
      throw outOfRange("data", "at least one byte long when options.fds is given on a stream socket", data);
    }
    return sendMessage(this.openFd("send"), data, fds, null);
  }

  /**
   * sendmsg(2) with a destination: sends one datagram to the socket bound at `path`. Returns the
   * bytes sent, or `null` when nonblocking and the receiver's queue is full.
   * `path` may be bytes, such as a received message's `fromBytes`.
   *
   * @throws SystemError ENOENT (nothing bound there), ECONNREFUSED (the file exists but nobody is
   *   bound), EISCONN (this socket is connected), EMSGSIZE, EAGAIN-as-`null`. RangeError /
   *   TypeError for bad arguments.
   * @example
   * ```ts
   * import { UnixSocket } from "bunix";
   * using client = UnixSocket.bind("/tmp/client.sock");
   * client.sendTo("/tmp/server.sock", "ping");
   * ```
   */
  sendTo(path: SocketPath, data: SendData, options?: UnixSendOptions): number | null {
    const fds = options === undefined ? noFds : validateFdList(validateOptions(options).fds, "options.fds");
    const address = encodeAddress(path, "path", "UnixSocket.sendTo");
    return sendMessage(this.openFd("sendTo"), data, fds, address);
  }

  /**
   * recvmsg(2): receives into `bufferOrSize` (your buffer, or a new one of that many bytes).
   * Returns `{ bytes, data, fds, truncated, from }`, or `null` when the socket is nonblocking and
   * nothing is waiting.
   *
   * - `bytes: 0` is the end of the stream on stream and seqpacket sockets (the peer closed or
   *   shut down writing), and an empty message on dgram sockets.
   * - Message boundaries are kept on dgram and seqpacket sockets: one call, one message; a
   *   message longer than the buffer is cut and `truncated` is set.
   * - Received descriptors are close-on-exec and belong to you: close them. The first `maxFds`
   *   (default 0) are returned; any others are closed and `truncated` is set.
   * - `from` is the sender's path on a dgram socket (`null` if it is unbound), else `null`.
   * - `fromBytes` is the same address as the kernel gave it, as bytes: reply with
   *   `sendTo(message.fromBytes)`, which works for names that are not UTF-8 too.
   *
   * @throws SystemError ECONNRESET, ENOTCONN, EBADF when closed. TypeError / RangeError for bad
   *   arguments.
   * @example
   * ```ts
   * const message = sock.recv(4096, { maxFds: 4 });
   * if (message !== null) {
   *   for (const fd of message.fds) console.log("got descriptor", fd);
   *   console.log(new TextDecoder().decode(message.data));
   * }
   * ```
   */
  recv(bufferOrSize: Uint8Array | number, options?: UnixRecvOptions): ReceivedMessage | null {
    // The commonest call, into the caller's buffer with no options, on a socket without senders' addresses.
    if (options === undefined && bufferOrSize instanceof Uint8Array && this.#type !== "dgram") {
      return receivePlain(this.openFd("recv"), bufferOrSize);
    }
    let target: Uint8Array;
    if (typeof bufferOrSize === "number") {
      target = new Uint8Array(new ArrayBuffer(validateInteger(bufferOrSize, "bufferOrSize", 0, MAX_RECEIVE_SIZE)));
    } else if (bufferOrSize instanceof Uint8Array) {
      target = bufferOrSize;
    } else {
      throw invalidType("bufferOrSize", "a Uint8Array or a number", bufferOrSize);
    }
    let maxFds = 0;
    if (options !== undefined) {
      const { maxFds: given } = validateOptions(options);
      if (given !== undefined) maxFds = validateInteger(given, "options.maxFds", 0, MAX_FDS);
    }
    return receiveMessage(this.openFd("recv"), target, maxFds, this.#type === "dgram");
  }

  /**
   * getsockopt SO_PEERCRED (Linux) / LOCAL_PEERCRED + LOCAL_PEERPID (macOS) / LOCAL_PEERCRED
   * (FreeBSD): the pid, effective uid and gid of the peer process, as they were when the
   * connection was made (connect, accept or socketpair). FreeBSD gives the pid from 13.0; where
   * the platform cannot tell, `pid` is -1 (macOS and FreeBSD paths are untested here).
   *
   * For a socketpair both ends name the process that made the pair, wherever an end travels
   * later: on a `spawnWithChannel` channel the parent's end and the child's end both name
   * the parent, never the child (take the child's pid from `process.pid` of what
   * `spawnWithChannel` returned).
   *
   * @throws SystemError ENOTCONN (not connected; on Linux an unconnected socket reads pid 0),
   *   EINVAL, EBADF when closed.
   * @example
   * ```ts
   * import { socketpair } from "bunix";
   * const [a, b] = socketpair("stream");
   * console.assert(a.peerCredentials().pid === process.pid);
   * a.close(); b.close();
   * ```
   */
  peerCredentials(): PeerCredentials {
    return readPeerCredentials(this.openFd("peerCredentials"));
  }

  /**
   * shutdown(2): closes one or both directions of the connection, for the peer too, while the
   * descriptor stays open: after `"write"` the peer's `recv` reads the end of the stream
   * (`bytes: 0`); after `"read"` this side's `recv` does. Default `"both"`.
   *
   * @throws SystemError ENOTCONN (not connected), EBADF when closed. TypeError for a bad `how`.
   * @example
   * ```ts
   * sock.send("last words");
   * sock.shutdown("write");   // the peer reads the message, then bytes: 0
   * ```
   */
  shutdown(how: ShutdownHow = "both"): void {
    const which = validateChoice(how, "how", SHUTDOWN_HOWS);
    const fd = this.openFd("shutdown");
    const k = socketKernel();
    if (k.symbols.shutdown(fd, k.shut[which]) !== 0) throw SystemError.fromErrno(readErrnoNow(), "shutdown");
  }

  /**
   * fcntl(F_SETFL, O_NONBLOCK): turns nonblocking mode on or off.
   * @throws SystemError EBADF when closed; TypeError when `on` is not a boolean.
   * @example
   * ```ts
   * sock.setNonblocking(true);
   * const message = sock.recv(64);   // null: nothing waiting
   * ```
   */
  setNonblocking(on: boolean): void {
    if (typeof on !== "boolean") throw invalidType("on", "of type boolean", on);
    setNonblocking(this.openFd("setNonblocking"), on);
    this.#nonblocking = on;
  }

  /**
   * fcntl(F_DUPFD_CLOEXEC) + close(2): hands the socket over as a plain descriptor that you now
   * own, and closes this object. The number may differ from `fd`. A bound datagram socket's file
   * is no longer removed by anyone.
   *
   * Use it to give a connected stream socket to Bun's own event loop with `Bun.connect({ fd })`,
   * which closes the descriptor when the Bun socket closes. `fd` is accepted by Bun 1.4.5 but
   * missing from its `connect` typings, so it needs a cast.
   *
   * @throws SystemError EMFILE, EBADF when closed.
   * @example
   * ```ts
   * import { socketpair } from "bunix";
   * const [mine, theirs] = socketpair("stream");
   * const connect = Bun.connect as unknown as (options: { fd: number; socket: Bun.SocketHandler }) => Promise<Bun.Socket>;
   * const bunSocket = await connect({ fd: mine.detach(), socket: { data(_s, bytes) { console.log(bytes); } } });
   * theirs.send("to Bun's loop");
   * ```
   */
  detach(): number {
    const copy = duplicateDescriptor(this.openFd("detach"));
    this.#bound = null;
    this.close();
    return copy;
  }

  /** Removes the socket file of a bound datagram socket, if it is still ours. */
  protected override releaseResources(): void {
    this.#bound?.remove();
    this.#bound = null;
  }
}

const noFds: readonly number[] = Object.freeze([]);

/** Whether `data` is valid and empty: `""`, an empty buffer, or a list of those. Bad types are left to `sendMessage`. */
function carriesNoBytes(data: unknown): boolean {
  if (typeof data === "string") return data.length === 0;
  if (data instanceof Uint8Array) return data.byteLength === 0;
  if (Array.isArray(data)) return data.every(carriesNoBytes);
  return false;
}

/**
 * Wraps an open descriptor after checking that it is a Unix-domain socket that is not listening;
 * takes ownership and makes it close-on-exec. `method` names the caller in errors. A descriptor
 * that fails a check is left as it was.
 * @internal
 */
export function adoptSocket(fd: number, method: string): UnixSocket {
  const { type, nonblocking } = inspectSocket(fd, method, false);
  setCloseOnExec(fd);
  setNoSigpipe(fd);
  return wrap(fd, type, nonblocking, null);
}
