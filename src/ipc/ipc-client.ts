/**
 * `IpcClient`: a framed connection to a Unix-socket server and a ping timer in one `Poller`, for
 * the caller to drive: `poll` says what happened, `process` handles it. The library never runs a
 * loop of its own (the librabc pattern), so the same client fits a blocking loop, an `await` loop,
 * or someone else's event loop watching `client.fd`.
 *
 * @module
 */
import type { WaitAsyncOptions } from "../async/wait-async.ts";
import { SystemError, closedError, invalidType, outOfRange } from "../core/errors.ts";
import { FramedConnection } from "../framed/framed-connection.ts";
import { Interest, type PollEvents, Poller, type Timer } from "../poller/index.ts";
import { pollEventReadiness } from "../poller/poll-events.ts";
import { READY_ERROR, READY_HANGUP, READY_READABLE, READY_WRITABLE } from "../poller/registration.ts";
import { UnixSocket } from "../socket/unix-socket.ts";
import { validateTimeout } from "../core/timeout.ts";
import { validateOptions } from "../core/validate.ts";
import { EVENTS, type IpcEvent, eventKind } from "./ipc-events.ts";
import { decodePing, encodePing } from "./ping-frame.ts";

/** The data of the client's two registrations in its Poller. */
const CONNECTION = 0;
const TIMER = 1;
const DEFAULT_PING_INTERVAL_MS = 2000;
const MAX_PING_INTERVAL_MS = 0x7fffffff;

/** Options of {@link IpcClient.connect}. */
export interface IpcClientOptions {
  /**
   * How often the timer fires, in ms: each `"timer"` event given to `process` sends one ping.
   * Default 2000; 0 for no timer (pings only through {@link IpcClient.ping}).
   */
  readonly pingIntervalMs?: number;
  /** The longest message sent or received, in bytes; default 16 MiB (as `FramedConnection`). */
  readonly maxMessageSize?: number;
}

/** The echo of one of the client's own pings, decoded by {@link IpcClient.pingReply}. */
export interface IpcPingReply {
  /** The ping's sequence number: 1 for the client's first ping, then 2, 3, … */
  readonly sequence: number;
  /** Milliseconds from sending the ping to this call. */
  readonly roundTripMs: number;
}

/**
 * A client of a framed-message server on a Unix stream socket (such as `bunix-echo`): one
 * {@link FramedConnection} and one repeating ping timer, both registered in one `Poller`.
 *
 * **Driving it.** `poll(timeoutMs)` waits and returns what happened as {@link IpcEvent}s;
 * `process(event)` handles one of them and returns a received message, if any. `pollAsync` does
 * the same wait without blocking the JS thread. You choose the loop:
 *
 * - **Blocking** (a tool, a Worker): `for (;;) for (const e of client.poll()) …process(e)`.
 * - **Async** (the main thread of a program that also reacts to signals and timers):
 *   `for (;;) for (const e of await client.pollAsync()) …`.
 * - **Someone else's loop:** watch `client.fd` (the Poller's descriptor, readable when `poll` would
 *   find something; epoll, and kqueue on macOS and FreeBSD) and call `poll(0)` when it is readable.
 *
 * **One message per readable event; none lost.** `process` of a `"readable"` event returns at most
 * one message. When it returns one, the client assumes more may already be waiting (in its decoder,
 * where the Poller cannot see them), and the next `poll` reports `"readable"` again without waiting,
 * until a `process` (or `receive`) finds nothing more. So: go back to `poll` until it returns no
 * events before you wait on `client.fd` from outside. `receive()` takes such messages directly.
 *
 * **Sending.** `send` queues a frame and writes what the socket takes at once; the rest is written
 * when `poll` reports `"writable"` and you `process` it. `pendingBytes` says what is left.
 *
 * **Pings.** A `"timer"` event, processed, sends a 24-byte ping frame (see {@link IpcClient.ping});
 * an echo server sends it back, and {@link IpcClient.pingReply} turns the echo into its sequence
 * number and round-trip time. Ignore `"timer"` events (do not process them) to skip a ping.
 *
 * **The end.** When the server closes the connection, the client first returns every message the
 * server sent, then `poll` reports `"hangup"` (at once, from then on): close the client.
 * Protocol failures are thrown by `process`/`receive`: EPROTO (the server closed in the middle of a
 * frame) and EMSGSIZE (it announced a message above `maxMessageSize`); after either, `poll` reports
 * `"hangup"`.
 *
 * **Refused (ECONNREFUSED).** A server at its client limit (as `bunix-echo --max-clients`) accepts
 * the connection and closes it at once, so `connect` succeeds. The client reports the refusal from
 * the **first `process` (of a `"readable"` event) or `receive` that finds the connection over
 * before any message arrived from the server**: a `SystemError` with code `ECONNREFUSED`, syscall
 * `"IpcClient.process"` (or `"IpcClient.receive"`) and the socket path. The connection is over when
 * the stream ends, when it is reset (ECONNRESET), or when a write to it has failed (EPIPE); the
 * `poll` before that call reports `"readable"`. A server that closes the connection after having
 * sent at least one message is a `"hangup"` instead. (A client that never sends anything gets no
 * message, so a server shutting down is then reported as ECONNREFUSED too: the two look the same
 * from the client's side.)
 *
 * Resource rules as elsewhere: `close()` is idempotent and closes the socket and the Poller, `using`
 * works, and using a closed client throws EBADF. A client garbage-collected unclosed has its socket
 * and Poller closed by their own safety nets, each logging a warning.
 *
 * @example
 * ```ts
 * import { IpcClient } from "bunix";
 * using client = IpcClient.connect("/tmp/bunix-echo.sock", { pingIntervalMs: 1000 });
 * client.send("hello");
 * for (let replies = 0; replies < 3; ) {
 *   for (const event of client.poll(5000)) {
 *     if (event.kind === "hangup") throw new Error("the server went away");
 *     const message = client.process(event);
 *     if (message === null) continue;
 *     replies++;
 *     const ping = client.pingReply(message);
 *     console.log(ping ? `ping ${ping.sequence}: ${ping.roundTripMs.toFixed(3)} ms` : new TextDecoder().decode(message));
 *   }
 * }
 * ```
 */
export class IpcClient implements Disposable {
  readonly #path: string;
  readonly #connection: FramedConnection;
  readonly #poller: Poller<number>;
  #timer: Timer | null;
  /** Random per client: tells this client's pings from others' (see ping-frame.ts). */
  readonly #id = (Math.random() * 0x1_0000_0000) >>> 0;
  #pingsSent = 0;
  #received = 0;
  #interest: number = Interest.READABLE;
  /** The last read returned a message: more may be decoded already, where the Poller cannot see. */
  #mayHaveMore = false;
  /** A write failed because the server is gone; reading finds out the rest. */
  #writeFailed = false;
  /** Nothing more will be received: the next polls report "hangup". */
  #ended = false;
  #closed = false;

  private constructor(path: string, connection: FramedConnection, poller: Poller<number>, timer: Timer | null) {
    this.#path = path;
    this.#connection = connection;
    this.#poller = poller;
    this.#timer = timer;
  }

  /**
   * socket(2) + connect(2) to the server at `path` (a blocking connect, then the socket is made
   * nonblocking), and a Poller with the connection and, unless `pingIntervalMs` is 0, a repeating
   * timer.
   *
   * Connecting succeeds as soon as the server's kernel queues the connection, so a server that
   * refuses clients beyond a bound is reported later (see the class documentation: ECONNREFUSED).
   *
   * @param path - the server's socket path (or a `"\0"`-prefixed Linux abstract name).
   * @param options - `pingIntervalMs` (default 2000, 0 for none), `maxMessageSize`.
   * @throws SystemError ENOENT (no socket at `path`), ECONNREFUSED (a socket file nobody listens
   *   on, such as one a crashed server left), EACCES, from connect(2); EMFILE and the like.
   * @throws TypeError / RangeError for a bad path or options (`pingIntervalMs` must be a finite
   *   number from 0 to 2^31 - 1).
   * @example
   * ```ts
   * using client = IpcClient.connect("/tmp/bunix-echo.sock", { pingIntervalMs: 0, maxMessageSize: 1 << 20 });
   * ```
   */
  static connect(path: string, options?: IpcClientOptions): IpcClient {
    const { pingIntervalMs, maxMessageSize } = validateOptions(options);
    const interval = readInterval(pingIntervalMs);
    const socket = UnixSocket.connect(path);
    let connection: FramedConnection | undefined;
    let poller: Poller<number> | undefined;
    try {
      connection = new FramedConnection(socket, { maxMessageSize });
      poller = new Poller<number>();
      poller.add(connection.fd, Interest.READABLE, CONNECTION);
      const timer = interval > 0 ? poller.addTimer(interval, { repeat: true }, TIMER) : null;
      return new IpcClient(path, connection, poller, timer);
    } catch (error) {
      poller?.close();
      if (connection === undefined) socket.close();
      else connection.close();
      throw error;
    }
  }

  /** The server's socket path, as given to `connect`. */
  get path(): string {
    return this.#path;
  }

  /**
   * The Poller's descriptor (epoll or kqueue), -1 once closed: readable when `poll` would report
   * something, for watching the client from another event loop. Messages the client has decoded
   * but not returned do not make it readable: `poll(0)` until it returns no events first.
   */
  get fd(): number {
    return this.#closed ? -1 : this.#poller.fd;
  }

  /** Whether `close()` has been called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** True once the server has closed the connection and everything it sent has been returned. */
  get ended(): boolean {
    return this.#ended;
  }

  /** How many pings the client has sent (the last sequence number). */
  get pingsSent(): number {
    return this.#pingsSent;
  }

  /** Bytes queued by `send` (and pings) not yet written, frame headers included. */
  get pendingBytes(): number {
    // After a failed write the queue can never be written: it counts as dropped.
    return this.#closed || this.#writeFailed ? 0 : this.#connection.pendingBytes;
  }

  /**
   * `epoll_wait(2)` or `kevent(2)` on the client's Poller: waits up to `timeoutMs` for something
   * to happen and returns it, at most one event of each kind, in the order readable, writable,
   * timer. An empty array means the time ran out.
   *
   * Returns at once, without waiting, `["readable"]` while the client may hold a decoded message,
   * and `["hangup"]` once the connection has ended. Blocks the JS thread (use `pollAsync` on a main
   * thread that must stay responsive).
   *
   * @param timeoutMs - as everywhere in bunix: -1, `Infinity` or omitted wait forever, 0 polls.
   * @throws SystemError EBADF (syscall `"IpcClient.poll"`) when the client is closed.
   * @throws TypeError / RangeError for a bad timeout.
   * @example
   * ```ts
   * for (const event of client.poll(1000)) client.process(event);
   * ```
   */
  poll(timeoutMs?: number): IpcEvent[] {
    this.#check("poll");
    validateTimeout(timeoutMs);
    if (this.#ended) return [EVENTS.hangup];
    return this.#translate(this.#poller.wait(this.#readNow() ? 0 : timeoutMs));
  }

  /**
   * `poll` without blocking the JS thread: resolves with the events (an empty array when the time
   * runs out), through the Poller's `waitAsync`. Resolves at once in the cases where `poll` would
   * return at once. Aborting `signal` rejects it with the signal's reason; closing the client
   * meanwhile rejects it with EBADF. One `pollAsync` at a time.
   *
   * @param timeoutMs - as for `poll`.
   * @param options - `signal`, and the other `waitAsync` options.
   * @returns a promise of the events; every error (a closed client, bad arguments) is a rejection.
   * @example
   * ```ts
   * const controller = new AbortController();
   * process.on("SIGINT", () => controller.abort());
   * for (;;) for (const event of await client.pollAsync(-1, { signal: controller.signal })) client.process(event);
   * ```
   */
  pollAsync(timeoutMs?: number, options?: WaitAsyncOptions): Promise<IpcEvent[]> {
    try {
      this.#check("pollAsync");
      validateTimeout(timeoutMs);
      if (options?.signal?.aborted) return Promise.reject(options.signal.reason);
      if (this.#ended || this.#readNow()) return Promise.resolve(this.poll(0));
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#poller.waitAsync(timeoutMs, options).then((events) => (this.#ended ? [EVENTS.hangup] : this.#translate(events)));
  }

  /**
   * Handles one event from `poll`:
   *
   * - `"readable"`: recvmsg(2) until one whole message is decoded; returns it (a new Uint8Array that
   *   is yours), or `null` when none is complete yet.
   * - `"writable"`: a write (send(2) or sendmsg(2)) of what `send` queued, as much as the socket takes; `null`.
   * - `"timer"`: sends a ping (unless the connection is over); `null`.
   * - `"hangup"`: nothing; `null`.
   *
   * Events from an earlier `poll` are safe to process late: a readable event with nothing to read
   * returns `null`.
   *
   * @throws SystemError ECONNREFUSED (syscall `"IpcClient.process"`) when the connection turns out
   *   to be over before the server sent any message (see the class documentation); EPROTO when the
   *   server closed in the middle of a frame; EMSGSIZE when it announced a message above
   *   `maxMessageSize`; EBADF when the client is closed.
   * @throws TypeError when `event` is not an IpcEvent.
   * @example
   * ```ts
   * for (const event of client.poll()) {
   *   const message = client.process(event);
   *   if (message !== null) console.log(message.length, "bytes");
   * }
   * ```
   */
  process(event: IpcEvent): Uint8Array | null {
    const kind = eventKind(event);
    this.#check("process");
    switch (kind) {
      case "readable":
        return this.#read("IpcClient.process");
      case "writable":
        this.#flush();
        return null;
      case "timer":
        if (!this.#ended && !this.#writeFailed) this.#sendPing();
        return null;
      case "hangup":
        return null;
    }
  }

  /**
   * Takes the next message without waiting: one the client has decoded already, or one the socket
   * completes now (recvmsg(2)); `null` when there is none. The same as processing a `"readable"`
   * event.
   *
   * @throws SystemError as `process` does for a readable event, with syscall `"IpcClient.receive"`.
   * @example
   * ```ts
   * for (let m = client.receive(); m !== null; m = client.receive()) handle(m);
   * ```
   */
  receive(): Uint8Array | null {
    this.#check("receive");
    return this.#read("IpcClient.receive");
  }

  /**
   * Queues `message` as one frame and writes what the socket takes now (send(2), or sendmsg(2)
   * when several segments are queued); the rest goes out when a `"writable"` event is processed.
   * A string is sent as UTF-8. A Uint8Array of more than 512 bytes is queued without a copy:
   * leave it unchanged until `pendingBytes` is 0.
   *
   * A write that fails because the server is gone (EPIPE, ECONNRESET) is not thrown here: the
   * queued frames are dropped, `poll` reports `"readable"`, and `process` reports what happened
   * (`"hangup"` or ECONNREFUSED). Sending once that is known throws.
   *
   * @throws SystemError EPIPE (syscall `"IpcClient.send"`) when the connection is known to be over
   *   (ECONNREFUSED instead once `process` has reported the refusal); EBADF when the client is
   *   closed.
   * @throws RangeError above `maxMessageSize`; TypeError for a message of another type.
   * @example
   * ```ts
   * client.send("hello");
   * client.send(new Uint8Array([1, 2, 3]));
   * ```
   */
  send(message: Uint8Array | string): void {
    this.#check("send");
    this.#checkWritable("IpcClient.send");
    this.#connection.send(message);
    this.#flush();
  }

  /**
   * Sends a ping now: a 24-byte frame holding the client's id, the next sequence number and the
   * time (`performance.now()`), which an echo server returns as it is. Returns the sequence number
   * (1 for the first ping). Processing a `"timer"` event calls this.
   *
   * @throws SystemError as `send` does, with syscall `"IpcClient.ping"`.
   * @example
   * ```ts
   * const sequence = client.ping();
   * ```
   */
  ping(): number {
    this.#check("ping");
    this.#checkWritable("IpcClient.ping");
    return this.#sendPing();
  }

  /**
   * If `message` is the echo of one of this client's pings, its sequence number and the time since
   * it was sent (measured now: call it as soon as `process` returns the message); otherwise `null`
   * (any other message, or another client's ping).
   *
   * @throws TypeError when `message` is not a Uint8Array.
   * @example
   * ```ts
   * const reply = client.pingReply(message);
   * if (reply) console.log(`reply ${reply.sequence}: time=${reply.roundTripMs.toFixed(3)} ms`);
   * ```
   */
  pingReply(message: Uint8Array): IpcPingReply | null {
    if (!(message instanceof Uint8Array)) throw invalidType("message", "a Uint8Array", message);
    const ping = decodePing(message, this.#id);
    if (ping === null || ping.sequence < 1 || ping.sequence > this.#pingsSent) return null;
    return { sequence: ping.sequence, roundTripMs: performance.now() - ping.sentAt };
  }

  /**
   * Closes the Poller (its timer with it) and the connection; frames not yet written are dropped.
   * A pending `pollAsync` rejects with EBADF. Idempotent.
   * @example
   * ```ts
   * client.close();
   * console.assert(client.closed && client.fd === -1);
   * ```
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#timer = null;
    try {
      this.#poller.close();
    } finally {
      this.#connection.close();
    }
  }

  /** Closes the client, so that `using` works. */
  [Symbol.dispose](): void {
    this.close();
  }

  /** Whether a read may find something the Poller cannot report. */
  #readNow(): boolean {
    return this.#mayHaveMore || this.#writeFailed;
  }

  #translate(events: PollEvents<number>): IpcEvent[] {
    let readable = this.#readNow();
    let writable = false;
    let timer = false;
    for (let i = 0; i < events.length; i++) {
      const data = events.data(i);
      if (data === CONNECTION) {
        const ready = pollEventReadiness(events, i);
        // A hang-up or an error is collected by reading, like the end of the stream.
        if (ready & (READY_READABLE | READY_HANGUP | READY_ERROR)) readable = true;
        if (ready & READY_WRITABLE) writable = true;
      } else if (data === TIMER) {
        timer = true;
      }
    }
    const out: IpcEvent[] = [];
    if (readable) out.push(EVENTS.readable);
    if (writable && !this.#writeFailed) out.push(EVENTS.writable);
    if (timer) out.push(EVENTS.timer);
    return out;
  }

  #read(method: string): Uint8Array | null {
    if (this.#ended) return null;
    let message: Uint8Array | null;
    try {
      message = this.#connection.receive();
    } catch (error) {
      if (isPeerGone(error)) return this.#peerGone(method);
      // EPROTO and EMSGSIZE end the conversation: nothing more can be read.
      this.#finish();
      throw error;
    }
    if (message !== null) {
      this.#received++;
      // Only messages decoded already need a read without waiting; anything still in the socket
      // makes it readable, which the Poller reports.
      this.#mayHaveMore = this.#connection.messageReady;
      return message;
    }
    this.#mayHaveMore = false;
    // After a failed write the conversation is over even if the server has not closed its side.
    if (this.#connection.ended || this.#writeFailed) return this.#peerGone(method);
    return null;
  }

  /** The server is gone: a hang-up from now on, or ECONNREFUSED if it never said anything. */
  #peerGone(method: string): null {
    this.#finish();
    if (this.#received === 0) {
      throw new SystemError("ECONNREFUSED", method, "the server closed the connection before sending anything (too many clients?)", this.#path);
    }
    return null;
  }

  #finish(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#mayHaveMore = false;
    this.#timer?.cancel();
    this.#timer = null;
    // Deleted so that a level-triggered hang-up cannot keep a waiter spinning; poll answers
    // "hangup" by itself from now on.
    this.#poller.delete(this.#connection.fd);
  }

  #sendPing(): number {
    const sequence = this.#pingsSent + 1;
    this.#connection.send(encodePing(this.#id, sequence));
    this.#pingsSent = sequence;
    this.#flush();
    return sequence;
  }

  #flush(): void {
    if (this.#ended || this.#writeFailed) return;
    let done: boolean;
    try {
      done = this.#connection.flush();
    } catch (error) {
      if (!isPeerGone(error)) throw error;
      // Reported through reading (see the class documentation), where the messages the server
      // sent before it went away are still delivered first.
      this.#writeFailed = true;
      done = true;
    }
    this.#setInterest(done ? Interest.READABLE : Interest.READABLE | Interest.WRITABLE);
  }

  #setInterest(interest: number): void {
    if (interest === this.#interest) return;
    this.#poller.modify(this.#connection.fd, interest);
    this.#interest = interest;
  }

  #checkWritable(method: string): void {
    if (!this.#ended && !this.#writeFailed) return;
    // Refused only once reading has shown that nothing came: before that, a failed write is EPIPE.
    if (this.#ended && this.#received === 0) throw new SystemError("ECONNREFUSED", method, "the server closed the connection before sending anything", this.#path);
    throw new SystemError("EPIPE", method, "the server has closed the connection", this.#path);
  }

  #check(method: string): void {
    if (this.#closed) throw closedError("IpcClient", method);
  }
}

function isPeerGone(error: unknown): boolean {
  return error instanceof SystemError && (error.code === "EPIPE" || error.code === "ECONNRESET");
}

function readInterval(value: unknown): number {
  if (value === undefined) return DEFAULT_PING_INTERVAL_MS;
  if (typeof value !== "number") throw invalidType("options.pingIntervalMs", "of type number", value);
  if (!(value >= 0 && value <= MAX_PING_INTERVAL_MS)) {
    throw outOfRange("options.pingIntervalMs", `a finite number >= 0 and <= ${MAX_PING_INTERVAL_MS} (0: no pings)`, value);
  }
  return value;
}
