/**
 * `EchoServer`: the server behind the `bunix-echo` tool, as a class: a Unix stream listener and
 * every client in one `Poller`, each frame (a 4-byte big-endian length, then the payload) sent
 * back as it came.
 *
 * How it treats clients, and why:
 * - **No copy on the way through.** Every client is read into one shared buffer, and the whole
 *   frames found there are sent back from it with one send(2). Only what the socket does not take
 *   at once, and the start of an incomplete frame, are copied into the client's own storage. A
 *   read shorter than asked means the socket is empty for now: the Poller is level-triggered, so
 *   anything arriving later is reported again, and no read is spent on EAGAIN.
 * - **A bound on clients.** Beyond `maxClients`, a connection is accepted and closed at once, so
 *   the client learns it straight away (an `IpcClient` reports ECONNREFUSED) instead of waiting in
 *   the listen backlog.
 * - **A bound on memory, all clients together.** Incomplete frames and unwritten echoes of every
 *   client count against `maxBuffered`; a read never asks for more than the room left, and a frame
 *   longer than the shared buffer gets its own buffer only when it fits. Beyond it the server stops
 *   reading from the clients that need more until others drain.
 * - **Backpressure per client.** While `highWaterMark` bytes of a client's echoes wait for its
 *   socket, the server stops reading from it: a client that sends and never reads fills its own
 *   socket buffers, not the server's memory.
 * - **Fairness.** One turn reads a client at most {@link READ_ROUNDS} times; a client with more is
 *   served again on the next turn, which then does not wait.
 * - **Idle clients.** A client that completes no frame for `idleTimeoutMs` is dropped, so clients
 *   that hold a place and send nothing (or a byte now and then) cannot lock the others out.
 * - **Isolation.** A client that closes in the middle of a frame (EPROTO) or announces a length
 *   above `maxMessageSize` (EMSGSIZE) gets the echoes of its whole frames before it, then is
 *   dropped; a reset connection is dropped at once. The others go on.
 * - **Out of descriptors.** EMFILE or ENFILE from accept pauses accepting, with no new descriptor
 *   needed for that: the listener leaves the Poller, and a descriptor held in reserve is released
 *   so that waiting still works. Accepting resumes when a client leaves, or after
 *   {@link ACCEPT_RETRY_MS}.
 *
 * @module
 */
import type { WaitAsyncOptions } from "../async/wait-async.ts";
import { SystemError, closedError } from "../core/errors.ts";
import { closeDescriptor, duplicateDescriptor } from "../core/fd.ts";
import { DEFAULT_MAX_MESSAGE_SIZE, HEADER_SIZE, validateMaxMessageSize } from "../framed/frame-limits.ts";
import { log } from "../core/log.ts";
import { Interest, type PollEvents, Poller } from "../poller/index.ts";
import { pollEventReadiness } from "../poller/poll-events.ts";
import { READY_ERROR, READY_HANGUP, READY_READABLE, READY_WRITABLE } from "../poller/registration.ts";
import { displayPath } from "../socket/address.ts";
import { UnixListener } from "../socket/unix-listener.ts";
import { recvInto, sendFrom } from "../socket/stream-io.ts";
import { validateTimeout } from "../core/timeout.ts";
import { validateInteger, validateOptions } from "../core/validate.ts";
import { EchoSession, ownedBuffer, type OutChunk, type PauseReason } from "./echo-session.ts";

/** Clients served at once unless `maxClients` says otherwise. */
export const DEFAULT_MAX_CLIENTS = 64;
/** Bytes of echoes queued for one client before reading from it stops, unless `highWaterMark` says otherwise. */
export const DEFAULT_HIGH_WATER_MARK = 1024 * 1024;
/** How long a client may complete no frame before it is dropped, unless `idleTimeoutMs` says otherwise. */
export const DEFAULT_IDLE_TIMEOUT_MS = 30_000;
/** All clients' buffered input and queued output together, unless `maxBuffered` says otherwise: 256 MiB. */
export const DEFAULT_MAX_BUFFERED = 256 * 1024 * 1024;
/** Reads of one client per turn before the others get theirs. */
const READ_ROUNDS = 16;
/** The shared read buffer: frames up to this size (header included) are echoed straight from it. */
const READ_BUFFER_SIZE = 256 * 1024;
/**
 * With `busyWaitMs`, how long the loop of `start()` goes on with blocking turns of its own, while
 * each finds work, before it lets the event loop run (signal handlers, timers) again, in ms.
 */
const BUSY_MS = 10;
/** How long accepting pauses after EMFILE or ENFILE when no client leaves meanwhile, in ms. */
const ACCEPT_RETRY_MS = 250;
/** How long a wait that could not be armed (out of descriptors) sleeps before polling again, in ms. */
const STARVED_POLL_MS = 20;
const LISTENER = "listener";
type Entry = EchoSession | typeof LISTENER;

/** The most `busyWaitMs` that {@link EchoServer.start} takes. */
const MAX_BUSY_WAIT_MS = 10;

/** Options of {@link EchoServer.start}. */
export interface EchoServerStartOptions extends Pick<WaitAsyncOptions, "signal"> {
  /** How long a turn may block the JS thread waiting for more work; see {@link EchoServer.start}. Default 0. */
  readonly busyWaitMs?: number;
}

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
  /**
   * All clients' buffered input and queued output together, in bytes: the server never holds
   * more, and stops reading from clients that need more until others drain. At least
   * `maxMessageSize` + 4 (one whole frame), at most 2^53 - 1. Default 256 MiB.
   */
  readonly maxBuffered?: number;
  /**
   * A client that completes no frame for this many ms is dropped; 0 turns that off. 0 to
   * 2^31 - 1, default 30 000.
   */
  readonly idleTimeoutMs?: number;
  /** The socket file's permissions, applied before anyone can connect; see `UnixListener.bind`. */
  readonly mode?: number;
  /** The listen backlog, as `UnixListener.bind` takes it. */
  readonly backlog?: number;
}

/** What an {@link EchoServer} has done since it started. */
export interface EchoServerStats {
  /** Clients accepted and served. */
  readonly accepted: number;
  /** Connections closed at once because `maxClients` were being served. */
  readonly refused: number;
  /** Clients dropped for a protocol error (EPROTO, EMSGSIZE), a reset connection or idling. */
  readonly dropped: number;
  /** Messages echoed: counted once the last byte of the echo is written. */
  readonly messages: number;
  /** Bytes held now for all clients (incomplete frames and unwritten echoes). */
  readonly buffered: number;
  /** The most bytes held at once since the server started: never above `maxBuffered`. */
  readonly peakBuffered: number;
}

/**
 * An echo server on a Unix stream socket: every frame a client sends comes back to it unchanged.
 * See the module documentation for its bounds, backpressure and fairness.
 *
 * Run it one of two ways:
 * - `await server.start()`: a loop on the Poller's `batches()`, so the JS thread stays free for
 *   signal handlers and timers; it returns once `stop()` is called (or `signal` aborts).
 * - `server.step(timeoutMs)`: one turn (a blocking wait, then the work), for a loop of your own, a
 *   Worker, or a test that drives server and clients in turns.
 *
 * `stop()` closes every client, the Poller and the listener, which removes the socket file;
 * `shutdown()` first stops accepting and reading and lets the queued echoes go out (a server
 * garbage-collected unstopped has its descriptors closed by safety nets that log warnings, but its
 * socket file stays: stop servers explicitly, or with `using`). Logs go through the bunix logger
 * (`setLogger`): info for listening, clients coming and going and stopping; warn for refused,
 * dropped and idle clients and for running out of descriptors; debug for backpressure.
 *
 * @example
 * ```ts
 * import { EchoServer, IpcClient } from "bunix";
 * const server = EchoServer.listen("/tmp/echo.sock", { maxClients: 8 });
 * process.on("SIGTERM", () => void server.shutdown());
 * await server.start();   // until SIGTERM; the socket file is gone afterwards
 * ```
 */
export class EchoServer implements Disposable {
  readonly #listener: UnixListener;
  readonly #poller: Poller<Entry>;
  readonly #maxClients: number;
  readonly #maxMessageSize: number;
  readonly #highWaterMark: number;
  readonly #maxBuffered: number;
  readonly #idleTimeoutMs: number;
  readonly #sessions = new Set<EchoSession>();
  /** Clients to read from without waiting: they used up their reads in the last turn. */
  readonly #runnable = new Set<EchoSession>();
  /** Clients waiting for room under `maxBuffered`. */
  readonly #starved = new Set<EchoSession>();
  readonly #buffer = ownedBuffer(READ_BUFFER_SIZE);
  #buffered = 0;
  #peakBuffered = 0;
  #nextId = 1;
  #accepted = 0;
  #refused = 0;
  #dropped = 0;
  #messages = 0;
  /** A descriptor held so that one is free for waiting when accept has used up the rest. */
  #reserve = -1;
  #accepting = true;
  #acceptResumeAt = 0;
  #nextSweepAt: number;
  /**
   * When the batch being handled started (`performance.now()` time): the time every frame completed
   * in it is stamped with, one clock read per batch rather than per read. A batch lasts well under
   * the sweep's granularity, so the idle timeout is as exact as before.
   */
  #batchStartedAt = 0;
  /** When a shutdown gives up flushing, or -1 when not shutting down. */
  #drainDeadline = -1;
  #drained: (() => void) | null = null;
  #drainTimer: ReturnType<typeof setTimeout> | undefined;
  #running: AbortController | null = null;
  /** The timer of what is due while `start()` runs, and when it fires (Infinity: none). */
  #tickTimer: ReturnType<typeof setTimeout> | undefined;
  #tickAt = Infinity;
  #closed = false;

  private constructor(listener: UnixListener, poller: Poller<Entry>, settings: Settings) {
    this.#listener = listener;
    this.#poller = poller;
    this.#maxClients = settings.maxClients;
    this.#maxMessageSize = settings.maxMessageSize;
    this.#highWaterMark = settings.highWaterMark;
    this.#maxBuffered = settings.maxBuffered;
    this.#idleTimeoutMs = settings.idleTimeoutMs;
    this.#nextSweepAt = performance.now() + this.#sweepInterval();
    this.#reserve = tryDuplicate(listener.fd);
  }

  /**
   * socket(2) + bind(2) + listen(2) at `path` (nonblocking), and a Poller watching it. Serving
   * starts with `start()` or `step()`.
   *
   * @param path - the socket path (or a `"\0"`-prefixed Linux abstract name). An existing file is
   *   never removed: EADDRINUSE.
   * @param options - `maxClients`, `maxMessageSize`, `highWaterMark`, `maxBuffered`,
   *   `idleTimeoutMs`, `mode`, `backlog`.
   * @throws SystemError EADDRINUSE (something exists at `path`), ENOENT, EACCES, from bind(2).
   * @throws TypeError / RangeError for bad arguments.
   * @example
   * ```ts
   * using server = EchoServer.listen("/tmp/echo.sock", { maxClients: 2, highWaterMark: 256 * 1024 });
   * ```
   */
  static listen(path: string, options?: EchoServerOptions): EchoServer {
    const settings = readSettings(options);
    const listener = UnixListener.bind(path, { backlog: settings.backlog, nonblocking: true, mode: settings.mode });
    return EchoServer.#start(listener, settings);
  }

  /**
   * Serves on a listening Unix stream socket made elsewhere (inherited, received, or from socket
   * activation); it becomes the server's, and `stop()` closes it.
   *
   * @param listener - a stream `UnixListener`, made nonblocking here.
   * @param options - as for {@link EchoServer.listen}; `mode` and `backlog` do not apply.
   * @throws TypeError when `listener` is not a stream UnixListener; RangeError for bad options.
   * @example
   * ```ts
   * using server = EchoServer.fromListener(UnixListener.fromFd(3));
   * ```
   */
  static fromListener(listener: UnixListener, options?: EchoServerOptions): EchoServer {
    if (!(listener instanceof UnixListener) || listener.type !== "stream") {
      throw new TypeError('The "listener" argument must be a stream UnixListener');
    }
    const settings = readSettings(options);
    if (!listener.nonblocking) listener.setNonblocking(true);
    return EchoServer.#start(listener, settings);
  }

  static #start(listener: UnixListener, settings: Settings): EchoServer {
    let poller: Poller<Entry> | undefined;
    try {
      poller = new Poller<Entry>();
      poller.add(listener.fd, Interest.READABLE, LISTENER);
    } catch (error) {
      poller?.close();
      listener.close();
      throw error;
    }
    log("info", `echo server listening on ${displayPath(listener.path)}`, { path: listener.path, maxClients: settings.maxClients });
    return new EchoServer(listener, poller, settings);
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

  /** Whether the server is accepting now: false while paused for lack of descriptors, or shutting down. */
  get accepting(): boolean {
    return this.#accepting && !this.#closed;
  }

  /** Counters since the server started. */
  get stats(): EchoServerStats {
    return {
      accepted: this.#accepted,
      refused: this.#refused,
      dropped: this.#dropped,
      messages: this.#messages,
      buffered: this.#buffered,
      peakBuffered: this.#peakBuffered,
    };
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
   * Serves until `stop()` is called or `options.signal` aborts: one loop over the Poller's
   * `batches()`, whose watch stays armed between batches, so signal handlers
   * (`process.on("SIGTERM")`) and timers run meanwhile and an idle server uses no CPU. What is
   * due by the clock (idle clients, resuming accepting) comes from a timer. Resolves once stopped,
   * with everything closed and the socket file removed.
   *
   * @param options - `signal`: aborting it stops the server. `busyWaitMs` (0 to 10, default 0):
   *   after a batch, wait for more in the kernel, blocking the JS thread for up to this long per
   *   wait (and 10 ms in all), before going back to the loop. Only for a process that does
   *   nothing else, where it saves a trip through the event loop per message when one message at
   *   a time is in flight; never in a process whose JS thread has clients or other work of its own.
   * @returns a promise; every error is a rejection: EBADF (syscall `"EchoServer.start"`) when
   *   stopped already, EBUSY when already running, TypeError / RangeError for bad options, and a
   *   failure of the Poller (the server is stopped first).
   * @example
   * ```ts
   * const controller = new AbortController();
   * process.on("SIGINT", () => controller.abort());
   * await server.start({ signal: controller.signal });
   * ```
   */
  async start(options?: EchoServerStartOptions): Promise<void> {
    if (this.#closed) throw closedError("EchoServer", "start");
    if (this.#running !== null) throw new SystemError("EBUSY", "EchoServer.start", "the server is running already");
    const { signal, busyWaitMs } = validateOptions(options);
    const busyWait = busyWaitMs === undefined ? 0 : validateInteger(busyWaitMs, "options.busyWaitMs", 0, MAX_BUSY_WAIT_MS);
    if (signal?.aborted) {
      this.stop();
      return;
    }
    const running = new AbortController();
    this.#running = running;
    const onAbort = () => this.stop();
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      this.#tick();
      while (!this.#closed) {
        try {
          // One loop for as long as the server runs: the watch stays armed between batches, so a
          // batch costs the wait itself and no arming, and an idle server sleeps with no CPU.
          for await (const events of this.#poller.batches({ signal: running.signal })) {
            this.#handle(events);
            if (busyWait > 0) this.#busyTurns(busyWait);
            if (this.#closed) break;
            this.#scheduleTick();
          }
        } catch (error) {
          // stop() aborts the loop (or closes the Poller under it): that is the way out.
          if (this.#closed) break;
          if (!isOutOfDescriptors(error)) throw error;
          // Arming the watch took a descriptor and none was left: poll instead, without spinning,
          // then start a new loop.
          await new Promise((resolve) => setTimeout(resolve, STARVED_POLL_MS));
          if (this.#closed) break;
          this.#tick();
          if (!this.#closed) this.#handle(this.#poller.wait(0));
        }
      }
    } catch (error) {
      this.stop();
      throw error;
    } finally {
      signal?.removeEventListener("abort", onAbort);
      clearTimeout(this.#tickTimer);
      this.#tickTimer = undefined;
      this.#running = null;
    }
  }

  /**
   * `busyWaitMs`: after a batch, turns that wait in the kernel for up to `busyWait` ms each, while
   * they find work and for {@link BUSY_MS} at most, so that signal handlers and timers still run.
   */
  #busyTurns(busyWait: number): void {
    const busySince = performance.now();
    while (!this.#closed && performance.now() - busySince < BUSY_MS) {
      this.#tick();
      if (this.#closed) return;
      const more = this.#poller.wait(this.#timeout(busyWait));
      if (more.length === 0 && this.#runnable.size === 0) return;
      this.#handle(more);
    }
  }

  /**
   * While `start()` runs, what is due by the clock (idle clients, resuming accepting, the end of a
   * shutdown) comes from one timer, set again only when what is due moves earlier than it: the
   * loop's batches carry no timeout of their own.
   */
  #scheduleTick(): void {
    const due = this.#due();
    if (due === Infinity || due >= this.#tickAt) return;
    clearTimeout(this.#tickTimer);
    this.#tickAt = due;
    this.#tickTimer = setTimeout(this.#onTickTimer, Math.max(0, Math.ceil(due - performance.now())));
  }

  readonly #onTickTimer = (): void => {
    this.#tickTimer = undefined;
    this.#tickAt = Infinity;
    if (this.#closed) return;
    this.#tick();
    // Clients that were waiting for room, or a resumed listener, show as readiness of the Poller;
    // clients left runnable without new data are served here.
    if (!this.#closed && this.#runnable.size > 0) this.#handle(this.#poller.wait(0));
    if (!this.#closed) this.#scheduleTick();
  };

  /**
   * One turn: `epoll_wait(2)` or `kevent(2)` for up to `timeoutMs` (less when a client still has
   * data to read, an idle client is due or accepting is due to resume), then accepts, reads,
   * echoes and writes what is ready. Returns how many Poller entries it handled. Blocks the JS
   * thread while it waits.
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
    this.#tick();
    if (this.#closed) return 0;
    const events = this.#poller.wait(this.#timeout(timeout));
    const handled = events.length;
    this.#handle(events);
    this.#tick();
    return handled;
  }

  /**
   * A graceful stop: stops accepting (the listener closes and its socket file is removed at once)
   * and reading, lets the
   * echoes already queued go out for at most `flushMs`, then `stop()`. Resolves once stopped.
   * While `start()` runs, its loop does the flushing; otherwise this method waits itself, in
   * blocking turns of at most `flushMs` in all.
   *
   * @param flushMs - the most time given to the flush, 0 to 2^31 - 1; default 1000.
   * @throws RangeError / TypeError for a bad `flushMs`.
   * @example
   * ```ts
   * process.on("SIGTERM", () => void server.shutdown());
   * ```
   */
  async shutdown(flushMs = 1000): Promise<void> {
    validateInteger(flushMs, "flushMs", 0, 0x7fffffff);
    if (this.#closed) return;
    if (this.#drainDeadline < 0) {
      this.#drainDeadline = performance.now() + flushMs;
      this.#stopAccepting();
      // Closing the listener removes the socket file now: a client connecting meanwhile is
      // refused at once instead of waiting in a backlog that nobody will accept from.
      this.#listener.close();
      for (const session of [...this.#sessions]) this.#end(session, null);
    }
    const stopped = new Promise<void>((resolve) => {
      const previous = this.#drained;
      this.#drained = () => {
        previous?.();
        resolve();
      };
    });
    if (this.#running === null) {
      while (!this.#closed) this.step(Math.max(0, Math.ceil(this.#drainDeadline - performance.now())));
    } else if (this.#sessions.size === 0) {
      this.stop();
    } else {
      // The loop may be in a wait armed before the deadline existed: a timer ends it in time.
      this.#drainTimer ??= setTimeout(() => this.stop(), Math.max(0, this.#drainDeadline - performance.now()));
    }
    return stopped;
  }

  /**
   * Stops serving at once: closes every client's connection (their queued echoes are dropped), the
   * Poller and the listener, which removes the socket file. A running `start()` resolves.
   * Idempotent.
   * @example
   * ```ts
   * process.on("SIGTERM", () => server.stop());
   * ```
   */
  stop(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#drainTimer);
    this.#running?.abort();
    for (const session of this.#sessions) session.socket.close();
    const clients = this.#sessions.size;
    this.#sessions.clear();
    this.#runnable.clear();
    this.#starved.clear();
    this.#buffered = 0;
    this.#releaseReserve();
    try {
      this.#poller.close();
    } finally {
      this.#listener.close();
    }
    log("info", `echo server on ${displayPath(this.#listener.path)} stopped`, { path: this.#listener.path, clients, ...this.stats });
    const drained = this.#drained;
    this.#drained = null;
    drained?.();
  }

  /** Stops the server, so that `using` works. */
  [Symbol.dispose](): void {
    this.stop();
  }

  /** How long the next wait may last: `requested`, shortened by what is due. */
  #timeout(requested: number): number {
    if (this.#runnable.size > 0) return 0;
    const due = this.#due();
    if (due === Infinity) return requested;
    const wait = Math.max(0, Math.ceil(due - performance.now()));
    return requested < 0 ? wait : Math.min(requested, wait);
  }

  /** When something is due by the clock (`performance.now()` time), or Infinity. */
  #due(): number {
    let due = Infinity;
    if (!this.#accepting && this.#drainDeadline < 0) due = this.#acceptResumeAt;
    if (this.#idleTimeoutMs > 0 && this.#sessions.size > 0) due = Math.min(due, this.#nextSweepAt);
    if (this.#drainDeadline >= 0) due = Math.min(due, this.#drainDeadline);
    return due;
  }

  /** What is due by the clock: resuming accepting, dropping idle clients, ending a shutdown. */
  #tick(): void {
    const now = performance.now();
    if (this.#drainDeadline >= 0) {
      if (this.#sessions.size === 0 || now >= this.#drainDeadline) this.stop();
      return;
    }
    if (!this.#accepting && now >= this.#acceptResumeAt) this.#resumeAccepting();
    if (this.#idleTimeoutMs > 0 && now >= this.#nextSweepAt) {
      this.#nextSweepAt = now + this.#sweepInterval();
      for (const session of [...this.#sessions]) {
        if (now - session.lastFrameAt >= this.#idleTimeoutMs) {
          this.#drop(session, new SystemError("ETIMEDOUT", "EchoServer", `no frame completed in ${this.#idleTimeoutMs} ms`));
        }
      }
    }
  }

  #sweepInterval(): number {
    return this.#idleTimeoutMs > 0 ? Math.max(5, Math.min(1000, this.#idleTimeoutMs / 4)) : Infinity;
  }

  #handle(events: PollEvents<Entry>): void {
    this.#batchStartedAt = performance.now();
    for (let i = 0; i < events.length; i++) {
      const entry = events.data(i);
      if (entry === undefined) continue; // stale: a client dropped earlier in this batch
      if (entry === LISTENER) {
        this.#acceptAll();
        continue;
      }
      // Resolved once, before the flush: the kernel reported only what was asked for when it
      // waited, so a flush that changes the interest changes nothing here.
      const ready = pollEventReadiness(events, i);
      if (ready & READY_WRITABLE) this.#flush(entry);
      if (!this.#sessions.has(entry)) continue;
      if (ready & (READY_READABLE | READY_HANGUP | READY_ERROR)) {
        if (entry.reading && entry.paused === null) this.#serve(entry);
        // Not reading and hung up: the peer is gone, nothing queued can reach it.
        else if (ready & READY_HANGUP) this.#drop(entry, new SystemError("EPIPE", "EchoServer", "the client hung up with echoes unwritten"));
      }
    }
    if (this.#runnable.size === 0) return;
    for (const session of [...this.#runnable]) {
      this.#runnable.delete(session);
      if (this.#sessions.has(session) && session.reading && session.paused === null) this.#serve(session);
    }
  }

  #acceptAll(): void {
    while (this.#accepting) {
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
      const session = new EchoSession(this.#nextId++, socket, performance.now());
      try {
        this.#poller.add(session.fd, Interest.READABLE, session);
      } catch (error) {
        socket.close();
        log("warn", `could not watch a new client: ${(error as Error).message}`, { error });
        continue;
      }
      session.interest = Interest.READABLE;
      this.#sessions.add(session);
      // Read in this same turn: a client usually sends right after connecting.
      this.#runnable.add(session);
      this.#accepted++;
      log("info", `client ${session.id} connected (${this.#sessions.size} of ${this.#maxClients})`, { client: session.id });
    }
  }

  /**
   * accept(2) failed. Out of descriptors: the connection stays in the backlog, so accepting
   * pauses (the listener leaves the Poller, which needs no descriptor) and the reserve is given
   * up, leaving one free for waiting. Anything else concerns one connection that is gone already.
   */
  #acceptFailed(error: unknown): void {
    if (!isOutOfDescriptors(error)) {
      log("warn", `accept failed: ${(error as Error).message}`, { error });
      return;
    }
    log("warn", `out of descriptors, accepting paused until a client leaves: ${(error as Error).message}`, { error, clients: this.#sessions.size });
    this.#stopAccepting();
    this.#acceptResumeAt = performance.now() + ACCEPT_RETRY_MS;
  }

  #stopAccepting(): void {
    if (!this.#accepting) return;
    this.#accepting = false;
    this.#poller.delete(this.#listener.fd);
    this.#releaseReserve();
  }

  /** Takes the reserve back and watches the listener again; stays paused while no descriptor is free. */
  #resumeAccepting(): void {
    if (this.#accepting || this.#drainDeadline >= 0 || this.#closed) return;
    if (this.#reserve < 0) this.#reserve = tryDuplicate(this.#listener.fd);
    if (this.#reserve < 0) {
      this.#acceptResumeAt = performance.now() + ACCEPT_RETRY_MS;
      return;
    }
    this.#poller.add(this.#listener.fd, Interest.READABLE, LISTENER);
    this.#accepting = true;
    log("info", "accepting again", { clients: this.#sessions.size });
  }

  #releaseReserve(): void {
    if (this.#reserve < 0) return;
    try {
      closeDescriptor(this.#reserve);
    } catch {
      // Gone either way.
    }
    this.#reserve = -1;
  }

  /** Reads and echoes, up to READ_ROUNDS reads, until the socket is empty or reading must pause. */
  #serve(session: EchoSession): void {
    for (let round = 0; round < READ_ROUNDS; round++) {
      if (!session.reading || session.paused !== null) return;
      if (session.outBytes >= this.#highWaterMark) {
        this.#pause(session, "backlog");
        log("debug", `client ${session.id}: ${session.outBytes} bytes of echoes queued, reading paused`, { client: session.id });
        return;
      }
      const more = session.large !== null ? this.#readLarge(session) : this.#readShared(session);
      if (!more) return;
    }
    this.#runnable.add(session);
  }

  /** One read into the shared buffer after the carried bytes; echoes the whole frames. Returns whether to read again. */
  #readShared(session: EchoSession): boolean {
    const carry = session.carry;
    const carried = carry === null ? 0 : carry.length;
    if (carried >= HEADER_SIZE && HEADER_SIZE + frameLength(carry!, 0) > READ_BUFFER_SIZE) {
      // A long frame whose buffer did not fit under the bound last time.
      return this.#startLarge(session, carry!, 0, carried) && session.large !== null;
    }
    const { bytes: buffer, address } = this.#buffer;
    // Room under the bound for whatever this read may leave behind (unwritten echoes, carry).
    const room = Math.min(READ_BUFFER_SIZE - carried, this.#maxBuffered - this.#buffered);
    if (room <= 0) {
      this.#pause(session, "memory");
      return false;
    }
    let got: number;
    try {
      got = recvInto(session.fd, address + carried, room);
    } catch (error) {
      this.#drop(session, error);
      return false;
    }
    if (got < 0) return false;
    if (carry !== null) {
      buffer.set(carry, 0);
      session.carry = null;
      this.#charge(session, -carried);
    }
    if (got === 0) {
      this.#end(session, carried > 0 ? cutFrame(carried) : null);
      return false;
    }
    const total = carried + got;
    let at = 0;
    let frames = 0;
    let failure: SystemError | null = null;
    while (total - at >= HEADER_SIZE) {
      const length = frameLength(buffer, at);
      if (length > this.#maxMessageSize) {
        failure = tooLong(length, this.#maxMessageSize);
        break;
      }
      if (total - at - HEADER_SIZE < length) break;
      at += HEADER_SIZE + length;
      frames++;
    }
    if (frames > 0) {
      session.lastFrameAt = this.#batchStartedAt;
      if (!this.#echo(session, buffer, address, at, frames, false)) return false;
    }
    if (failure !== null) {
      this.#end(session, failure);
      return false;
    }
    if (at < total) {
      const rest = total - at;
      if (rest >= HEADER_SIZE && HEADER_SIZE + frameLength(buffer, at) > READ_BUFFER_SIZE) {
        if (!this.#startLarge(session, buffer, at, rest)) return false;
      } else {
        session.carry = buffer.slice(at, total);
        this.#charge(session, rest);
      }
    }
    // A short read: the socket is empty for now, and the Poller says when it is not.
    return got === room;
  }

  /**
   * Gives a frame longer than the shared buffer a buffer of its own, with its first `count`
   * bytes from `source`, if it fits under the bound; else carries those bytes and pauses.
   * Returns false when paused.
   */
  #startLarge(session: EchoSession, source: Uint8Array, from: number, count: number): boolean {
    const size = HEADER_SIZE + frameLength(source, from);
    const carried = session.carry === null ? 0 : session.carry.length;
    if (this.#buffered - carried + size > this.#maxBuffered) {
      if (session.carry === null) {
        session.carry = source.slice(from, from + count);
        this.#charge(session, count);
      }
      this.#pause(session, "memory");
      return false;
    }
    const { bytes, address } = ownedBuffer(size);
    bytes.set(source.subarray(from, from + count));
    if (session.carry !== null) {
      session.carry = null;
      this.#charge(session, -carried);
    }
    session.large = bytes;
    session.largeAddress = address;
    session.largeFilled = count;
    this.#charge(session, size);
    return true;
  }

  /** One read into the client's long frame; echoes it once whole. Returns whether to read again. */
  #readLarge(session: EchoSession): boolean {
    const large = session.large!;
    const want = large.length - session.largeFilled;
    let got: number;
    try {
      got = recvInto(session.fd, session.largeAddress + session.largeFilled, want);
    } catch (error) {
      this.#drop(session, error);
      return false;
    }
    if (got < 0) return false;
    if (got === 0) {
      this.#end(session, cutFrame(session.largeFilled));
      return false;
    }
    session.largeFilled += got;
    if (got < want) return false;
    session.large = null;
    session.lastFrameAt = this.#batchStartedAt;
    // Its charge moves with it to the echo queue, or ends once written.
    this.#charge(session, -large.length);
    return this.#echo(session, large, session.largeAddress, large.length, 1, true);
  }

  /**
   * Sends back `length` bytes of whole frames (`frames` of them) at `address`: at once when
   * nothing is queued before them, else after what is. What the socket does not take is queued,
   * copied unless `owned`. Returns false when the client was dropped.
   */
  #echo(session: EchoSession, bytes: Uint8Array, address: number, length: number, frames: number, owned: boolean): boolean {
    let sent = 0;
    if (session.outBytes === 0) {
      try {
        sent = sendFrom(session.fd, address, length);
      } catch (error) {
        this.#drop(session, error);
        return false;
      }
      if (sent === length) {
        this.#echoed(session, frames);
        return true;
      }
      if (sent < 0) sent = 0;
    }
    const done = sent === 0 ? 0 : framesWithin(bytes, sent);
    if (done > 0) this.#echoed(session, done);
    const rest = owned ? { bytes: bytes.subarray(sent, length), address: address + sent } : ownedBuffer(length - sent);
    if (!owned) rest.bytes.set(bytes.subarray(sent, length));
    const chunk: OutChunk = { bytes: rest.bytes, address: rest.address, frames: frames - done };
    session.out.push(chunk);
    session.outBytes += chunk.bytes.length;
    this.#charge(session, chunk.bytes.length);
    this.#watch(session);
    return true;
  }

  #echoed(session: EchoSession, frames: number): void {
    session.messages += frames;
    this.#messages += frames;
  }

  /** Writes queued echoes; closes a client that ended once drained, resumes one paused for its backlog. */
  #flush(session: EchoSession): void {
    const out = session.out;
    while (session.outBytes > 0) {
      const chunk = out[session.outHead]!;
      const length = chunk.bytes.length - session.outOffset;
      let sent: number;
      try {
        sent = sendFrom(session.fd, chunk.address + session.outOffset, length);
      } catch (error) {
        this.#drop(session, error);
        return;
      }
      if (sent <= 0) break;
      session.outBytes -= sent;
      if (sent < length) {
        session.outOffset += sent;
        break;
      }
      out[session.outHead++] = undefined as unknown as OutChunk;
      session.outOffset = 0;
      this.#charge(session, -chunk.bytes.length);
      this.#echoed(session, chunk.frames);
    }
    if (session.outBytes === 0) {
      session.out = [];
      session.outHead = 0;
      if (!session.reading) {
        this.#finish(session);
        return;
      }
    }
    if (session.paused === "backlog" && session.outBytes < this.#highWaterMark) {
      session.paused = null;
      this.#runnable.add(session);
      log("debug", `client ${session.id}: echoes drained to ${session.outBytes} bytes, reading resumed`, { client: session.id });
    }
    this.#watch(session);
  }

  #pause(session: EchoSession, reason: PauseReason): void {
    session.paused = reason;
    if (reason === "memory") this.#starved.add(session);
    this.#watch(session);
  }

  /** Adds `bytes` (negative to release) to the session's and the server's held bytes. */
  #charge(session: EchoSession, bytes: number): void {
    session.charged += bytes;
    this.#buffered += bytes;
    if (this.#buffered > this.#peakBuffered) this.#peakBuffered = this.#buffered;
    if (bytes < 0 && this.#starved.size > 0) {
      // Room was freed: the clients waiting for it try again.
      for (const starved of this.#starved) {
        starved.paused = null;
        this.#runnable.add(starved);
        this.#watch(starved);
      }
      this.#starved.clear();
    }
  }

  /** What to wait for: reading unless paused or ended, writing while echoes are queued. */
  #watch(session: EchoSession): void {
    if (!this.#sessions.has(session)) return;
    const interest = (session.reading && session.paused === null ? Interest.READABLE : 0) | (session.outBytes > 0 ? Interest.WRITABLE : 0);
    if (interest === session.interest) return;
    try {
      // No interest at all is no registration: epoll would still report a hang-up, over and over.
      if (interest === 0) this.#poller.delete(session.fd);
      else if (session.interest === 0) this.#poller.add(session.fd, interest, session);
      else this.#poller.modify(session.fd, interest);
    } catch (error) {
      // One client's registration failing must not stop the server for the others.
      session.interest = -1;
      this.#drop(session, error);
      return;
    }
    session.interest = interest;
  }

  /**
   * The client ended (cleanly, or with `failure`), or the server is shutting down: no more
   * reading; it is closed once its queued echoes are written.
   */
  #end(session: EchoSession, failure: SystemError | null): void {
    session.reading = false;
    session.failure ??= failure;
    this.#releaseInput(session);
    this.#starved.delete(session);
    this.#runnable.delete(session);
    if (session.outBytes === 0) this.#finish(session);
    else this.#watch(session);
  }

  #finish(session: EchoSession): void {
    const failure = session.failure;
    if (failure !== null) {
      this.#drop(session, failure);
      return;
    }
    this.#close(session);
    log("info", `client ${session.id} disconnected after ${session.messages} messages`, { client: session.id, messages: session.messages });
  }

  #drop(session: EchoSession, error: unknown): void {
    if (!this.#sessions.has(session)) return;
    this.#close(session);
    this.#dropped++;
    log("warn", `dropped client ${session.id}: ${(error as Error).message}`, { client: session.id, code: (error as SystemError).code });
  }

  #releaseInput(session: EchoSession): void {
    const held = (session.carry?.length ?? 0) + (session.large?.length ?? 0);
    session.carry = null;
    session.large = null;
    if (held > 0) this.#charge(session, -held);
  }

  #close(session: EchoSession): void {
    this.#sessions.delete(session);
    this.#runnable.delete(session);
    this.#starved.delete(session);
    if (session.interest > 0) {
      try {
        this.#poller.delete(session.fd);
      } catch {
        // Forgotten by the Poller all the same.
      }
    }
    session.interest = 0;
    session.socket.close();
    session.out = [];
    session.outBytes = 0;
    if (session.charged !== 0) this.#charge(session, -session.charged);
    // A descriptor came free: accept again now rather than at the next retry.
    if (!this.#accepting) this.#acceptResumeAt = 0;
  }
}

interface Settings {
  readonly maxClients: number;
  readonly maxMessageSize: number;
  readonly highWaterMark: number;
  readonly maxBuffered: number;
  readonly idleTimeoutMs: number;
  readonly mode: number | undefined;
  readonly backlog: number | undefined;
}

function readSettings(options: EchoServerOptions | undefined): Settings {
  const opts = validateOptions(options);
  const maxClients = opts.maxClients === undefined ? DEFAULT_MAX_CLIENTS : validateInteger(opts.maxClients, "options.maxClients", 1, 0x7fffffff);
  const maxMessageSize =
    opts.maxMessageSize === undefined ? DEFAULT_MAX_MESSAGE_SIZE : validateMaxMessageSize(opts.maxMessageSize, "options.maxMessageSize");
  const highWaterMark = opts.highWaterMark === undefined ? DEFAULT_HIGH_WATER_MARK : validateInteger(opts.highWaterMark, "options.highWaterMark", 1, 0x7fffffff);
  const maxBuffered =
    opts.maxBuffered === undefined
      ? Math.max(DEFAULT_MAX_BUFFERED, HEADER_SIZE + maxMessageSize)
      : validateInteger(opts.maxBuffered, "options.maxBuffered", HEADER_SIZE + maxMessageSize, Number.MAX_SAFE_INTEGER);
  const idleTimeoutMs = opts.idleTimeoutMs === undefined ? DEFAULT_IDLE_TIMEOUT_MS : validateInteger(opts.idleTimeoutMs, "options.idleTimeoutMs", 0, 0x7fffffff);
  return { maxClients, maxMessageSize, highWaterMark, maxBuffered, idleTimeoutMs, mode: opts.mode, backlog: opts.backlog };
}

/** The payload length in the 4-byte big-endian header at `at`; unsigned (`<<` would go negative at 2 GiB). */
function frameLength(bytes: Uint8Array, at: number): number {
  return bytes[at]! * 0x1000000 + ((bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!);
}

/** How many of the whole frames at the start of `bytes` end within its first `limit` bytes. */
function framesWithin(bytes: Uint8Array, limit: number): number {
  let at = 0;
  let frames = 0;
  for (;;) {
    const end = at + HEADER_SIZE + frameLength(bytes, at);
    if (end > limit) return frames;
    frames++;
    at = end;
  }
}

function cutFrame(bytes: number): SystemError {
  return new SystemError("EPROTO", "EchoServer", `the stream ended in the middle of a frame, ${bytes} bytes into it`);
}

function tooLong(length: number, max: number): SystemError {
  return new SystemError("EMSGSIZE", "EchoServer", `the client announced a ${length}-byte message, above maxMessageSize (${max})`);
}

function isOutOfDescriptors(error: unknown): boolean {
  const code = (error as SystemError | undefined)?.code;
  return code === "EMFILE" || code === "ENFILE";
}

/** A close-on-exec copy of `fd` to hold in reserve, or -1 when no descriptor is free. */
function tryDuplicate(fd: number): number {
  try {
    return duplicateDescriptor(fd);
  } catch {
    return -1;
  }
}
