/**
 * `EpollEvents<T>`: the reusable result of `Epoll.wait`, read straight out of the buffer that
 * `epoll_wait(2)` fills.
 *
 * Nothing is decoded ahead of time. Each accessor reads the entry's 32-bit words from one
 * `Uint32Array` and resolves its token through the handle map at that moment, so reading allocates
 * nothing and a registration deleted while a batch is being read shows up as stale at once.
 *
 * @module
 */
import { indexError } from "../core/validate.ts";
import type { HandleMap } from "../core/handle-map.ts";

/** One ready descriptor, as the iterator of {@link EpollEvents} and `toArray()` give it. */
export interface EpollEvent<T> {
  /** The descriptor the registration was made for, or `-1` when the entry is stale. */
  readonly fd: number;
  /** The ready events: an unsigned 32-bit mask of `EpollFlags` bits, as the kernel reported them. */
  readonly events: number;
  /** The data given at `add` (or the last `modify`), or `undefined` when the entry is stale. */
  readonly data: T | undefined;
}

// Sets the length of a result after a wait. Only `Epoll` calls it; the static block below is the
// one place with access to the private field, so the public class has no setter.
let assignLength: <T>(events: EpollEvents<T>, length: number) => void;

/**
 * The result of `epoll_wait(2)`: the ready descriptors of one `Epoll.wait` call.
 *
 * Each `Epoll` owns exactly one `EpollEvents` and returns that same object from every `wait`, so a
 * result is valid only until the next `wait` (or `close`) of its instance; keep what you need with
 * {@link EpollEvents.toArray}. `length`, {@link EpollEvents.fd}, {@link EpollEvents.events} and
 * {@link EpollEvents.data} allocate nothing: index them in a plain `for` loop on hot paths. The
 * iterator is the convenient form.
 *
 * Tokens are resolved when read. An entry whose registration was deleted, replaced by a new `add`
 * of the same descriptor number, or dropped by `close()` since the wait is *stale*: its `fd` reads
 * `-1` and its `data` `undefined`, while `events` still shows what the kernel reported. Stale
 * entries are kept in the batch rather than skipped; test `fd(i) === -1` (or the data) to pass
 * over them.
 *
 * @example
 * ```ts
 * using epoll = new Epoll<string>();
 * epoll.add(fd, EpollFlags.IN, "client");
 * const events = epoll.wait(100);
 * for (let i = 0; i < events.length; i++) {
 *   if (events.fd(i) === -1) continue;              // stale: deleted while this batch was read
 *   if (events.events(i) & EpollFlags.IN) console.log(events.data(i), "is readable");
 * }
 * for (const { fd, events: mask, data } of events) console.log(fd, mask, data);
 * ```
 */
export class EpollEvents<T> implements Iterable<EpollEvent<T>> {
  #length = 0;
  readonly #words: Uint32Array;
  readonly #handles: HandleMap<T | undefined>;
  // epoll_event in 32-bit words: the stride, and where the token's halves sit in an entry
  // (x64: 3 words, data at word 1; arm64: 4 words, data at word 2). `events` is word 0.
  readonly #stride: number;
  readonly #slotWord: number;
  readonly #generationWord: number;

  static {
    assignLength = (events, length) => {
      events.#length = length;
    };
  }

  /**
   * Made by `Epoll` only, over the buffer it passes to `epoll_wait`.
   * @param words - the events buffer, a view over a plain `ArrayBuffer`.
   * @param handles - the instance's handle map, where tokens resolve.
   * @param stride - `sizeof(struct epoll_event) / 4`.
   * @param dataWord - `offsetof(struct epoll_event, data) / 4`.
   * @internal
   */
  constructor(words: Uint32Array, handles: HandleMap<T | undefined>, stride: number, dataWord: number) {
    this.#words = words;
    this.#handles = handles;
    this.#stride = stride;
    this.#slotWord = dataWord;
    this.#generationWord = dataWord + 1;
  }

  /** How many entries the last `epoll_wait(2)` reported; 0 after a timeout and after `close()`. */
  get length(): number {
    return this.#length;
  }

  /**
   * The descriptor of entry `i`: the number it was added under, or `-1` when the entry is stale.
   * @throws RangeError when `i` is not an integer in `[0, length)`; TypeError when it is not a number.
   */
  fd(i: number): number {
    if (!(typeof i === "number" && (i >>> 0) === i && i < this.#length)) throw indexError(i, this.#length);
    const at = i * this.#stride;
    const words = this.#words;
    return this.#handles.key(words[at + this.#slotWord]!, words[at + this.#generationWord]!);
  }

  /**
   * The ready events of entry `i`, an unsigned 32-bit mask (`EpollFlags` bits; bits bunix has no
   * name for are passed through as the kernel set them).
   * @throws RangeError when `i` is not an integer in `[0, length)`; TypeError when it is not a number.
   */
  events(i: number): number {
    if (!(typeof i === "number" && (i >>> 0) === i && i < this.#length)) throw indexError(i, this.#length);
    return this.#words[i * this.#stride]!;
  }

  /**
   * The data of entry `i`'s registration, or `undefined` when the entry is stale (or was added
   * without data).
   * @throws RangeError when `i` is not an integer in `[0, length)`; TypeError when it is not a number.
   */
  data(i: number): T | undefined {
    if (!(typeof i === "number" && (i >>> 0) === i && i < this.#length)) throw indexError(i, this.#length);
    const at = i * this.#stride;
    const words = this.#words;
    return this.#handles.get(words[at + this.#slotWord]!, words[at + this.#generationWord]!);
  }

  /**
   * Iterates the entries as `{ fd, events, data }`, resolving each when it is reached: deleting a
   * registration during the loop makes its later entries in this batch stale.
   */
  *[Symbol.iterator](): Generator<EpollEvent<T>, void, undefined> {
    for (let i = 0; i < this.#length; i++) {
      yield { fd: this.fd(i), events: this.events(i), data: this.data(i) };
    }
  }

  /** The entries as owned objects, which stay valid after the next `wait`. */
  toArray(): EpollEvent<T>[] {
    const entries: EpollEvent<T>[] = [];
    for (let i = 0; i < this.#length; i++) {
      entries.push({ fd: this.fd(i), events: this.events(i), data: this.data(i) });
    }
    return entries;
  }
}

/**
 * Sets how many entries of the buffer are valid, after a wait (0 at close).
 * @internal
 */
export function setEventsLength<T>(events: EpollEvents<T>, length: number): void {
  assignLength(events, length);
}
