/**
 * The async waiter's readiness watch for a `Kqueue` loaded from a `library` (libkqueue on Linux): a helper
 * thread of the instance's own that calls `kevent()` on it, because libkqueue's descriptor is the
 * write end of a pipe that never becomes readable (docs/design/libkqueue.md §10), so the shared
 * readiness thread cannot watch it.
 *
 * The design (docs/design/wait-async.md, "The libkqueue helper"): the helper's `kevent()` fills an event list in
 * shared memory; when it returns, the main thread keeps what it got as a *stash* and reports; the
 * waiter's `Kqueue.wait(0)` then delivers the stash (through {@link KeventHelper.take}, which every
 * `wait` calls first) instead of calling `kevent()`. So the events a helper collected are never
 * lost: a wait that was aborted or timed out meanwhile leaves them for the next `wait` or
 * `waitAsync`, and the one-shot bookkeeping and udata resolution are those of `wait`.
 *
 * The helper is woken out of `kevent()` (before a synchronous `wait` on the main thread, at
 * `close`, and when it has been idle for {@link LINGER_MS}) by a private `EVFILT_USER` event:
 * registered with `EV_ONESHOT` and triggered only for that, under an ident no `register` can name
 * (`UINTPTR_MAX`), filtered out of the results, and deleted if it was not delivered. A
 * synchronous `wait` or `close` waits (blocking, microseconds) until the helper is out of
 * `kevent()`: a kqueue must not be closed while another thread is inside `kevent()` on it.
 *
 * The alternative of waking the helper at every abort or timeout was left out: a helper that
 * stays in `kevent()` after a wait settles costs nothing, and the next `waitAsync` finds it
 * already waiting.
 *
 * @internal
 * @module
 */
import { SystemError } from "../../core/errors.ts";
import { log } from "../../core/log.ts";
import { hostKqueueAbi, kqueueConstant } from "../../kevent/constants.ts";
import { KeventChanges, PRIVATE_IDENT } from "../../kevent/changes.ts";
import type { KeventCall } from "../../kevent/library.ts";
import {
  CONTROL_WORDS,
  DONE,
  EXIT,
  IDLE,
  REQUESTED,
  RESULT,
  RUNNING,
  STATE,
  type KeventHelperStart,
} from "./handshake.ts";
import { helperThreadError } from "../helper-error.ts";
import { LINGER_MS, Linger, startHelperWorker } from "../helper-thread.ts";
import type { ReadinessWatch } from "../watch.ts";

const EV_ADD = kqueueConstant("EV_ADD");
const EV_DELETE = kqueueConstant("EV_DELETE");
const EV_ONESHOT = kqueueConstant("EV_ONESHOT");
const EVFILT_USER = kqueueConstant("EVFILT_USER");
const NOTE_TRIGGER = kqueueConstant("NOTE_TRIGGER");

/** How long a synchronous `wait` or `close` waits for the helper to leave `kevent()`. */
const QUIESCE_LIMIT_MS = 10_000;

/** Helpers with a live thread, held strongly: their kqueue must not be collected under them. */
const liveHelpers = new Set<KeventHelper>();

/** What a helper needs from its `Kqueue`. */
export interface KeventHelperOptions {
  /** The kqueue descriptor. */
  readonly fd: number;
  /** The library the kqueue came from (the helper loads `kevent` from it), or the C library's. */
  readonly library: string | undefined;
  /** The kqueue's `kevent` binding, for the private wake-up event. */
  readonly kevent: KeventCall;
  /** The kqueue's `maxEvents`: the helper collects at most this many per `kevent()`. */
  readonly capacity: number;
  /** The `Kqueue` itself, kept alive while the helper's thread runs. */
  readonly owner: object;
  /** Called when a `kevent()` came back with nothing and not woken: libkqueue may have lost a process exit. */
  readonly onEmpty?: () => void;
}

/** One helper thread's handle on the main thread. */
interface Thread {
  readonly worker: Worker;
  readonly control: Int32Array;
  readonly exited: Promise<void>;
  /** Set when the worker failed or ended by itself. */
  failure: unknown;
  /** A DONE wait is being awaited. */
  awaiting: boolean;
}

/** A `Kqueue`'s helper thread, started on the first armed wait and stopped after idling. */
export class KeventHelper implements ReadinessWatch {
  readonly #options: KeventHelperOptions;
  readonly #onReady: () => void;
  readonly #onError: (error: unknown) => void;
  readonly #changes: KeventChanges;
  /** The event list the helper fills: kept across threads, since it may hold a stash. */
  readonly #events: Uint32Array;
  readonly #halves: Int16Array;
  readonly #entryWords: number;
  readonly #identWord: number;
  readonly #filterHalf: number;
  #thread: Thread | undefined;
  #stash = 0;
  #stashError = 0;
  #interested = false;
  #wakePending = false;
  readonly #linger = new Linger(
    () => this.#interested || this.#thread === undefined,
    () => this.#stopThread(),
  );

  /**
   * @param options - the kqueue's side.
   * @param onReady - the waiter's report.
   * @param onError - the waiter's failure.
   */
  constructor(options: KeventHelperOptions, onReady: () => void, onError: (error: unknown) => void) {
    this.#options = options;
    this.#onReady = onReady;
    this.#onError = onError;
    this.#changes = new KeventChanges(options.kevent);
    const layout = hostKqueueAbi.kevent;
    const buffer = new SharedArrayBuffer(layout.size * options.capacity);
    this.#events = new Uint32Array(buffer);
    this.#halves = new Int16Array(buffer);
    this.#entryWords = layout.size / 4;
    this.#identWord = layout.fields.ident.offset / 4;
    this.#filterHalf = layout.fields.filter.offset / 2;
  }

  /** Whether the helper thread is running. */
  get running(): boolean {
    return this.#thread !== undefined;
  }

  /** Starts the helper thread if needed and asks it for one `kevent()` wait (or reports a stash). */
  arm(): void {
    this.#interested = true;
    const thread = (this.#thread ??= this.#startThread());
    thread.worker.ref();
    if (this.#stash > 0 || this.#stashError !== 0) {
      // Collected earlier and not yet delivered: report on the next turn (never from inside arm).
      setImmediate(() => {
        if (this.#interested && (this.#stash > 0 || this.#stashError !== 0)) this.#onReady();
      });
      return;
    }
    const control = thread.control;
    if (Atomics.load(control, STATE) === IDLE) {
      Atomics.store(control, STATE, REQUESTED);
      Atomics.notify(control, STATE);
    }
    // REQUESTED or RUNNING: already waiting (left waiting by an earlier wait). DONE: collected below.
    void this.#awaitDone(thread);
  }

  /** No longer waiting; the helper may stay in `kevent()` until it lingers out. */
  disarm(): void {
    if (!this.#interested) return;
    this.#interested = false;
    const thread = this.#thread;
    if (thread === undefined) return;
    thread.worker.unref();
    this.#linger.idle();
  }

  /** Brings the helper out of `kevent()` and ends it, before the kqueue closes; drops the stash. */
  dispose(): void {
    this.#interested = false;
    this.#linger.cancel();
    this.#stopThread();
    this.#stash = 0;
    this.#stashError = 0;
  }

  /** Stops the thread now, failing a pending wait with `error`. For shutdowns. */
  shutdown(error: unknown): void {
    if (this.#interested) {
      this.#interested = false;
      this.#onError(error);
    }
    this.#linger.cancel();
    this.#stopThread();
  }

  /**
   * Called by `Kqueue.wait` before it waits: brings the helper out of `kevent()` (blocking until it
   * is), and moves what it collected into `words`, the kqueue's event buffer. Returns how many
   * events it moved; 0 means the caller calls `kevent()` itself.
   * @throws SystemError for a failed helper `kevent()` (its errno, syscall `"kevent"`).
   */
  take(words: Uint32Array): number {
    if (this.#quiesce() && this.#interested) this.#resumeSoon();
    const error = this.#stashError;
    if (error !== 0) {
      this.#stashError = 0;
      throw SystemError.fromErrno(error, "kevent");
    }
    const count = this.#stash;
    if (count === 0) return 0;
    words.set(this.#events.subarray(0, count * this.#entryWords));
    this.#stash = 0;
    return count;
  }

  #startThread(): Thread {
    const control = new Int32Array(new SharedArrayBuffer(CONTROL_WORDS * 4));
    let thread!: Thread;
    const { worker, exited } = startHelperWorker("kevent-worker", "kqueue helper thread", {
      failed: (error) => this.#threadFailed(thread, error),
      ended: () => this.#threadFailed(thread, helperThreadError("kqueue helper thread", undefined)),
    });
    thread = { worker, control, exited, failure: undefined, awaiting: false };
    const { fd, library, capacity } = this.#options;
    const start: KeventHelperStart = { control, events: this.#events, capacity, fd, library };
    worker.postMessage(start);
    liveHelpers.add(this);
    return thread;
  }

  /** Waits (asynchronously) for the helper's `kevent()` to return, then collects and reports. */
  async #awaitDone(thread: Thread): Promise<void> {
    if (thread.awaiting) return;
    thread.awaiting = true;
    const control = thread.control;
    for (;;) {
      const state = Atomics.load(control, STATE);
      if (this.#thread !== thread || thread.failure !== undefined || (state !== REQUESTED && state !== RUNNING)) {
        thread.awaiting = false;
        if (state === DONE && this.#thread === thread) {
          this.#collect(control);
          if (this.#interested) this.#onReady();
        }
        return;
      }
      const waiting = Atomics.waitAsync(control, STATE, state);
      if (waiting.async) await waiting.value;
    }
  }

  /**
   * Brings the helper to IDLE with its results collected: cancels a request it has not taken, or
   * wakes it out of `kevent()` and waits for it. Returns whether a wait was in progress.
   */
  #quiesce(): boolean {
    const thread = this.#thread;
    if (thread === undefined) return false;
    const control = thread.control;
    let state = Atomics.load(control, STATE);
    if (state === REQUESTED) {
      state = Atomics.compareExchange(control, STATE, REQUESTED, IDLE);
      if (state === REQUESTED) return true;
    }
    if (state === RUNNING) {
      this.#wake(thread);
      const deadline = performance.now() + QUIESCE_LIMIT_MS;
      while ((state = Atomics.load(control, STATE)) === RUNNING && performance.now() < deadline) {
        Atomics.wait(control, STATE, RUNNING, 100);
      }
      if (state === RUNNING) {
        log("error", `the kqueue helper thread did not leave kevent() within ${QUIESCE_LIMIT_MS} ms`);
        return true;
      }
    }
    if (state === DONE) {
      this.#collect(control);
      return true;
    }
    return false;
  }

  /** Keeps the helper's results (without the private wake-up event) and returns it to IDLE. */
  #collect(control: Int32Array): void {
    const result = control[RESULT]!;
    const woken = this.#wakePending;
    let kept = 0;
    let sawWake = false;
    if (result < 0) {
      this.#stashError = -result;
    } else {
      const events = this.#events;
      const stride = this.#entryWords;
      for (let i = 0; i < result; i++) {
        if (this.#isWake(i)) {
          sawWake = true;
          continue;
        }
        if (kept !== i) events.copyWithin(kept * stride, i * stride, (i + 1) * stride);
        kept++;
      }
    }
    this.#stash = kept;
    if (this.#wakePending) {
      this.#wakePending = false;
      // Triggered but not delivered (the wait returned for other events first): delete it, so no
      // other kevent() ever returns it. Delivered, the one-shot event is gone already.
      if (!sawWake) this.#changes.submit(this.#options.fd, PRIVATE_IDENT, EVFILT_USER, EV_DELETE, 0, 0, 0);
    }
    Atomics.store(control, STATE, IDLE);
    // kevent() without a timeout returns nothing only spuriously (or interrupted): let the kqueue
    // look for what libkqueue could not report (a lost process exit) before the next request.
    if (result === 0 && !woken) this.#options.onEmpty?.();
  }

  /** Makes the helper's `kevent()` return: adds and triggers the private one-shot user event. */
  #wake(thread: Thread): void {
    if (this.#wakePending) return;
    const fd = this.#options.fd;
    let error = this.#changes.submit(fd, PRIVATE_IDENT, EVFILT_USER, EV_ADD | EV_ONESHOT, 0, 0, 0);
    if (error === 0) error = this.#changes.submit(fd, PRIVATE_IDENT, EVFILT_USER, 0, NOTE_TRIGGER, 0, 0);
    if (error !== 0) {
      log("error", "cannot wake the kqueue helper thread", { error: SystemError.fromErrno(error, "kevent"), thread: thread.worker.threadId });
      return;
    }
    this.#wakePending = true;
  }

  #isWake(i: number): boolean {
    const at = i * this.#entryWords + this.#identWord;
    const events = this.#events;
    return (
      events[at] === 0xffffffff &&
      events[at + 1] === 0xffffffff &&
      this.#halves[(i * this.#entryWords * 2) + this.#filterHalf] === EVFILT_USER
    );
  }

  /** A synchronous wait interrupted the helper while a wait was pending: start it again. */
  #resumeSoon(): void {
    setImmediate(() => {
      const thread = this.#thread;
      if (!this.#interested || thread === undefined) return;
      if (this.#stash > 0 || this.#stashError !== 0) {
        this.#onReady();
        return;
      }
      if (Atomics.load(thread.control, STATE) === IDLE) {
        Atomics.store(thread.control, STATE, REQUESTED);
        Atomics.notify(thread.control, STATE);
      }
      void this.#awaitDone(thread);
    });
  }

  /** Ends the helper thread (out of `kevent()` first); its stash stays for the next `wait`. */
  #stopThread(): void {
    const thread = this.#thread;
    if (thread === undefined) return;
    this.#quiesce();
    this.#thread = undefined;
    liveHelpers.delete(this);
    Atomics.store(thread.control, STATE, EXIT);
    Atomics.notify(thread.control, STATE);
    stopping.add(thread.exited);
    void thread.exited.then(() => stopping.delete(thread.exited));
  }

  #threadFailed(thread: Thread, error: unknown): void {
    if (thread.failure !== undefined) return;
    thread.failure = error;
    if (this.#thread !== thread) return;
    // The helper never got to kevent() (it could not load it) or ended: start afresh next time.
    this.#thread = undefined;
    liveHelpers.delete(this);
    if (this.#interested) this.#onError(error);
  }
}

/** Helper threads asked to end that have not ended yet. */
const stopping = new Set<Promise<void>>();

/**
 * Stops every helper thread of this JS thread, failing their pending waits with ECANCELED, and
 * resolves once they have all ended. For tests.
 */
export async function shutdownKeventHelpers(): Promise<void> {
  const cancelled = new SystemError("ECANCELED", "waitAsync", "the kqueue helper thread was shut down");
  for (const helper of [...liveHelpers]) helper.shutdown(cancelled);
  await Promise.all([...stopping]);
}

/** How many helper threads this JS thread has: running, or asked to end and not ended yet. */
export function keventHelperCount(): number {
  return liveHelpers.size + stopping.size;
}
