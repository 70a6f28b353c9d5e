/**
 * The latency table of `wake-latency-async`: every design and C floor, interleaved over the runs,
 * measured on the CPUs this process may use.
 *
 * Run as a script, it measures and prints the table's figures as one JSON line:
 *
 *     bun bench/async/latency-table.ts [--runs 5]
 *
 * which is how a pinned runner also measures with threads free to wake on any CPU (see
 * {@link measureCrossCpu}).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { CProgram, field } from "../harness/c-reference.ts";
import { interleave, pairedRatio, type Probe, type RunFigures } from "../harness/compare.ts";
import { formatRatio, formatSummary, renderTable } from "../harness/format.ts";
import { runUnpinned } from "../harness/pin.ts";
import { summarise } from "../harness/stats.ts";
import { type Design, type Latencies, measureLatency } from "./latency.ts";
import { rawFloorLatency } from "./raw-floor.ts";

/** Samples per run of each design. */
export const COUNT = 1500;
/** Untimed samples before them. */
export const WARMUP = 100;

/** Each design's percentiles, one entry per run, in µs. */
export interface LatencyTable {
  readonly latencies: Record<string, { p50: number[]; p90: number[]; p99: number[] }>;
  /** The p50 of each run by design, for paired ratios. */
  readonly figures: RunFigures;
}

/** The rows, in the order printed: label and key. */
const ROWS: readonly [string, string][] = [
  ["bunix waitAsync (io_uring relay into Bun's loop, one wake-up)", "waitAsync"],
  ["bunix waitAsync, a duplicate per wait in Bun's loop (first fallback)", "duplicate"],
  ["bunix waitAsync, readiness thread (last fallback, two)", "thread"],
  ["raw Bun floor of the two-hop design, no bunix", "raw"],
  ["bunix waitAsync, busyPoll", "busyPoll"],
  ["Bun native socket, Bun.connect({ fd })", "native"],
  ["C two-hop floor (epoll_wait thread → futex)", "c2"],
  ["C one-hop, nested (consumer in epoll_wait outer)", "c1nested"],
  ["C one-hop (consumer in epoll_wait inner)", "c1"],
];

/** Measures every design `runs` times, interleaved. C rows are left out without a compiler. */
export async function measureLatencyTable(runs: number): Promise<LatencyTable> {
  const c = CProgram.build("wake-latency-async");
  const latencies: LatencyTable["latencies"] = {};
  const keep = (name: string, l: Latencies) => {
    const entry = (latencies[name] ??= { p50: [], p90: [], p99: [] });
    entry.p50.push(l.p50 / 1000);
    entry.p90.push(l.p90 / 1000);
    entry.p99.push(l.p99 / 1000);
    return l.p50 / 1000;
  };
  let run = 0;
  const bun = (design: Design): Probe => async () => keep(design, await measureLatency(design, COUNT, WARMUP, ++run));
  const cProbe = (name: string, args: Record<string, number>): Probe =>
    c === null
      ? () => undefined
      : () => {
          const record = c.run({ ...args, count: COUNT, warmup: WARMUP, seed: ++run })[0]!;
          return keep(name, { p50: field(record, "p50_ns"), p90: field(record, "p90_ns"), p99: field(record, "p99_ns") });
        };
  const figures = await interleave(runs, {
    waitAsync: bun("waitAsync"),
    duplicate: bun("duplicate"),
    thread: bun("thread"),
    busyPoll: bun("busyPoll"),
    native: bun("native"),
    raw: async () => keep("raw", await rawFloorLatency(COUNT, WARMUP, ++run)),
    c2: cProbe("c2", { hops: 2 }),
    c1nested: cProbe("c1nested", { hops: 1, nested: 1 }),
    c1: cProbe("c1", { hops: 1 }),
  });
  return { latencies, figures };
}

/** Measures the table in a child process allowed on every CPU (from a pinned runner). */
export function measureCrossCpu(runs: number): LatencyTable {
  const stdout = runUnpinned([new URL(import.meta.url).pathname, "--runs", String(runs)]);
  const line = stdout.split("\n").find((l) => l.startsWith("{"));
  if (line === undefined) throw new Error(`latency-table printed no result:\n${stdout}`);
  return JSON.parse(line) as LatencyTable;
}

/** The table as text: percentiles and the p50 ratios to the C floors. */
export function renderLatencyTable({ latencies, figures }: LatencyTable): string {
  const body = ROWS.filter(([, key]) => figures[key] !== undefined).map(([label, key]) => [
    label,
    formatSummary(summarise(latencies[key]!.p50)),
    formatSummary(summarise(latencies[key]!.p90)),
    formatSummary(summarise(latencies[key]!.p99)),
    formatRatio(pairedRatio(figures[key], figures.c2)),
    formatRatio(pairedRatio(figures[key], figures.c1nested)),
    formatRatio(pairedRatio(figures[key], figures.native)),
  ]);
  return renderTable(["design", "p50 µs", "p90 µs", "p99 µs", "÷ C two-hop", "÷ C one-hop nested", "÷ Bun socket"], body);
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { runs: { type: "string", default: "5" } } });
  console.log(JSON.stringify(await measureLatencyTable(Number(values.runs))));
}
