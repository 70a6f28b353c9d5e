/**
 * The watches of one JS thread, multiplexed on one shared `Poller` with one pending wait.
 *
 * - **One registration per watch.** Each watch is one level-triggered registration in the thread's
 *   Poller, with its record as the data. The Poller is made with the first watch and closed with
 *   the last, so a program without watches holds no descriptor for them.
 * - **One pending wait.** A single `Poller.batches()` loop runs while any watch is open and hands
 *   each batch to the callbacks: the Poller's watch stays armed between batches (with the io_uring
 *   relay, one `io_uring_enter` per batch and no object handed to Bun's loop). The loop keeps the
 *   process alive while any open watch is ref'd; while only unref'd ones are open, the hub turns
 *   that off through the loop's internal `keepProcessAlive` switch (batch-loop.ts), which each
 *   readiness mechanism honours (the relay socket, the duplicate's socket, the readiness thread's
 *   Worker are unref'd), so unref'd watches are served by the same loop with the same system
 *   calls.
 * - **Level-triggered on the event loop.** A callback that leaves its condition in place is called
 *   again on a later turn: the loop arms its watch again after each batch, and a watch armed on an
 *   instance that is ready already reports on a later turn of the event loop, never at once, so a
 *   watch that is always ready cannot starve timers or I/O.
 * - **Closed descriptors.** A watched number that was closed, or closed and given to another file,
 *   is noticed when its next event comes (its file's identity is checked before each callback) or
 *   by a sweep every {@link SWEEP_MS} ms, whichever is first; its watch then ends with one callback
 *   whose `error` is true. A file whose number was closed but which stays open elsewhere (a
 *   duplicate) stays in the kernel's epoll set with no number left to remove it by: a batch
 *   that reports such a ghost makes the hub move every watch to a new Poller.
 * - **Callback exceptions** are rethrown from a microtask of their own, where they surface as any
 *   uncaught exception of a timer's or a promise's callback does: `process.on("uncaughtException")`
 *   gets it, or Bun reports it and ends the process with code 1 once its event loop goes idle.
 *   The rest of the batch is delivered first.
 *
 * @internal
 * @module
 */
import { SystemError } from "../core/errors.ts";
import { log } from "../core/log.ts";
import { BatchLoop, keepProcessAlive } from "../async/batch-loop.ts";
import { type PollEvents, pollEventReadiness } from "../poller/poll-events.ts";
import { Poller } from "../poller/poller.ts";
import { READY_ERROR, READY_HANGUP, READY_READABLE, READY_WRITABLE } from "../poller/registration.ts";
import { identify, stillRefersTo, type FileIdentity } from "./file-identity.ts";
import type { WatchReadiness } from "./watch-fd.ts";

/**
 * How often (ms) every watched number is checked for having been closed or reused, for watches
 * whose descriptor went quiet. One fstat per watch per sweep: about half a microsecond each.
 */
export const SWEEP_MS = 250;

type Readiness = WatchReadiness;

/** The readiness a watch ends with when its descriptor was closed or reused. */
const CLOSED_READINESS: Readiness = Object.freeze({ readable: false, writable: false, hangup: false, error: true });

/** One watch as the hub keeps it. */
export class WatchRecord {
  /** Whether the watch is open (cleared once, by close or by the end of its descriptor). */
  open = true;

  constructor(
    readonly fd: number,
    readonly identity: FileIdentity,
    public interest: number,
    readonly callback: (ready: Readiness) => void,
    readonly ref: boolean,
  ) {}
}

/** Rethrows `error` where it surfaces as an uncaught exception, without interrupting the caller. */
function surface(error: unknown): void {
  queueMicrotask(() => {
    throw error;
  });
}

function call(record: WatchRecord, ready: Readiness): void {
  try {
    record.callback(ready);
  } catch (error) {
    surface(error);
  }
}

/** The hub's running `batches()` loop and what ends it. */
interface RunningLoop {
  readonly controller: AbortController;
  readonly batches: AsyncIterableIterator<PollEvents<WatchRecord>>;
}

/** The watches of this thread. */
export class WatchHub {
  #poller: Poller<WatchRecord> | undefined;
  readonly #records = new Map<number, WatchRecord>();
  #refs = 0;
  /** The running loop; `undefined` when none runs. */
  #loop: RunningLoop | undefined;
  /** How many `batches()` loops are running (for tests: never more than one). */
  #pendingWaits = 0;
  #sweep: ReturnType<typeof setInterval> | undefined;

  /** How many batches have been dispatched since the hub was made. */
  #batches = 0;

  /** Open watches, pending waits, dispatched batches and the Poller's descriptor: for tests. */
  get stats(): { watches: number; pendingWaits: number; batches: number; pollerFd: number } {
    return { watches: this.#records.size, pendingWaits: this.#pendingWaits, batches: this.#batches, pollerFd: this.#poller?.fd ?? -1 };
  }

  /**
   * Registers a watch of `fd`.
   * @throws SystemError EEXIST when `fd` is watched already; EBADF when it is not open; what the
   *   Poller's `add` throws (EPERM for a regular file on epoll).
   */
  add(fd: number, interest: number, callback: (ready: Readiness) => void, ref: boolean): WatchRecord {
    const existing = this.#records.get(fd);
    if (existing !== undefined) {
      // A number closed (and perhaps reused) since it was watched ends that watch first.
      if (stillRefersTo(fd, existing.identity)) {
        throw new SystemError("EEXIST", "watchFd", `fd ${fd} is already watched on this thread`);
      }
      this.#end(existing);
    }
    const identity = identify(fd);
    if (identity === null) throw new SystemError("EBADF", "watchFd", `fd ${fd} is not open`);
    const poller = (this.#poller ??= new Poller<WatchRecord>());
    const record = new WatchRecord(fd, identity, interest, callback, ref);
    try {
      poller.add(fd, interest, record);
    } catch (error) {
      if (this.#records.size === 0) this.#shutDown();
      throw error;
    }
    this.#records.set(fd, record);
    if (ref) this.#refs++;
    this.#sweep ??= setInterval(() => this.#sweepClosed(), SWEEP_MS);
    this.#sweep.unref();
    this.#schedule();
    return record;
  }

  /**
   * Changes what `record` watches.
   * @throws SystemError EBADF when its descriptor was closed (or reused) meanwhile: the watch has
   *   then ended, with its error callback; what the Poller's `modify` throws otherwise.
   */
  update(record: WatchRecord, interest: number): void {
    if (!stillRefersTo(record.fd, record.identity)) {
      this.#end(record);
      throw new SystemError("EBADF", "FdWatch.update", `fd ${record.fd} was closed while watched`);
    }
    this.#poller!.modify(record.fd, interest);
    record.interest = interest;
  }

  /** Stops `record` (idempotent); the descriptor is left alone. */
  remove(record: WatchRecord): void {
    if (!record.open) return;
    record.open = false;
    if (this.#records.get(record.fd) === record) this.#records.delete(record.fd);
    if (record.ref) this.#refs--;
    try {
      this.#poller?.delete(record.fd);
    } catch (error) {
      // Deleted from the Poller's map all the same; the kernel side goes with the file.
      log("debug", "watchFd: removing a registration failed", { fd: record.fd, error });
    }
    if (this.#records.size === 0) this.#shutDown();
    else this.#schedule();
  }

  /**
   * Ends `record` because its descriptor was closed or reused: one callback with `error` set, on
   * a turn of its own (this may run inside `watchFd` or `update`, and a callback never comes
   * inside another call).
   */
  #end(record: WatchRecord): void {
    if (!record.open) return;
    this.remove(record);
    setImmediate(call, record, CLOSED_READINESS);
  }

  /** Starts the loop if none runs, and makes it keep the process alive exactly while a ref'd watch is open. */
  #schedule(): void {
    const poller = this.#poller;
    if (poller === undefined) return;
    const loop = this.#loop;
    if (loop === undefined) void this.#run(poller);
    else this.#keepAlive(loop);
  }

  #keepAlive(loop: RunningLoop): void {
    // Always a BatchLoop (the Poller's own); the check keeps the internal switch typed.
    if (loop.batches instanceof BatchLoop) loop.batches[keepProcessAlive](this.#refs > 0);
  }

  async #run(poller: Poller<WatchRecord>): Promise<void> {
    const controller = new AbortController();
    const loop: RunningLoop = { controller, batches: poller.batches({ signal: controller.signal }) };
    this.#loop = loop;
    this.#keepAlive(loop);
    this.#pendingWaits++;
    try {
      for await (const events of loop.batches) this.#dispatch(events);
    } catch (error) {
      // An abort or a close is the hub's own doing (another watch set, the last watch closed).
      if (!controller.signal.aborted && !poller.closed) this.#failAll(error);
    } finally {
      this.#pendingWaits--;
      if (this.#loop === loop) this.#loop = undefined;
    }
  }

  /**
   * The wait itself failed (its helper thread died, say): nothing would call the watches again, so
   * each ends as a closed descriptor's would, rather than staying open and silent.
   */
  #failAll(error: unknown): void {
    log("error", "watchFd: waiting for the watches failed; every watch ends", { error });
    for (const record of [...this.#records.values()]) this.#end(record);
  }

  #stopLoop(): void {
    const loop = this.#loop;
    this.#loop = undefined;
    loop?.controller.abort();
  }

  /** Calls back every live watch in `events`. */
  #dispatch(events: PollEvents<WatchRecord>): void {
    this.#batches++;
    const length = events.length;
    // Read before any callback can delete a registration: a stale entry now is a ghost.
    let ghost = false;
    for (let i = 0; i < length; i++) if (events.data(i) === undefined) ghost = true;
    for (let i = 0; i < length; i++) {
      const record = events.data(i);
      if (record === undefined || !record.open) continue;
      if (!stillRefersTo(record.fd, record.identity)) {
        this.#end(record);
        ghost = true;
        continue;
      }
      const ready = pollEventReadiness(events, i);
      call(record, {
        readable: (ready & READY_READABLE) !== 0,
        writable: (ready & READY_WRITABLE) !== 0,
        hangup: (ready & READY_HANGUP) !== 0,
        error: (ready & READY_ERROR) !== 0,
      });
    }
    if (ghost && this.#records.size > 0) this.#rebuild();
  }

  /** Moves every open watch to a new Poller, leaving ghosts behind with the old one. */
  #rebuild(): void {
    const old = this.#poller;
    this.#stopLoop();
    const poller = new Poller<WatchRecord>();
    this.#poller = poller;
    old?.close();
    for (const record of [...this.#records.values()]) {
      try {
        poller.add(record.fd, record.interest, record);
      } catch {
        this.#end(record);
      }
    }
    if (this.#records.size > 0) this.#schedule();
  }

  #sweepClosed(): void {
    for (const record of [...this.#records.values()]) {
      if (record.open && !stillRefersTo(record.fd, record.identity)) this.#end(record);
    }
  }

  /** The last watch closed: nothing of the hub stays open. */
  #shutDown(): void {
    this.#stopLoop();
    if (this.#sweep !== undefined) clearInterval(this.#sweep);
    this.#sweep = undefined;
    const poller = this.#poller;
    this.#poller = undefined;
    poller?.close();
  }
}

let hub: WatchHub | undefined;

/** This thread's hub. */
export function watchHub(): WatchHub {
  return (hub ??= new WatchHub());
}
