/**
 * The watches waiting on one shared mechanism (the io_uring relay's socket, the readiness thread's
 * Worker), held strongly so that a waiting instance reachable only through its own pending promise
 * is never collected, and which of them keep the process alive: the mechanism's owner refs what it
 * waits through exactly while {@link WaitingWatches.keepsAlive} is true.
 *
 * @internal
 * @module
 */

/** A set of waiting watches with the subset that keeps the process alive. */
export class WaitingWatches<W> {
  readonly #waiting = new Set<W>();
  readonly #keepingAlive = new Set<W>();

  /** How many watches wait. */
  get size(): number {
    return this.#waiting.size;
  }

  /** Whether any waiting watch keeps the process alive. */
  get keepsAlive(): boolean {
    return this.#keepingAlive.size > 0;
  }

  /** Whether `watch` waits. */
  has(watch: W): boolean {
    return this.#waiting.has(watch);
  }

  /** `watch` starts waiting; `keepAlive`: it keeps the process alive meanwhile. */
  add(watch: W, keepAlive: boolean): void {
    this.#waiting.add(watch);
    this.setKeepAlive(watch, keepAlive);
  }

  /** Whether waiting `watch` keeps the process alive (ignored while it does not wait). */
  setKeepAlive(watch: W, on: boolean): void {
    if (on && this.#waiting.has(watch)) this.#keepingAlive.add(watch);
    else this.#keepingAlive.delete(watch);
  }

  /** `watch` stops waiting; false if it was not waiting. */
  delete(watch: W): boolean {
    this.#keepingAlive.delete(watch);
    return this.#waiting.delete(watch);
  }

  /** The waiting watches, as a copy (callers may end waits while going through it). */
  list(): W[] {
    return [...this.#waiting];
  }
}
