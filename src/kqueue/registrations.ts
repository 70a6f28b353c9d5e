/**
 * The bookkeeping of a `Kqueue`: which (ident, filter) pairs are registered, the handle-map slot
 * that holds each one's user data, and the parameters last given for it.
 *
 * A kqueue names a registration by (ident, filter), and a change to it replaces everything the
 * kernel stores (udata, and on FreeBSD and libkqueue fflags and data too, even for a bare
 * EV_ENABLE or EV_DISABLE). So every change `Kqueue` submits for an existing registration carries
 * the same udata token and, unless the caller gives new ones, the stored fflags and data.
 *
 * One-shot registrations vanish in the kernel when their event is delivered. Their slot is not
 * released at that moment, because the batch holding the event must still resolve its udata:
 * the registration is *retired* (forgotten by (ident, filter), so a new registration of the same
 * pair gets a fresh slot) and its slot is released at the start of the next wait, or at close.
 *
 * @internal
 * @module
 */
import { HandleMap } from "../core/handle-map.ts";

/** The slot of a registration, or -1. */
export type Slot = number;

/**
 * The registrations of one `Kqueue`, by (ident, filter), with their udata slots and the
 * parameters to resend with later changes.
 */
export class KqueueRegistrations<T> {
  /** Where tokens resolve; `KeventList` reads it too. */
  readonly handles = new HandleMap<T>();
  // filter → ident → slot. Filters are few, so the outer map stays tiny.
  readonly #byFilter = new Map<number, Map<number, Slot>>();
  // Per slot: the registration's filter and ident, and its stored flags, fflags and data.
  #filters: number[] = [];
  #idents: number[] = [];
  #flags: number[] = [];
  #fflags: number[] = [];
  #data: number[] = [];
  // Retired slots awaiting release: [slot, generation, slot, generation, …].
  #retired: number[] = [];
  // Per slot: 1 when the kernel may drop the registration by itself (see markDroppable).
  #droppable: number[] = [];
  #droppableCount = 0;

  /** How many live registrations the kernel may drop by itself; `wait` scans its events only when > 0. */
  get droppable(): number {
    return this.#droppableCount;
  }

  /**
   * Marks a live slot as one the kernel may drop by itself (a change carried EV_ONESHOT, or a
   * process watch). Sticky until the slot is released or retired.
   */
  markDroppable(slot: Slot): void {
    if (this.#droppable[slot] === 1) return;
    this.#droppable[slot] = 1;
    this.#droppableCount++;
  }

  /** The slot registered for (ident, filter), or -1. */
  find(ident: number, filter: number): Slot {
    return this.#byFilter.get(filter)?.get(ident) ?? -1;
  }

  /** The idents registered for `filter`, or `undefined` when there are none. */
  idents(filter: number): IterableIterator<number> | undefined {
    return this.#byFilter.get(filter)?.keys();
  }

  /** Records a new registration and returns its slot. */
  create(ident: number, filter: number, udata: T | undefined, flags: number, fflags: number, data: number): Slot {
    const slot = this.handles.insert(udata as T, ident);
    this.#filters[slot] = filter;
    this.#idents[slot] = ident;
    this.#flags[slot] = flags;
    this.#fflags[slot] = fflags;
    this.#data[slot] = data;
    this.#droppable[slot] = 0;
    let idents = this.#byFilter.get(filter);
    if (idents === undefined) this.#byFilter.set(filter, (idents = new Map()));
    idents.set(ident, slot);
    return slot;
  }

  /** Stores new parameters for a live slot. */
  update(slot: Slot, flags: number, fflags: number, data: number): void {
    this.#flags[slot] = flags;
    this.#fflags[slot] = fflags;
    this.#data[slot] = data;
  }

  /** The generation half of a slot's token. */
  generation(slot: Slot): number {
    return this.handles.generation(slot);
  }

  /** The flags last given with EV_ADD. */
  flags(slot: Slot): number {
    return this.#flags[slot]!;
  }

  /** The stored fflags. */
  fflags(slot: Slot): number {
    return this.#fflags[slot]!;
  }

  /** The stored data. */
  data(slot: Slot): number {
    return this.#data[slot]!;
  }

  /** Forgets a registration and releases its slot now: its token turns stale at once. */
  release(slot: Slot): void {
    this.#forget(slot);
    this.handles.remove(slot);
  }

  /**
   * Forgets a registration the kernel has dropped (a delivered one-shot), keeping its data
   * readable until {@link flushRetired}.
   */
  retire(slot: Slot): void {
    this.#forget(slot);
    this.#retired.push(slot, this.handles.generation(slot));
  }

  /** Releases the slots retired since the last call. */
  flushRetired(): void {
    const retired = this.#retired;
    if (retired.length === 0) return;
    for (let i = 0; i < retired.length; i += 2) {
      if (this.handles.generation(retired[i]!) === retired[i + 1]) this.handles.remove(retired[i]!);
    }
    retired.length = 0;
  }

  /** Whether a registration exists for (ident, filter) in this table. */
  has(ident: number, filter: number): boolean {
    return this.find(ident, filter) !== -1;
  }

  /** Forgets everything and releases every slot. */
  clear(): void {
    this.#byFilter.clear();
    this.#droppable.length = 0;
    this.#droppableCount = 0;
    this.#retired.length = 0;
    this.handles.clear();
  }

  #forget(slot: Slot): void {
    if (this.#droppable[slot] === 1) {
      this.#droppable[slot] = 0;
      this.#droppableCount--;
    }
    const idents = this.#byFilter.get(this.#filters[slot]!);
    if (idents !== undefined && idents.get(this.#idents[slot]!) === slot) idents.delete(this.#idents[slot]!);
  }
}
