/**
 * Small statistics for benchmark runs: medians, nearest-rank percentiles, and the spread of the
 * per-run values that the tables print beside each median.
 *
 * @module
 */

/** The `q` quantile (0..1) of `values`, nearest rank, like the C side's `quantile()`. */
export function quantile(values: ArrayLike<number>, q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = Array.from(values).sort((a, b) => a - b);
  return sorted[Math.round(q * (sorted.length - 1))]!;
}

/** The median of `values`: the mean of the middle two for an even count (NaN when there are none). */
export function median(values: ArrayLike<number>): number {
  if (values.length === 0) return Number.NaN;
  const sorted = Array.from(values).sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** The median of per-run values with their smallest and largest, for "median [min–max]" cells. */
export interface Summary {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly runs: number;
}

/** Summarises per-run values. */
export function summarise(values: readonly number[]): Summary {
  return {
    median: median(values),
    min: Math.min(...values),
    max: Math.max(...values),
    runs: values.length,
  };
}

/** The spread of a summary as a percentage of its median: half the range, so "±3%". */
export function spreadPercent(summary: Summary): number {
  return ((summary.max - summary.min) / 2 / summary.median) * 100;
}
