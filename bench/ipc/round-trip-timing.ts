/**
 * Timing of framed round trips for ipc-roundtrip: the whole run by the wall clock (the server may
 * be another process, whose CPU time this process's clock would not see), each round trip too.
 *
 * @module
 */
import { quantile } from "../harness/stats.ts";

/** The outcome of one run of round trips. */
export interface RoundTripRun {
  /** Mean wall time per round trip over the timed run, in ns. */
  readonly nsPerRoundTrip: number;
  readonly p50: number;
  readonly p99: number;
}

/** Collects per-round-trip latencies after `warmup` untimed ones. */
export class RoundTripTimer {
  readonly #latencies: Float64Array;
  readonly #warmup: number;
  #done = 0;
  #sentAt = 0;
  #start = 0;

  constructor(count: number, warmup: number) {
    this.#latencies = new Float64Array(count);
    this.#warmup = warmup;
  }

  /** Whether every round trip, warm-up included, is done. */
  get finished(): boolean {
    return this.#done === this.#warmup + this.#latencies.length;
  }

  /** Call just before sending a message. */
  sending(): void {
    if (this.#done === this.#warmup && this.#start === 0) this.#start = Bun.nanoseconds();
    this.#sentAt = Bun.nanoseconds();
  }

  /** Call when its echo has been received whole. */
  received(): void {
    const timed = this.#done - this.#warmup;
    if (timed >= 0) this.#latencies[timed] = Bun.nanoseconds() - this.#sentAt;
    this.#done++;
  }

  /** The run's figures; call once finished. */
  result(): RoundTripRun {
    const elapsed = Bun.nanoseconds() - this.#start;
    return { nsPerRoundTrip: elapsed / this.#latencies.length, p50: quantile(this.#latencies, 0.5), p99: quantile(this.#latencies, 0.99) };
  }
}

/** Throws unless `echo` looks like the echo of `payload` (length, first and last byte). */
export function checkEcho(echo: Uint8Array, payload: Uint8Array, offset = 0): void {
  const length = echo.length - offset;
  if (length !== payload.length || (length > 0 && (echo[offset] !== payload[0] || echo[echo.length - 1] !== payload[length - 1]))) {
    throw new Error(`ipc-roundtrip: a ${length}-byte echo of a ${payload.length}-byte message`);
  }
}
