/**
 * The busy-poll watch behind `waitAsync(t, { busyPoll: true })`: instead of sleeping until a
 * helper thread reports readiness, the waiter polls the instance with `wait(0)` on every turn of
 * the event loop (`setImmediate`).
 *
 * It trades a CPU core for latency: a ready event is seen within one loop turn (a few
 * microseconds) instead of after two thread wake-ups (tens of microseconds),
 * and the process uses 100 % of one core for as long as a busy wait is pending. Timers, I/O and
 * other promises keep running between polls. A pending `setImmediate` keeps the process alive,
 * as a pending wait should.
 *
 * @internal
 * @module
 */
import type { ReadinessWatch } from "./watch.ts";

/** Reports on every event-loop turn while armed. */
export class BusyPollWatch implements ReadinessWatch {
  readonly #onReady: () => void;
  #immediate: ReturnType<typeof setImmediate> | undefined;

  /** @param onReady - the waiter's poll. */
  constructor(onReady: () => void) {
    this.#onReady = onReady;
  }

  /** Reports on the next turn of the event loop. */
  arm(): void {
    this.#immediate ??= setImmediate(this.#turn);
  }

  /** Cancels the pending turn. */
  disarm(): void {
    if (this.#immediate !== undefined) clearImmediate(this.#immediate);
    this.#immediate = undefined;
  }

  /** Cancels the pending turn. */
  dispose(): void {
    this.disarm();
  }

  readonly #turn = (): void => {
    this.#immediate = undefined;
    this.#onReady();
  };
}
