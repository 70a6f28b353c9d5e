/**
 * A readiness watch through Bun's own event loop, one duplicate per wait: Bun's loop watches a duplicate of the
 * instance's descriptor, so the kernel wakes this thread directly when the instance has events.
 * One wake-up, no helper thread, no shared memory.
 *
 * How: `Bun.connect({ fd })` adopts any descriptor as a socket. Bun registers it in the event
 * loop's epoll for reading and touches it no further until it polls readable, and an epoll
 * descriptor polls readable exactly when `epoll_wait` on it would return events, without anything
 * being taken from it (edge-triggered and one-shot registrations stay for the waiter's own
 * `wait(0)`). Then Bun tries to read, fails with ENOTSOCK, removes the duplicate from its loop,
 * closes it and calls `close(socket, error)`: that call is the report. Each `arm()` hands over a
 * fresh duplicate; `disarm()` and `dispose()` end a pending one with `terminate()`. A pending
 * socket keeps the process alive, as a pending wait should, and only while it is pending; after
 * `keepAlive(false)` it is `unref()`ed as soon as Bun opens it.
 *
 * What this relies on, as Bun 1.4.5 does it (test/async/event-loop/duplicate-watch.test.ts checks each):
 * - `open` runs synchronously inside `Bun.connect`;
 * - readiness: `close(socket, error)` with `error.code` ENOTSOCK, the duplicate closed and gone
 *   from the loop's epoll;
 * - `terminate()` closes and deregisters at once, and calls `close(socket)` synchronously
 *   without an error;
 * - when Bun cannot register the descriptor (ELOOP: nested too deep, or a loop), it calls
 *   `connectError` (ECONNREFUSED, the kernel's errno lost) from inside `Bun.connect`, and leaves
 *   the descriptor open;
 * - Bun sets O_NONBLOCK on the open file description, which the duplicate shares with the
 *   instance's own descriptor: `epoll_wait` ignores that flag, and nothing else applies to an epoll.
 *
 * Anything else (a connect error, an unexpected close, a run of reports that find nothing) switches
 * the watch to its fallback, the shared readiness thread (../readiness-thread/engine.ts), for the rest of its
 * life: that path reports the kernel's own errors (ELOOP from `epoll_ctl`) and needs nothing of
 * Bun but `Atomics.waitAsync`.
 *
 * @internal
 * @module
 */
import { closeDescriptor, duplicateDescriptor } from "../../core/fd.ts";
import { log } from "../../core/log.ts";
import type { ReadinessWatch } from "../watch.ts";

/** The parts of Bun's socket this watch uses. */
interface LoopSocket {
  readonly data: LoopDuplicate;
  terminate(): void;
  ref(): void;
  unref(): void;
}

/** One armed watch: a duplicate handed to Bun's loop, until its report or its cancellation. */
interface LoopDuplicate {
  readonly owner: LoopDuplicateWatch;
  readonly fd: number;
  /** Whether the report (or failure) is still wanted. */
  live: boolean;
  /** Whether the socket keeps the process alive. */
  keepAlive: boolean;
  socket: LoopSocket | undefined;
}

/**
 * Reports in a row that found nothing (the waiter armed again straight after each) before the
 * watch gives up on Bun's loop. Real spurious reports are rare: the instance must lose its
 * events between the loop's poll and the waiter's `wait(0)`.
 */
const MAX_EMPTY_REPORTS = 64;

// `fd` is accepted at run time but missing from the typed overloads of Bun.connect (docs/design/bun-ffi.md).
const connect = Bun.connect as unknown as (options: {
  fd: number;
  data: LoopDuplicate;
  socket: typeof handlers;
}) => Promise<unknown>;

// One handler object for every watch, made once: the watch travels as the socket's `data`.
const handlers = {
  open(socket: LoopSocket): void {
    const watch = socket.data;
    watch.socket = socket;
    if (!watch.keepAlive) socket.unref();
    if (!watch.live) socket.terminate();
  },
  data(): void {
    // An epoll descriptor never yields data.
  },
  close(socket: LoopSocket, error?: { code?: string }): void {
    socket.data.owner.closed(socket.data, error?.code);
  },
  connectError(socket: LoopSocket): void {
    socket.data.owner.refused(socket.data);
  },
};

const ignoreRejection = (): void => {};

/** Reports the readiness of one instance's descriptor through Bun's event loop. */
export class LoopDuplicateWatch implements ReadinessWatch {
  readonly #fd: number;
  readonly #onReady: () => void;
  readonly #makeFallback: () => ReadinessWatch;
  #fallback: ReadinessWatch | undefined;
  #watch: LoopDuplicate | undefined;
  /** Reports in a row whose poll found nothing. */
  #emptyReports = 0;
  /** Inside `Bun.connect`: a callback now must not report synchronously from `arm()`. */
  #arming = false;
  /** Whether a pending duplicate keeps the process alive. */
  #keepAlive = true;

  /**
   * @param fd - the instance's descriptor (not owned: it is duplicated for each watch).
   * @param onReady - the waiter's report.
   * @param fallback - makes the readiness-thread watch used when Bun's loop cannot serve.
   */
  constructor(fd: number, onReady: () => void, fallback: () => ReadinessWatch) {
    this.#fd = fd;
    this.#onReady = onReady;
    this.#makeFallback = fallback;
  }

  /**
   * Hands a duplicate of the descriptor to Bun's loop, unless one is already there.
   * @throws SystemError EMFILE from the duplication (or what the fallback throws).
   */
  arm(retry: boolean): void {
    if (this.#fallback !== undefined) {
      this.#fallback.arm(retry);
      return;
    }
    if (!retry) {
      this.#emptyReports = 0;
    } else if (++this.#emptyReports > MAX_EMPTY_REPORTS) {
      this.#giveUp("its reports keep finding nothing");
      this.#fallback!.arm(false);
      return;
    }
    if (this.#watch !== undefined) return;
    const watch: LoopDuplicate = { owner: this, fd: duplicateDescriptor(this.#fd), live: true, keepAlive: this.#keepAlive, socket: undefined };
    this.#watch = watch;
    this.#arming = true;
    try {
      connect({ fd: watch.fd, data: watch, socket: handlers }).catch(ignoreRejection);
    } catch (error) {
      // Bun refused the options outright, before taking the descriptor.
      this.#watch = undefined;
      watch.live = false;
      closeDescriptor(watch.fd);
      this.#giveUp(error);
      this.#fallback!.arm(false);
    } finally {
      this.#arming = false;
    }
  }

  /** The wait settled: the pending watch, if any, is ended (it no longer keeps the process alive). */
  disarm(): void {
    this.#emptyReports = 0;
    this.#cancel();
    this.#fallback?.disarm();
  }

  /** Whether a pending duplicate (this one and the next) keeps the process alive; the fallback's too. */
  keepAlive(on: boolean): void {
    this.#keepAlive = on;
    const watch = this.#watch;
    if (watch !== undefined && watch.keepAlive !== on) {
      watch.keepAlive = on;
      if (on) watch.socket?.ref();
      else watch.socket?.unref();
    }
    this.#fallback?.keepAlive?.(on);
  }

  /** The instance is closing: the duplicate leaves Bun's loop before the descriptor closes. */
  dispose(): void {
    this.#cancel();
    this.#fallback?.dispose();
  }

  /** Bun closed `watch`'s socket: readiness (ENOTSOCK), or something this watch did not expect. @internal */
  closed(watch: LoopDuplicate, code: string | undefined): void {
    if (!watch.live) return;
    watch.live = false;
    this.#watch = undefined;
    if (code !== "ENOTSOCK") this.#giveUp(`Bun closed the watch unexpectedly (${code ?? "no error"})`);
    // Also after giving up: the waiter polls, and arms again through the fallback.
    this.#report();
  }

  /** Bun could not register `watch`'s descriptor, which stays open. @internal */
  refused(watch: LoopDuplicate): void {
    // Bun left it open, also when the watch was cancelled meanwhile.
    closeDescriptor(watch.fd);
    if (!watch.live) return;
    watch.live = false;
    this.#watch = undefined;
    this.#giveUp("Bun could not add it to its event loop");
    this.#report();
  }

  /** Calls the waiter, never from inside `arm()` (a Bun that called back synchronously). */
  #report(): void {
    if (this.#arming) queueMicrotask(this.#onReady);
    else this.#onReady();
  }

  #cancel(): void {
    const watch = this.#watch;
    if (watch === undefined) return;
    this.#watch = undefined;
    watch.live = false;
    // Closes the duplicate and calls `close` at once, which `live` makes a no-op. Before `open`
    // (a Bun that opens later), `open` terminates it.
    watch.socket?.terminate();
  }

  #giveUp(reason: unknown): void {
    log("debug", "waitAsync falls back to the readiness thread for an instance", { reason });
    this.#fallback ??= this.#makeFallback();
    this.#fallback.keepAlive?.(this.#keepAlive);
  }
}
