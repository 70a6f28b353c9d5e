/**
 * `KeventList<T>`: the reusable result of `Kqueue.wait`, read straight out of the buffer that
 * `kevent(2)` fills.
 *
 * Nothing is decoded ahead of time. Each accessor reads its field from typed views over that
 * buffer and resolves udata tokens through the handle map at that moment, so reading allocates
 * nothing and a registration deleted while a batch is being read shows up as stale at once.
 *
 * @module
 */
import { indexError } from "../core/validate.ts";
import type { HandleMap } from "../core/handle-map.ts";
import type { KeventBuffer } from "../kevent/codec.ts";

/** One returned event, as the iterator of {@link KeventList} and `toArray()` give it. */
export interface Kevent<T> {
  /** What the event is about: the descriptor, pid, signal number, timer or user ident. */
  readonly ident: number;
  /** The filter that reported it (`EventFilter` values; negative). */
  readonly filter: number;
  /** `EventFlags` bits as returned (`EOF`, …; libkqueue also keeps `ADD` and `RECEIPT` here). */
  readonly flags: number;
  /** Filter-specific `Note` bits, unsigned 32-bit. */
  readonly fflags: number;
  /** Filter-specific data: bytes ready, expirations, the wait status of an exited process, … */
  readonly data: number;
  /** The udata of the registration, or `undefined` when the entry is stale (or had none). */
  readonly udata: T | undefined;
}

// Sets the length of a list after a wait. Only `Kqueue` calls it; the static block below is the
// one place with access to the private field, so the public class has no setter.
let assignLength: <T>(list: KeventList<T>, length: number) => void;

/**
 * The result of `kevent(2)`: the events of one `Kqueue.wait` call.
 *
 * Each `Kqueue` owns exactly one `KeventList` and returns that same object from every `wait`, so a
 * result is valid only until the next `wait` (or `close`) of its instance; keep what you need with
 * {@link KeventList.toArray}. `length` and the indexed accessors allocate nothing: index them in a
 * plain `for` loop on hot paths. The iterator is the convenient form.
 *
 * udata tokens are resolved when read. An entry whose registration was removed since the wait
 * (`unregister`, `close`) is *stale*: it keeps its `ident`, `filter`, `flags`, `fflags` and `data`
 * as the kernel reported them, and its `udata` reads `undefined`. A one-shot event (registered
 * with `EventFlags.ONESHOT`, or a process exit) still delivers its udata in the batch that holds
 * it; the data is released at the next `wait`.
 *
 * @example
 * ```ts
 * using kq = new Kqueue<string>();
 * kq.register(fd, EventFilter.Read, EventFlags.ADD | EventFlags.ENABLE, "client");
 * const events = kq.wait(1000);
 * for (let i = 0; i < events.length; i++) {
 *   if (events.filter(i) === EventFilter.Read) console.log(events.udata(i), "has", events.data(i), "bytes");
 * }
 * for (const { ident, filter, udata } of events) console.log(ident, filter, udata);
 * ```
 */
export class KeventList<T> implements Iterable<Kevent<T>> {
  #length = 0;
  readonly #events: KeventBuffer;
  readonly #handles: HandleMap<T>;

  static {
    assignLength = (list, length) => {
      list.#length = length;
    };
  }

  /**
   * Made by `Kqueue` only, over the buffer it passes to `kevent`.
   * @param events - the event buffer.
   * @param handles - the instance's handle map, where udata tokens resolve.
   * @internal
   */
  constructor(events: KeventBuffer, handles: HandleMap<T>) {
    this.#events = events;
    this.#handles = handles;
  }

  /** How many events the last `kevent(2)` returned; 0 after a timeout and after `close()`. */
  get length(): number {
    return this.#length;
  }

  /**
   * The `ident` of entry `i`: the descriptor, pid, signal number or chosen ident. Kept in stale
   * entries.
   * @throws RangeError when `i` is not an integer in `[0, length)`; TypeError when it is not a number.
   */
  ident(i: number): number {
    if (!(typeof i === "number" && (i >>> 0) === i && i < this.#length)) throw indexError(i, this.#length);
    return this.#events.ident(i);
  }

  /**
   * The filter of entry `i` (an `EventFilter` value, negative). Kept in stale entries.
   * @throws RangeError when `i` is not an integer in `[0, length)`; TypeError when it is not a number.
   */
  filter(i: number): number {
    if (!(typeof i === "number" && (i >>> 0) === i && i < this.#length)) throw indexError(i, this.#length);
    return this.#events.filter(i);
  }

  /**
   * The returned `EventFlags` bits of entry `i`. Test bits with a mask: libkqueue keeps the
   * registration's `ADD` and `RECEIPT` bits in every event, and timers always show `CLEAR`.
   * @throws RangeError when `i` is not an integer in `[0, length)`; TypeError when it is not a number.
   */
  flags(i: number): number {
    if (!(typeof i === "number" && (i >>> 0) === i && i < this.#length)) throw indexError(i, this.#length);
    return this.#events.flags(i);
  }

  /**
   * The filter flags of entry `i`, unsigned 32-bit: `Note.EXIT` for a process exit, the user bits
   * of a `User` event, `Note.WRITE` for a written file, …
   * @throws RangeError when `i` is not an integer in `[0, length)`; TypeError when it is not a number.
   */
  fflags(i: number): number {
    if (!(typeof i === "number" && (i >>> 0) === i && i < this.#length)) throw indexError(i, this.#length);
    return this.#events.fflags(i);
  }

  /**
   * The data of entry `i`, a signed 64-bit value as a number (exact within ±2^53): bytes ready to
   * read, the number of timer expirations since the last event, the wait status of an exited
   * process (`status >> 8` is the exit code), the number of signals, …
   * @throws RangeError when `i` is not an integer in `[0, length)`; TypeError when it is not a number.
   */
  data(i: number): number {
    if (!(typeof i === "number" && (i >>> 0) === i && i < this.#length)) throw indexError(i, this.#length);
    return this.#events.data(i);
  }

  /**
   * The udata of entry `i`'s registration, or `undefined` when the entry is stale (its
   * registration was removed since the wait) or was registered without udata.
   * @throws RangeError when `i` is not an integer in `[0, length)`; TypeError when it is not a number.
   */
  udata(i: number): T | undefined {
    if (!(typeof i === "number" && (i >>> 0) === i && i < this.#length)) throw indexError(i, this.#length);
    const events = this.#events;
    return this.#handles.get(events.udataLow(i), events.udataHigh(i));
  }

  /**
   * Iterates the entries as `{ ident, filter, flags, fflags, data, udata }`, resolving each when it
   * is reached: removing a registration during the loop makes its later entries stale.
   */
  *[Symbol.iterator](): Generator<Kevent<T>, void, undefined> {
    for (let i = 0; i < this.#length; i++) yield this.#entry(i);
  }

  /** The entries as owned objects, which stay valid after the next `wait`. */
  toArray(): Kevent<T>[] {
    const entries: Kevent<T>[] = [];
    for (let i = 0; i < this.#length; i++) entries.push(this.#entry(i));
    return entries;
  }

  #entry(i: number): Kevent<T> {
    const events = this.#events;
    return {
      ident: events.ident(i),
      filter: events.filter(i),
      flags: events.flags(i),
      fflags: events.fflags(i),
      data: events.data(i),
      udata: this.#handles.get(events.udataLow(i), events.udataHigh(i)),
    };
  }
}

/**
 * Sets how many entries of the buffer are valid, after a wait (0 at close).
 * @internal
 */
export function setKeventListLength<T>(list: KeventList<T>, length: number): void {
  assignLength(list, length);
}
