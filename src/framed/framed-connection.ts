/**
 * `FramedConnection`: whole messages over a Unix stream socket, each sent as a 4-byte unsigned
 * big-endian length and the payload, nonblocking on both sides.
 *
 * @module
 */
import { SystemError, closedError, invalidType, invalidValue } from "../core/errors.ts";
import { recvInto } from "../socket/stream-io.ts";
import { UnixSocket } from "../socket/unix-socket.ts";
import { validateOptions } from "../core/validate.ts";
import { decoderFor, type FrameDecoder } from "./frame-decoder.ts";
import { DEFAULT_MAX_MESSAGE_SIZE, validateMaxMessageSize } from "./frame-limits.ts";
import { SendQueue } from "./send-queue.ts";

/** Options of {@link FramedConnection}. */
export interface FramedConnectionOptions {
  /**
   * The longest message, in bytes, sent or received: 0 to 2^32 - 1, default 16 MiB. Sending a
   * longer one is a RangeError; a peer announcing one fails the connection with EMSGSIZE.
   */
  readonly maxMessageSize?: number;
}

/**
 * Length-prefixed messages over a connected Unix stream socket: every message is a frame of a
 * 4-byte unsigned big-endian length, then that many bytes (zero is a valid length).
 *
 * The connection takes the socket over: it puts it in nonblocking mode, and `close()` (or
 * `using`) closes the socket. Do not read from or write to the socket yourself meanwhile; use
 * {@link FramedConnection.socket} or {@link FramedConnection.fd} only to wait for readiness
 * with a `Poller`, `Epoll` or `Kqueue`.
 *
 * - {@link FramedConnection.send} only queues; {@link FramedConnection.flush} writes what the
 *   socket takes, returning true once the queue is empty. While `wantsWrite` is true, wait for
 *   the socket to be writable and flush again.
 * - {@link FramedConnection.receive} returns one whole message or `null`; frames may arrive
 *   split anywhere or many per read. Call it until `null` whenever the socket is readable.
 * - The peer closing between frames makes `ended` true. Closing in the middle of a frame makes
 *   `receive` throw `SystemError` EPROTO once, after every whole message before it; then `ended`
 *   is true and `receive` returns `null`.
 * - A peer announcing a message above `maxMessageSize` fails the receiving side: after the whole
 *   messages before it, every `receive` throws `SystemError` EMSGSIZE. Nothing of the announced
 *   size is allocated. Close the connection.
 *
 * Close it when done: a connection dropped unclosed leaves its socket to the socket's own
 * garbage-collection safety net, which closes the descriptor and logs a warning.
 *
 * Not thread-safe; one connection belongs to one thread (a socket can be sent to a Worker's own
 * connection as a descriptor).
 *
 * @example
 * ```ts
 * import { FramedConnection, socketpair } from "bunix";
 * const [a, b] = socketpair("stream");
 * using left = new FramedConnection(a);
 * using right = new FramedConnection(b);
 * left.send("hello");
 * left.send(new Uint8Array([1, 2, 3]));
 * console.assert(left.flush());
 * console.assert(new TextDecoder().decode(right.receive()!) === "hello");
 * console.assert(right.receive()!.length === 3);
 * console.assert(right.receive() === null);   // nothing more yet
 * ```
 */
export class FramedConnection implements Disposable {
  readonly #socket: UnixSocket;
  #max: number;
  readonly #decoder: FrameDecoder;
  readonly #queue = new SendQueue();

  /**
   * fcntl(F_SETFL, O_NONBLOCK): takes `socket` over and makes it nonblocking.
   *
   * @param socket - a connected Unix stream socket (from `socketpair("stream")`,
   *   `UnixSocket.connect`, `UnixListener.accept`, …). It now belongs to the connection.
   * @throws TypeError when `socket` is not a UnixSocket, or not a stream socket (frames need a
   *   byte stream; a datagram or seqpacket socket would cut them); TypeError / RangeError for a bad
   *   `maxMessageSize`.
   * @throws SystemError EBADF when the socket is closed.
   * @example
   * ```ts
   * import { FramedConnection, UnixSocket } from "bunix";
   * using conn = new FramedConnection(UnixSocket.connect("/tmp/echo.sock"), { maxMessageSize: 1 << 20 });
   * ```
   */
  constructor(socket: UnixSocket, options?: FramedConnectionOptions) {
    if (!(socket instanceof UnixSocket)) throw invalidType("socket", "a UnixSocket", socket);
    if (socket.type !== "stream") throw invalidValue("socket", "must be a stream socket", socket.type);
    const { maxMessageSize } = validateOptions(options);
    this.#max = maxMessageSize === undefined ? DEFAULT_MAX_MESSAGE_SIZE : validateMaxMessageSize(maxMessageSize, "options.maxMessageSize");
    if (socket.closed) throw new SystemError("EBADF", "FramedConnection", "the socket is closed");
    if (!socket.nonblocking) socket.setNonblocking(true);
    this.#socket = socket;
    this.#decoder = decoderFor("FramedConnection.receive", this.#max);
  }

  /**
   * The socket the connection owns, for waiting on its readiness. Reading or writing it directly
   * would corrupt the framing.
   */
  get socket(): UnixSocket {
    return this.#socket;
  }

  /** The socket's descriptor, to register with a `Poller`; -1 once closed. */
  get fd(): number {
    return this.#socket.fd;
  }

  /** Whether the connection (its socket) is closed. */
  get closed(): boolean {
    return this.#socket.closed;
  }

  /**
   * True once the peer has closed and everything before that was received: every whole message
   * and, if it closed mid-frame, the EPROTO error. Becomes true only through `receive`.
   */
  get ended(): boolean {
    return this.#decoder.ended;
  }

  /**
   * Whether `receive` has something without reading the socket: a whole message decoded already
   * (from a read that brought several), or the error it will throw. When false, wait for the
   * socket to be readable before calling `receive` again.
   */
  get messageReady(): boolean {
    return this.#decoder.ready;
  }

  /** Bytes queued by `send` and not yet written by `flush`, the 4-byte headers included. */
  get pendingBytes(): number {
    return this.#queue.pendingBytes;
  }

  /** Whether `flush` has something to write: wait for the socket to be writable, then flush. */
  get wantsWrite(): boolean {
    return this.#queue.pendingBytes > 0;
  }

  /** The longest message sent or received, in bytes. */
  get maxMessageSize(): number {
    return this.#max;
  }

  /**
   * Changes the limit for later `send` calls and for frames whose header has not been received
   * yet. Frames already queued or already decoded are not checked again.
   * @throws TypeError / RangeError unless `n` is an integer from 0 to 2^32 - 1.
   * @throws SystemError EBADF when the connection is closed.
   * @example
   * ```ts
   * conn.setMaxMessageSize(64 * 1024);
   * console.assert(conn.maxMessageSize === 65536);
   * ```
   */
  setMaxMessageSize(n: number): void {
    const max = validateMaxMessageSize(n, "n");
    this.#check("setMaxMessageSize");
    this.#max = max;
    this.#decoder.setMaxMessageSize(max);
  }

  /**
   * No system call: queues one message as a frame; nothing is written until
   * {@link FramedConnection.flush}.
   * A string is sent as UTF-8. A Uint8Array of more than 512 bytes is queued without a copy, so
   * leave it unchanged until `flush` has returned true (or `pendingBytes` has reached 0).
   *
   * @throws RangeError when the message is longer than `maxMessageSize`; nothing is queued.
   * @throws TypeError when `message` is neither a Uint8Array nor a string.
   * @throws SystemError EBADF when the connection is closed.
   * @example
   * ```ts
   * conn.send("ping");
   * conn.send(new Uint8Array(0));   // an empty message is a frame too
   * console.assert(conn.pendingBytes === 4 + 4 + 4);
   * conn.flush();
   * ```
   */
  send(message: Uint8Array | string): void {
    this.#check("send");
    this.#queue.enqueue(message, this.#max);
  }

  /**
   * Writes the queued frames, repeated until the queue is empty or the socket would block: send(2)
   * when they sit in one segment (small frames queued together share one), else sendmsg(2) with
   * up to 64 segments gathered. Returns true when everything queued has been written, false when some is left
   * (the socket's buffer is full: flush again once it is writable). A partial write resumes at
   * the exact byte where it stopped.
   *
   * @throws SystemError EPIPE (the peer closed or shut down reading), ECONNRESET, from send or sendmsg;
   *   the unwritten bytes stay queued. EBADF when the connection is closed.
   * @example
   * ```ts
   * conn.send(bigMessage);
   * if (!conn.flush()) poller.modify(conn.fd, Interest.READABLE | Interest.WRITABLE);
   * ```
   */
  flush(): boolean {
    return this.#queue.flush(this.#check("flush"));
  }

  /**
   * recv(2) into the connection's read buffer, as often as needed, until one whole message is
   * there. Returns it (a new Uint8Array that is yours), or `null` when none is complete and the
   * socket has nothing more (or the stream has ended: see `ended`). Descriptors a peer sends
   * are never taken: the kernel closes them.
   *
   * @throws SystemError EPROTO once, after every whole message before it, when the peer closed in
   *   the middle of a frame. EMSGSIZE, on this and every later call, when the peer announced a
   *   message above `maxMessageSize`. ECONNRESET from recv. EBADF when the connection is
   *   closed.
   * @example
   * ```ts
   * for (let message = conn.receive(); message !== null; message = conn.receive()) {
   *   handle(message);
   * }
   * if (conn.ended) conn.close();
   * ```
   */
  receive(): Uint8Array | null {
    const fd = this.#check("receive").fd;
    const decoder = this.#decoder;
    for (;;) {
      const message = decoder.next();
      if (message !== null || decoder.inputClosed) return message;
      const target = decoder.readTarget();
      const got = recvInto(fd, target, target.length);
      if (got < 0) return null;
      if (got === 0) decoder.end();
      else decoder.commit(got);
    }
  }

  /**
   * close(2) on the socket. Queued frames not yet written are dropped; so are received bytes
   * not yet returned. Idempotent.
   * @throws SystemError from close(2) only when the descriptor was closed behind the socket's back.
   * @example
   * ```ts
   * conn.close();
   * console.assert(conn.closed && conn.socket.closed);
   * ```
   */
  close(): void {
    this.#queue.clear();
    this.#socket.close();
  }

  /** Closes the connection and its socket, so that `using` works. */
  [Symbol.dispose](): void {
    this.close();
  }

  /** The socket, for a method about to use it; EBADF naming the method once closed. */
  #check(method: string): UnixSocket {
    if (this.#socket.closed) throw closedError("FramedConnection", method);
    return this.#socket;
  }
}
