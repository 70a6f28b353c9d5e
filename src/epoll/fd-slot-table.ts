/**
 * Descriptor number → handle-map slot, for Epoll's registrations.
 *
 * Descriptor numbers are small and dense (the kernel hands out the lowest free one), so an
 * `Int32Array` indexed by number answers in a few ns where a `Map` costs about 50 ns per
 * set/get/delete cycle, the difference between meeting and missing the `add`+`delete` target of
 * bench/epoll/ctl-churn.ts. Numbers from {@link DENSE_LIMIT} up, possible with a raised
 * RLIMIT_NOFILE, go to a `Map` so that one large number never costs a large array.
 *
 * @internal
 * @module
 */

/** Numbers below this live in the array (at most 256 KiB of it); larger ones in the map. */
export const DENSE_LIMIT = 65_536;

const INITIAL_LENGTH = 64;
const ABSENT = -1;

/** A map from descriptor numbers to non-negative slot indices. */
export class FdSlotTable {
  #dense = new Int32Array(new ArrayBuffer(INITIAL_LENGTH * 4)).fill(ABSENT);
  readonly #sparse = new Map<number, number>();
  #size = 0;

  /** How many descriptors have a slot. */
  get size(): number {
    return this.#size;
  }

  /** The slot of `fd`, or -1 when it has none. */
  get(fd: number): number {
    if (fd < DENSE_LIMIT) return fd < this.#dense.length ? this.#dense[fd]! : ABSENT;
    return this.#sparse.get(fd) ?? ABSENT;
  }

  /** Gives `fd` the slot `slot` (>= 0), replacing any it had. */
  set(fd: number, slot: number): void {
    if (fd < DENSE_LIMIT) {
      if (fd >= this.#dense.length) this.#grow(fd);
      if (this.#dense[fd] === ABSENT) this.#size++;
      this.#dense[fd] = slot;
    } else {
      if (!this.#sparse.has(fd)) this.#size++;
      this.#sparse.set(fd, slot);
    }
  }

  /** Forgets `fd`'s slot, if it has one. */
  delete(fd: number): void {
    if (fd < DENSE_LIMIT) {
      if (fd < this.#dense.length && this.#dense[fd] !== ABSENT) {
        this.#dense[fd] = ABSENT;
        this.#size--;
      }
    } else if (this.#sparse.delete(fd)) {
      this.#size--;
    }
  }

  /** Forgets every slot. */
  clear(): void {
    this.#dense.fill(ABSENT);
    this.#sparse.clear();
    this.#size = 0;
  }

  #grow(fd: number): void {
    let length = this.#dense.length;
    while (length <= fd) length *= 2;
    const grown = new Int32Array(new ArrayBuffer(Math.min(length, DENSE_LIMIT) * 4)).fill(ABSENT);
    grown.set(this.#dense);
    this.#dense = grown;
  }
}
