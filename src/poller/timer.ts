/**
 * `Timer`: the handle `Poller.addTimer` returns.
 *
 * @module
 */
import type { Registration } from "./registration.ts";

// Only the Poller makes Timers; the static block below is the one door to the constructor.
let makeTimer: (record: Registration<unknown>, ms: number, repeat: boolean, cancel: (record: Registration<unknown>) => void) => Timer;

/**
 * A timer of a `Poller`, made by `poller.addTimer(ms, { repeat }, data)`.
 *
 * Its events carry `fd` `-1`, the timer's data, and `readable` `true` (the other readiness flags
 * `false`). On Linux it is a timerfd registered in the Poller's epoll; on kqueue an
 * `EVFILT_TIMER` event. A repeating timer fires on a fixed grid (`ms`, `2 × ms`, … after
 * `addTimer`): a late wait does not shift later expirations, and periods that passed unobserved
 * come back as one event.
 *
 * @example
 * ```ts
 * using poller = new Poller<string>();
 * const tick = poller.addTimer(100, { repeat: true }, "tick");
 * for (let i = 0; i < 3; i++) console.log(poller.wait(1000).data(0)); // "tick" three times
 * tick.cancel();
 * ```
 */
export class Timer {
  readonly #record: Registration<unknown>;
  readonly #ms: number;
  readonly #repeat: boolean;
  readonly #cancel: (record: Registration<unknown>) => void;

  static {
    makeTimer = (record, ms, repeat, cancel) => new Timer(record, ms, repeat, cancel);
  }

  private constructor(record: Registration<unknown>, ms: number, repeat: boolean, cancel: (record: Registration<unknown>) => void) {
    this.#record = record;
    this.#ms = ms;
    this.#repeat = repeat;
    this.#cancel = cancel;
  }

  /** The delay (and, when repeating, the period) in ms, as given to `addTimer`. */
  get ms(): number {
    return this.#ms;
  }

  /** Whether the timer repeats. */
  get repeat(): boolean {
    return this.#repeat;
  }

  /**
   * Whether the timer can still fire: `false` after `cancel()`, after a one-shot timer fired, and
   * after its Poller was closed.
   */
  get active(): boolean {
    const record = this.#record;
    return record.live && !record.done;
  }

  /**
   * `epoll_ctl(EPOLL_CTL_DEL)` and `close(2)` of the timerfd (Linux), or `kevent(2)` with
   * `EV_DELETE` (kqueue): stops the timer. Its events still in the current batch read as stale
   * (`fd` -1, data `undefined`, every flag `false`).
   *
   * Idempotent: cancelling a timer that is no longer active (cancelled, a one-shot that fired, or
   * its Poller closed) does nothing.
   *
   * @example
   * ```ts
   * const timeout = poller.addTimer(5000, {}, "timeout");
   * // … the work finished in time:
   * timeout.cancel();
   * ```
   */
  cancel(): void {
    if (!this.active) return;
    this.#cancel(this.#record);
  }
}

/**
 * A Timer for `record`; `cancel` is the Poller's, called only while the timer is active.
 * @internal
 */
export function newTimer<T>(record: Registration<T>, ms: number, repeat: boolean, cancel: (record: Registration<T>) => void): Timer {
  return makeTimer(record as Registration<unknown>, ms, repeat, cancel as (record: Registration<unknown>) => void);
}
