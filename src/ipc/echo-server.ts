/**
 * `EchoServer`: the server behind the `bunix-echo` tool, as a class: a Unix stream listener and
 * every client's `FramedConnection` in one `Poller`, each frame sent back as it came.
 *
 * How it treats clients, and why:
 * - **A bound on clients.** Beyond `maxClients`, a connection is accepted and closed at once, so
 *   the client learns it straight away (an `IpcClient` reports ECONNREFUSED) instead of waiting in
 *   the listen backlog.
 * - **Backpressure.** A client's echoes are queued in its connection. When the socket does not take
 *   them all, the server waits for it to be writable. While a client's queue holds `highWaterMark`
 *   bytes or more, the server stops reading from it, so a client that sends and never reads fills
 *   its own socket buffers, not the server's memory (at most `highWaterMark` plus one message).
 * - **Fairness.** One turn reads at most {@link READ_BUDGET} messages from a client; a client with
 *   more is served again on the next turn, which then does not wait.
 * - **Isolation.** A client that closes in the middle of a frame (EPROTO), announces a length above
 *   `maxMessageSize` (EMSGSIZE) or resets the connection is dropped alone; the others go on.
 *
 * @module
 */
import type { WaitAsyncOptions } from "../async/wait-async.ts";
import { SystemError, closedError } from "../core/errors.ts";
import { DEFAULT_MAX_MESSAGE_SIZE, validateMaxMessageSize } from "../framed/frame-limits.ts";
import { FramedConnection } from "../framed/framed-connection.ts";
import { log } from "../core/log.ts";
import { Interest, type PollEvents, Poller } from "../poller/index.ts";
import { UnixListener } from "../socket/unix-listener.ts";
import { validateTimeout } from "../core/timeout.ts";
import { validateInteger, validateOptions } from "../core/validate.ts";
import { EchoSession } from "./echo-session.ts";

/** Clients served at once unless `maxClients` says otherwise. */
export const DEFAULT_MAX_CLIENTS = 64;
/** Bytes of echoes queued for one client before reading from it stops, unless `highWaterMark` says otherwise. */
export const DEFAULT_HIGH_WATER_MARK = 1024 * 1024;
/** Messages read from one client per turn before the others get theirs. */
const READ_BUDGET = 64;
/** How long accepting pauses after EMFILE or ENFILE (no descriptor left for a new client), in ms. */
const ACCEPT_RETRY_MS = 100;
const LISTENER = "listener";
const ACCEPT_RETRY = "accept-retry";
type Entry = EchoSession | typeof LISTENER | typeof ACCEPT_RETRY;

/** Options of {@link EchoServer.listen}. */
export interface EchoServerOptions {
  /** How many clients are served at once, 1 to 2^31 - 1; connections beyond are closed at once. Default 64. */
  readonly maxClients?: number;
  /** The longest message accepted, in bytes; a client announcing more is dropped. Default 16 MiB. */
  readonly maxMessageSize?: number;
  /**
   * Bytes of echoes queued for one client at which the server stops reading from it until they
   * drain, 1 to 2^31 - 1. Default 1 MiB.
   */
  readonly highWaterMark?: number;
  /** The listen backlog, as `UnixListener.bind` takes it. */
  readonly backlog?: number;
}

/** What an {@link EchoServer} has done since it started. */
export interface EchoServerStats {
  /** Clients accepted and served. */
  readonly accepted: number;
  /** Connections closed at once because `maxClients` were being served. */
  readonly refused: number;
  /** Clients dropped for a protocol error (EPROTO, EMSGSIZE) or a reset connection. */
  readonly dropped: number;
  /** Messages echoed. */
  readonly messages: number;
}

/**
 * An echo server on a Unix stream socket: every frame a client sends comes back to it unchanged.
 * See the module documentation for the client bound, backpressure and fairness.
 *
 * Run it one of two ways:
 * - `await server.start()`: a loop on the Poller's `waitAsync`, so the JS thread stays free for
 *   signal handlers and timers; it returns once `stop()` is called (or `signal` aborts).
 * - `server.step(timeoutMs)`: one turn (a blocking wait, then the work), for a loop of your own, a
 *   Worker, or a test that drives server and clients in turns.
 *
 * `stop()` closes every client, the Poller and the listener, which removes the socket file (a
 * server garbage-collected unstopped has its descriptors closed by safety nets that log warnings,
 * but its socket file stays: stop servers explicitly, or with `using`). Logs go
 * through the bunix logger (`setLogger`): info for listening, clients coming and going and
 * stopping; warn for refused and dropped clients; debug for backpressure.
 *
 * @example
 * ```ts
 * import { EchoServer, IpcClient } from "bunix";
 * const server = EchoServer.listen("/tmp/echo.sock", { maxClients: 8 });
 * process.on("SIGTERM", () => server.stop());
 * await server.start();   // until SIGTERM; the socket file is gone afterwards
 * ```
 */
export class EchoServer implements Disposable {
  readonly #listener: UnixListener;
  readonly #poller: Poller<Entry>;
  readonly #maxClients: number;
  readonly #maxMessageSize: number;
  readonly #highWaterMark: number;
  readonly #sessions = new Set<EchoSession>();
  /** Clients to read from without waiting: their decoder may hold messages the Poller cannot see. */
  readonly #runnable = new Set<EchoSession>();
  #nextId = 1;
  #accepted = 0;
  #refused = 0;
  #dropped = 0;
  #messages = 0;
  #running: AbortController | null = null;
  #closed = false;

  private constructor(listener: UnixListener, poller: Poller<Entry>, maxClients: number, maxMessageSize: number, highWaterMark: number) {
    this.#listener = listener;
    this.#poller = poller;
    this.#maxClients = maxClients;
    this.#maxMessageSize = maxMessageSize;
    this.#highWaterMark = highWaterMark;
  }

  /**
   * socket(2) + bind(2) + listen(2) at `path` (nonblocking), and a Poller watching it. Serving
   * starts with `start()` or `step()`.
   *
   * @param path - the socket path (or a `"\0"`-prefixed Linux abstract name). An existing file is
   *   never removed: EADDRINUSE.
   * @param options - `maxClients`, `maxMessageSize`, `highWaterMark`, `backlog`.
   * @throws SystemError EADDRINUSE (something exists at `path`), ENOENT, EACCES, from bind(2).
   * @throws TypeError / RangeError for bad arguments.
   * @example
   * ```ts
   * using server = EchoServer.listen("/tmp/echo.sock", { maxClients: 2, highWaterMark: 256 * 1024 });
   * ```
   */
  static listen(path: string, options?: EchoServerOptions): EchoServer {
    const opts = validateOptions(options);
    const maxClients = opts.maxClients === undefined ? DEFAULT_MAX_CLIENTS : validateInteger(opts.maxClients, "options.maxClients", 1, 0x7fffffff);
    const maxMessageSize =
      opts.maxMessageSize === undefined ? DEFAULT_MAX_MESSAGE_SIZE : validateMaxMessageSize(opts.maxMessageSize, "options.maxMessageSize");
    const highWaterMark = opts.highWaterMark === undefined ? DEFAULT_HIGH_WATER_MARK : validateInteger(opts.highWaterMark, "options.highWaterMark", 1, 0x7fffffff);
    const listener = UnixListener.bind(path, { backlog: opts.backlog, nonblocking: true });
    let poller: Poller<Entry> | undefined;
    try {
      poller = new Poller<Entry>();
      poller.add(listener.fd, Interest.READABLE, LISTENER);
    } catch (error) {
      poller?.close();
      listener.close();
      throw error;
    }
    log("info", `echo server listening on ${path}`, { path, maxClients });
    return new EchoServer(listener, poller, maxClients, maxMessageSize, highWaterMark);
  }

  /** The socket path the server listens on. */
  get path(): string {
    return this.#listener.path;
  }

  /** The Poller's descriptor (-1 once stopped), readable when a `step(0)` would find work. */
  get fd(): number {
    return this.#closed ? -1 : this.#poller.fd;
  }

  /** How many clients are being served now. */
  get clients(): number {
    return this.#sessions.size;
  }

  /** The most clients served at once. */
  get maxClients(): number {
    return this.#maxClients;
  }

  /** Counters since the server started. */
  get stats(): EchoServerStats {
    return { accepted: this.#accepted, refused: this.#refused, dropped: this.#dropped, messages: this.#messages };
  }

  /** Whether `stop()` has been called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Whether `start()` is running. */
  get running(): boolean {
    return this.#running !== null;
  }

  /**
   * Serves until `stop()` is called or `options.signal` aborts: a loop that waits with the Poller's
   * `waitAsync`, so signal handlers (`process.on("SIGTERM")`) and timers run meanwhile. Resolves
   * once stopped, with everything closed and the socket file removed.
   *
   * @param options - `signal`: aborting it stops the server.
   * @returns a promise; every error is a rejection: EBADF (syscall `"EchoServer.start"`) when
   *   stopped already, EBUSY when already running, and a failure of the Poller (the server is
   *   stopped first).
   * @example
   * ```ts
   * const controller = new AbortController();
   * process.on("SIGINT", () => controller.abort());
   * await server.start({ signal: controller.signal });
   * ```
   */
  async start(options?: Pick<WaitAsyncOptions, "signal">): Promise<void> {
    if (this.#closed) throw closedError("EchoServer", "start");
    if (this.#running !== null) throw new SystemError("EBUSY", "EchoServer.start", "the server is running already");
    const signal = validateOptions(options).signal;
    if (signal?.aborted) {
      this.stop();
      return;
    }
    const running = new AbortController();
    this.#running = running;
    const onAbort = () => this.stop();
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      while (!this.#closed) {
        let events: PollEvents<Entry>;
        try {
          events = await this.#poller.waitAsync(this.#runnable.size > 0 ? 0 : -1, { signal: running.signal });
        } catch (error) {
          // stop() aborts the wait (or closes the Poller under it): that is the way out.
          if (this.#closed) break;
          throw error;
        }
        if (this.#closed) break;
        this.#handle(events);
      }
    } catch (error) {
      this.stop();
      throw error;
    } finally {
      signal?.removeEventListener("abort", onAbort);
      this.#running = null;
    }
  }

  /**
   * One turn: `epoll_wait(2)` or `kevent(2)` for up to `timeoutMs` (0 when a client still has
   * messages to read), then accepts, reads, echoes and writes what is ready. Returns how many
   * Poller entries it handled. Blocks the JS thread while it waits.
   *
   * @param timeoutMs - as everywhere in bunix: -1 or omitted waits forever, 0 polls.
   * @throws SystemError EBADF (syscall `"EchoServer.step"`) when stopped; EBUSY while `start()` runs.
   * @throws TypeError / RangeError for a bad timeout.
   * @example
   * ```ts
   * using server = EchoServer.listen("/tmp/echo.sock");
   * for (;;) server.step(-1);
   * ```
   */
  step(timeoutMs?: number): number {
    if (this.#closed) throw closedError("EchoServer", "step");
    if (this.#running !== null) throw new SystemError("EBUSY", "EchoServer.step", "the server is running start(): it does its own waiting");
    const timeout = validateTimeout(timeoutMs);
    const events = this.#poller.wait(this.#runnable.size > 0 ? 0 : timeout);
    const handled = events.length;
    this.#handle(events);
    return handled;
  }

  /**
   * Stops serving: closes every client's connection (their queued echoes are dropped), the Poller
   * and the listener, which removes the socket file. A running `start()` resolves. Idempotent.
   * @example
   * ```ts
   * process.on("SIGTERM", () => server.stop());
   * ```
   */
  stop(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#running?.abort();
    for (const session of this.#sessions) session.connection.close();
    const clients = this.#sessions.size;
    this.#sessions.clear();
    this.#runnable.clear();
    try {
      this.#poller.close();
    } finally {
      this.#listener.close();
    }
    log("info", `echo server on ${this.#listener.path} stopped`, { path: this.#listener.path, clients, ...this.stats });
  }

  /** Stops the server, so that `using` works. */
  [Symbol.dispose](): void {
    this.stop();
  }

  #handle(events: PollEvents<Entry>): void {
    for (let i = 0; i < events.length; i++) {
      const entry = events.data(i);
      if (entry === undefined) continue; // stale: a client dropped earlier in this batch
      if (entry === LISTENER) {
        this.#acceptAll();
      } else if (entry === ACCEPT_RETRY) {
        this.#poller.add(this.#listener.fd, Interest.READABLE, LISTENER);
      } else {
        // Writing first: it may free room that lets the read below go further.
        if (events.writable(i)) this.#write(entry);
        if ((events.readable(i) || events.hangup(i) || events.error(i)) && this.#sessions.has(entry) && !entry.paused && !entry.ended) {
          this.#read(entry);
        }
      }
    }
    if (this.#runnable.size === 0) return;
    for (const session of [...this.#runnable]) {
      this.#runnable.delete(session);
      if (this.#sessions.has(session) && !session.paused && !session.ended) this.#read(session);
    }
  }

  #acceptAll(): void {
    for (;;) {
      let socket;
      try {
        socket = this.#listener.accept({ nonblocking: true });
      } catch (error) {
        this.#acceptFailed(error);
        return;
      }
      if (socket === null) return;
      if (this.#sessions.size >= this.#maxClients) {
        socket.close();
        this.#refused++;
        log("warn", `refused a client: ${this.#maxClients} clients are being served`, { maxClients: this.#maxClients });
        continue;
      }
      const session = new EchoSession(this.#nextId++, new FramedConnection(socket, { maxMessageSize: this.#maxMessageSize }));
      try {
        this.#poller.add(session.connection.fd, Interest.READABLE, session);
      } catch (error) {
        session.connection.close();
        log("warn", `could not watch a new client: ${(error as Error).message}`, { error });
        continue;
      }
      this.#sessions.add(session);
      // Read in this same turn: a client usually sends right after connecting.
      this.#runnable.add(session);
      this.#accepted++;
      log("info", `client ${session.id} connected (${this.#sessions.size} of ${this.#maxClients})`, { client: session.id });
    }
  }

  /** accept(2) failed: out of descriptors pauses accepting for a while, instead of spinning on it. */
  #acceptFailed(error: unknown): void {
    const code = (error as SystemError).code;
    if (code === "EMFILE" || code === "ENFILE") {
      log("warn", `out of descriptors, not accepting for ${ACCEPT_RETRY_MS} ms: ${(error as Error).message}`, { error });
      this.#poller.delete(this.#listener.fd);
      this.#poller.addTimer(ACCEPT_RETRY_MS, {}, ACCEPT_RETRY);
      return;
    }
    // ECONNABORTED and the like concern one connection that is gone already.
    log("warn", `accept failed: ${(error as Error).message}`, { error });
  }

  /** Reads and echoes up to READ_BUDGET messages, then writes. */
  #read(session: EchoSession): void {
    const connection = session.connection;
    for (let budget = READ_BUDGET; ; budget--) {
      if (connection.pendingBytes >= this.#highWaterMark) {
        session.paused = true;
        log("debug", `client ${session.id}: ${connection.pendingBytes} bytes of echoes queued, reading paused`, { client: session.id });
        break;
      }
      if (budget === 0) {
        this.#runnable.add(session);
        break;
      }
      let message: Uint8Array | null;
      try {
        message = connection.receive();
      } catch (error) {
        this.#drop(session, error);
        return;
      }
      if (message === null) {
        if (connection.ended) session.ended = true;
        break;
      }
      connection.send(message);
      session.messages++;
      this.#messages++;
    }
    this.#write(session);
  }

  /** Writes what is queued, closes a client that ended once drained, and updates the interest. */
  #write(session: EchoSession): void {
    const connection = session.connection;
    let drained: boolean;
    try {
      drained = connection.flush();
    } catch (error) {
      this.#drop(session, error);
      return;
    }
    if (session.ended && drained) {
      this.#close(session);
      log("info", `client ${session.id} disconnected after ${session.messages} messages`, { client: session.id, messages: session.messages });
      return;
    }
    if (session.paused && connection.pendingBytes < this.#highWaterMark) {
      session.paused = false;
      // Its decoder may hold whole messages already, which no readiness event would announce.
      this.#runnable.add(session);
      log("debug", `client ${session.id}: echoes drained to ${connection.pendingBytes} bytes, reading resumed`, { client: session.id });
    }
    const interest = session.wantedInterest();
    if (interest === session.interest) return;
    try {
      this.#poller.modify(connection.fd, interest);
    } catch (error) {
      // One client's registration failing must not stop the server for the others.
      this.#drop(session, error);
      return;
    }
    session.interest = interest;
  }

  #drop(session: EchoSession, error: unknown): void {
    this.#close(session);
    this.#dropped++;
    log("warn", `dropped client ${session.id}: ${(error as Error).message}`, { client: session.id, code: (error as SystemError).code });
  }

  #close(session: EchoSession): void {
    this.#sessions.delete(session);
    this.#runnable.delete(session);
    this.#poller.delete(session.connection.fd);
    session.connection.close();
  }
}
