/**
 * What a benchmark module exports, and what the runner gives it.
 *
 * @module
 */
import type { Clock } from "./clock.ts";
import type { Verdict } from "./compare.ts";

/** Settings shared by every benchmark of one invocation. */
export interface BenchContext {
  /** How many interleaved runs to take of each measurement; tables show their medians. */
  readonly runs: number;
  /** Minimum measured time of one per-call measurement, in milliseconds. */
  readonly minMs: number;
  /** The clock that times batches and runs (latencies always use the wall clock). */
  readonly clock: Clock;
  /** Prints a line of the report. */
  readonly print: (line?: string) => void;
}

/** One benchmark: a workload, named after it, that prints its own table. */
export interface Bench {
  /** The workload name, as given on the command line (`wait-hot`). */
  readonly name: string;
  /** One line saying what is measured. */
  readonly title: string;
  /** Measures, prints its table and returns the verdicts on its targets. */
  run(context: BenchContext): Promise<Verdict[]>;
}

/** Says how the C columns were produced, or that they were skipped. */
export function cNote(available: boolean): string {
  return available
    ? "C reference: compiled now with the system compiler (cc -O2 -pthread) into bench/.out/, run in the same process tree"
    : "C reference: skipped (no C compiler found); the C columns read —";
}
