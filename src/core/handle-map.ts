/**
 * The user-data store behind Epoll and Kqueue.
 *
 * The kernel never sees a JS value: a registration carries a 64-bit token whose low 32 bits are a
 * slot index and whose high 32 bits are that slot's generation. Reading an event resolves the
 * token here; a token whose generation no longer matches (the registration was deleted, its slot
 * reused) resolves to `undefined`, so an event can never deliver another registration's data.
 * Both halves fit a `Uint32Array`, so the hot loop never makes a BigInt.
 *
 * Slots are reused through a free list, so the store grows only to the largest number of live
 * registrations. A slot's generation changes on every release; it would take 2^32 - 1 releases of
 * the same slot for a stale token to match again.
 *
 * @internal
 * @module
 */

const INITIAL_CAPACITY = 16;

/** An O(1) map from generation-tagged tokens to values, each with a numeric key (fd or ident). */
export class HandleMap<T> {
  #values: (T | undefined)[] = [];
  #keys: number[] = [];
  // Generations as unsigned 32-bit numbers: compared directly with the u32 read from the kernel.
  #generations = new Uint32Array(new ArrayBuffer(INITIAL_CAPACITY * 4));
  #freeSlots: number[] = [];
  #used = 0;
  #live = 0;

  /** Number of live entries. */
  get size(): number {
    return this.#live;
  }

  /** Number of slots ever allocated: the high-water mark of live entries. */
  get capacity(): number {
    return this.#used;
  }

  /** Stores `value` under `key` and returns the slot index; {@link generation} gives its tag. */
  insert(value: T, key: number): number {
    let index = this.#freeSlots.pop();
    if (index === undefined) {
      index = this.#used++;
      if (index >= this.#generations.length) this.#grow();
      this.#generations[index] = 1;
    }
    this.#values[index] = value;
    this.#keys[index] = key;
    this.#live++;
    return index;
  }

  /** The current generation of slot `index`. */
  generation(index: number): number {
    return this.#generations[index]!;
  }

  /** The value of token (`index`, `generation`), or `undefined` when the token is stale. */
  get(index: number, generation: number): T | undefined {
    return this.#generations[index] === generation ? this.#values[index] : undefined;
  }

  /** The key of token (`index`, `generation`), or -1 when the token is stale. */
  key(index: number, generation: number): number {
    return this.#generations[index] === generation ? this.#keys[index]! : -1;
  }

  /** Whether token (`index`, `generation`) is live. */
  has(index: number, generation: number): boolean {
    return this.#generations[index] === generation && this.#keys[index] !== -1;
  }

  /** Replaces the value of a live slot, keeping its token. */
  set(index: number, value: T | undefined): void {
    this.#values[index] = value;
  }

  /** The value of a live slot by index alone (for the owner, which knows the slot is live). */
  valueAt(index: number): T | undefined {
    return this.#values[index];
  }

  /** Releases slot `index`: its token turns stale at once and the slot is reused later. */
  remove(index: number): void {
    if (this.#keys[index] === -1 || index >= this.#used) return;
    this.#values[index] = undefined;
    this.#keys[index] = -1;
    const next = (this.#generations[index]! + 1) >>> 0;
    // Generation 0 is never handed out, so an all-zero kernel field never matches a slot.
    this.#generations[index] = next === 0 ? 1 : next;
    this.#freeSlots.push(index);
    this.#live--;
  }

  /** Releases every slot. */
  clear(): void {
    for (let index = 0; index < this.#used; index++) this.remove(index);
  }

  #grow(): void {
    const grown = new Uint32Array(new ArrayBuffer(this.#generations.length * 8));
    grown.set(this.#generations);
    this.#generations = grown;
  }
}
