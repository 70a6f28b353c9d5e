/**
 * `PollEvents<T>`: the reusable result of `Poller.wait`, one entry per ready registration.
 *
 * Entries are decoded when read, from the backend's batch (on epoll, straight from the `Epoll`'s
 * own result), so reading `length` and the indexed accessors allocates nothing, and a
 * registration deleted while the batch is read shows up as stale at once.
 *
 * @module
 */
import { indexError } from "../core/validate.ts";
import type { PollerBackend } from "./backend.ts";
import { READY_ERROR, READY_HANGUP, READY_PRIORITY, READY_READABLE, READY_WRITABLE } from "./registration.ts";

/** One ready registration, as the iterator of {@link PollEvents} and `toArray()` give it. */
export interface PollEvent<T> {
  /** The descriptor, or `-1` for timers, processes and stale entries. */
  readonly fd: number;
  /** The data given at `add` (or the last `modify`), `addTimer` or `addProcess`; `undefined` when stale. */
  readonly data: T | undefined;
  /** A read would not block: data, end of file, or an error to collect. Timers and processes: `true`. */
  readonly readable: boolean;
  /** A write would not block: room, or an error (EPIPE) to collect. */
  readonly writable: boolean;
  /** The peer closed a direction (end of file, reader gone), or the process exited. */
  readonly hangup: boolean;
  /** An error is pending on the descriptor (read it with a read, a write or `SO_ERROR`). */
  readonly error: boolean;
}

// Sets the length after a wait, and reads an entry's readiness bits. Only the library calls them;
// the static block is the one place with access to the private members, so the public class has
// neither a setter nor a bitmask accessor.
let assignLength: <T>(events: PollEvents<T>, length: number) => void;
let readReadiness: <T>(events: PollEvents<T>, i: number) => number;

/**
 * The result of `Poller.wait`: one entry per ready registration (descriptor, timer or process).
 *
 * Each `Poller` owns one `PollEvents` and returns that same object from every `wait`, so a result
 * is valid only until the next `wait` (or `close`); keep what you need with
 * {@link PollEvents.toArray}. `length` and the indexed accessors allocate nothing: index them in a
 * plain `for` loop on hot paths.
 *
 * - Readable and writable readiness of one descriptor come as **one** entry, on every backend
 *   (kqueue reports them as two events; the Poller merges them).
 * - Timers and processes have `fd` `-1`. A timer's entry is `readable`; a process's exit is
 *   `readable` and `hangup`.
 * - A wake-up (`Waker.wake`) is never an entry.
 * - A **stale** entry (its registration deleted, modified away, cancelled or closed since the wait)
 *   has `fd` `-1`, data `undefined` and every flag `false`. Stale entries stay in the batch; skip
 *   them by testing `fd(i) === -1 && !readable(i)`, or by your data.
 *
 * Flags follow what CPython's selectors and mio report, the same on epoll and kqueue: a hang-up or
 * an error also makes the descriptor readable (and writable, where writability was asked for),
 * because the next read or write returns at once (end of file, or the error).
 *
 * @example
 * ```ts
 * using poller = new Poller<string>();
 * poller.add(fd, Interest.READABLE | Interest.WRITABLE, "client");
 * const events = poller.wait(100);
 * for (let i = 0; i < events.length; i++) {
 *   if (events.readable(i)) console.log(events.data(i), "can be read");
 *   if (events.writable(i)) console.log(events.data(i), "can be written");
 * }
 * for (const { fd, data, hangup } of events) if (hangup) console.log(data, fd, "hung up");
 * ```
 */
export class PollEvents<T> implements Iterable<PollEvent<T>> {
  #length = 0;
  readonly #backend: PollerBackend<T>;

  static {
    assignLength = (events, length) => {
      events.#length = length;
    };
    readReadiness = (events, i) => events.#ready(i);
  }

  /**
   * Made by `Poller` only, over its backend's batch.
   * @internal
   */
  constructor(backend: PollerBackend<T>) {
    this.#backend = backend;
  }

  /** How many entries the last `wait` returned; 0 after a timeout, a bare wake-up and `close()`. */
  get length(): number {
    return this.#length;
  }

  /**
   * The descriptor of entry `i`, or `-1` for a timer, a process, or a stale entry.
   * @throws RangeError when `i` is not an integer in `[0, length)`; TypeError when it is not a number.
   */
  fd(i: number): number {
    if (!(typeof i === "number" && (i >>> 0) === i && i < this.#length)) throw indexError(i, this.#length);
    const record = this.#backend.record(i);
    return record !== undefined && record.live ? record.fd : -1;
  }

  /**
   * The data of entry `i`'s registration, or `undefined` when stale (or registered without data).
   * @throws RangeError when `i` is not an integer in `[0, length)`; TypeError when it is not a number.
   */
  data(i: number): T | undefined {
    if (!(typeof i === "number" && (i >>> 0) === i && i < this.#length)) throw indexError(i, this.#length);
    const record = this.#backend.record(i);
    return record !== undefined && record.live ? record.data : undefined;
  }

  /**
   * Whether entry `i` is readable: epoll `IN` (or a hang-up or error), kqueue `EVFILT_READ`; always
   * for timers and processes.
   * @throws RangeError when `i` is not an integer in `[0, length)`; TypeError when it is not a number.
   */
  readable(i: number): boolean {
    return (this.#ready(i) & READY_READABLE) !== 0;
  }

  /**
   * Whether entry `i` is writable: epoll `OUT` (or a hang-up or error), kqueue `EVFILT_WRITE`.
   * @throws RangeError when `i` is not an integer in `[0, length)`; TypeError when it is not a number.
   */
  writable(i: number): boolean {
    return (this.#ready(i) & READY_WRITABLE) !== 0;
  }

  /**
   * Whether entry `i` reports a hang-up: epoll `HUP`/`RDHUP` (or `ERR` on a write side), kqueue
   * `EV_EOF`; always for a process exit.
   * @throws RangeError when `i` is not an integer in `[0, length)`; TypeError when it is not a number.
   */
  hangup(i: number): boolean {
    return (this.#ready(i) & READY_HANGUP) !== 0;
  }

  /**
   * Whether entry `i` reports an error: epoll `ERR`, kqueue `EV_ERROR` or `EV_EOF` with an errno in
   * `fflags`.
   * @throws RangeError when `i` is not an integer in `[0, length)`; TypeError when it is not a number.
   */
  error(i: number): boolean {
    return (this.#ready(i) & READY_ERROR) !== 0;
  }

  /**
   * Whether entry `i` reports priority data (epoll `PRI`), for registrations made with
   * `Interest.PRIORITY` (epoll only). Not part of the iterator's objects.
   * @throws RangeError when `i` is not an integer in `[0, length)`; TypeError when it is not a number.
   */
  priority(i: number): boolean {
    return (this.#ready(i) & READY_PRIORITY) !== 0;
  }

  /**
   * Iterates the entries as `{ fd, data, readable, writable, hangup, error }`, each resolved when
   * reached: deleting a registration during the loop makes its later entries stale.
   */
  *[Symbol.iterator](): Generator<PollEvent<T>, void, undefined> {
    for (let i = 0; i < this.#length; i++) yield this.#entry(i);
  }

  /** The entries as owned objects, which stay valid after the next `wait`. */
  toArray(): PollEvent<T>[] {
    const entries: PollEvent<T>[] = [];
    for (let i = 0; i < this.#length; i++) entries.push(this.#entry(i));
    return entries;
  }

  #entry(i: number): PollEvent<T> {
    const record = this.#backend.record(i);
    if (record === undefined || !record.live) return { fd: -1, data: undefined, readable: false, writable: false, hangup: false, error: false };
    const ready = this.#backend.readiness(i, record);
    return {
      fd: record.fd,
      data: record.data,
      readable: (ready & READY_READABLE) !== 0,
      writable: (ready & READY_WRITABLE) !== 0,
      hangup: (ready & READY_HANGUP) !== 0,
      error: (ready & READY_ERROR) !== 0,
    };
  }

  // Each accessor checks the index and resolves the record itself: a shared helper returning the
  // record measured twice as slow per entry (JSC did not fold the union it returned).
  #ready(i: number): number {
    if (!(typeof i === "number" && (i >>> 0) === i && i < this.#length)) throw indexError(i, this.#length);
    const record = this.#backend.record(i);
    return record !== undefined && record.live ? this.#backend.readiness(i, record) : 0;
  }
}

/**
 * Sets how many entries are valid, after a wait (0 at close).
 * @internal
 */
export function setPollEventsLength<T>(events: PollEvents<T>, length: number): void {
  assignLength(events, length);
}

/**
 * Entry `i`'s readiness as `READY_*` bits (registration.ts), resolved once: for the library's own
 * loops, which test several kinds per entry and would otherwise look the entry up for each.
 * @throws RangeError / TypeError for a bad `i`, as the accessors do.
 * @internal
 */
export function pollEventReadiness<T>(events: PollEvents<T>, i: number): number {
  return readReadiness(events, i);
}
