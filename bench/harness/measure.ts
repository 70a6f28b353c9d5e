/**
 * Per-call timing of a JS function with mitata, configured to match the C side's sampler in
 * `bench/c/bench.h`: every sample times a batch of `batch` calls and records the mean, sampling
 * runs for at least `minMs` (and 12 samples) of the chosen clock, and the figure is the median
 * sample.
 *
 * @module
 */
import { measure } from "mitata";
import type { Clock } from "./clock.ts";
import { median } from "./stats.ts";

/** How a per-call measurement is sampled; pass the same values to the C program. */
export interface Sampling {
  /** Calls per sample; a multiple of 4 (mitata unrolls its batch loop 4 times). */
  readonly batch: number;
  /** Minimum measured time per measurement, in milliseconds. */
  readonly minMs: number;
  /** The clock that times each batch. */
  readonly clock: Clock;
}

/**
 * A batch size that keeps one sample near 4096 calls' worth of a 1-event wait (a few ms at most)
 * when each call handles `eventsPerCall` events: 4096 for one event, 64 for 64, 4 for 1024.
 */
export function batchFor(eventsPerCall: number): number {
  return Math.max(4, Math.floor(4096 / eventsPerCall / 4) * 4);
}

/** The `batch`, `min_ms` and `clock` arguments that make a C program sample like {@link nsPerCall}. */
export function cSampling(sampling: Sampling): { batch: number; min_ms: number; clock: string } {
  return { batch: sampling.batch, min_ms: sampling.minMs, clock: sampling.clock.name };
}

/**
 * The median time of one call of `fn`, in nanoseconds.
 *
 * mitata batches only calls faster than its `batch_threshold` (65 µs); it is raised here so that
 * slow calls (a 1024-event wait) are batched as well, exactly as the C side does.
 */
export async function nsPerCall(fn: () => unknown, sampling: Sampling): Promise<number> {
  const stats = await measure(fn, {
    batch_samples: sampling.batch,
    batch_threshold: Number.POSITIVE_INFINITY,
    min_cpu_time: sampling.minMs * 1e6,
    now: sampling.clock.now,
  });
  return stats.p50;
}

/** Medians from {@link pairedNsPerCall}, in ns per call. */
export interface PairedTiming {
  readonly first: number;
  readonly second: number;
  /** The median of the per-pair differences first − second: steadier than the difference of the medians. */
  readonly difference: number;
}

/**
 * Times `first` and `second` in alternating batches, a hand-written loop like the C side's
 * `call=paired`: when two calls differ by a few percent, only batches taken back to back (and a
 * median of their differences) separate the difference from the machine's drift.
 */
export function pairedNsPerCall(first: () => unknown, second: () => unknown, sampling: Sampling): PairedTiming {
  const { batch } = sampling;
  const now = sampling.clock.now;
  const minNs = sampling.minMs * 1e6;
  const a: number[] = [];
  const b: number[] = [];
  const differences: number[] = [];
  let spent = 0;
  // The first pair warms both up and is discarded, as in the C sampler.
  for (let pair = -1; pair < 12 || spent < minNs; pair++) {
    const t0 = now();
    for (let i = 0; i < batch; i++) first();
    const t1 = now();
    for (let i = 0; i < batch; i++) second();
    const t2 = now();
    if (pair < 0) continue;
    a.push((t1 - t0) / batch);
    b.push((t2 - t1) / batch);
    differences.push((t1 - t0 - (t2 - t1)) / batch);
    spent += t2 - t0;
  }
  return { first: median(a), second: median(b), difference: median(differences) };
}
