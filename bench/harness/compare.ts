/**
 * Runs several measurements interleaved, and turns per-run figures into ratio rows against the
 * C references.
 *
 * Every run takes each measurement once, Bun and C back to back, in an order that rotates from
 * run to run so that none of them always goes first (the VM's speed drifts). A ratio is the median
 * of the per-run ratios: each pairs two figures taken seconds apart.
 *
 * @module
 */
import { formatRatio, formatSummary, renderTable } from "./format.ts";
import { median, summarise } from "./stats.ts";

/** One measurement, taken once per run. `undefined` means "not available" (no C compiler). */
export type Probe = () => number | undefined | Promise<number | undefined>;

/** Per-run figures by probe name; a probe that gave `undefined` has no entry. */
export type RunFigures = Record<string, number[]>;

/**
 * Takes every probe once per run, `runs` times, rotating the order each run, and returns each
 * probe's figures in run order.
 */
export async function interleave(runs: number, probes: Readonly<Record<string, Probe>>): Promise<RunFigures> {
  const names = Object.keys(probes);
  const figures: RunFigures = {};
  for (let run = 0; run < runs; run++) {
    for (let k = 0; k < names.length; k++) {
      const name = names[(k + run) % names.length]!;
      const value = await probes[name]!();
      if (value !== undefined) (figures[name] ??= []).push(value);
    }
  }
  return figures;
}

/** The median over runs of `numerator[r] / denominator[r]`; `undefined` without both series. */
export function pairedRatio(numerator: readonly number[] | undefined, denominator: readonly number[] | undefined): number | undefined {
  if (numerator === undefined || denominator === undefined || numerator.length === 0) return undefined;
  const count = Math.min(numerator.length, denominator.length);
  const ratios: number[] = [];
  for (let run = 0; run < count; run++) ratios.push(numerator[run]! / denominator[run]!);
  return median(ratios);
}

/** A target and whether it was met; `pass` is `undefined` when it could not be checked. */
export interface Verdict {
  readonly bench: string;
  readonly workload: string;
  readonly target: string;
  readonly measured: string;
  readonly pass: boolean | undefined;
}

/** "PASS", "MISS", or "n/a" when a verdict could not be reached. */
export function verdictText(pass: boolean | undefined): string {
  return pass === undefined ? "n/a" : pass ? "PASS" : "MISS";
}

/** One row of a cost table: lower is better; the target is a ceiling on Bun / (C + idle thread). */
export interface CostRow {
  readonly workload: string;
  readonly bun: readonly number[];
  readonly cSingle?: readonly number[] | undefined;
  readonly cIdle?: readonly number[] | undefined;
  /** The most Bun may cost relative to the multi-threaded C floor; omitted for rows only reported. */
  readonly maxRatio?: number;
}

/**
 * Renders a cost table (workload, Bun, C single-threaded, C + idle thread, both ratios, target,
 * result) and returns it with the verdicts of the rows that have a target.
 */
export function costTable(bench: string, unit: string, rows: readonly CostRow[]): { text: string; verdicts: Verdict[] } {
  const verdicts: Verdict[] = [];
  const body = rows.map((row) => {
    const vsSingle = pairedRatio(row.bun, row.cSingle);
    const vsIdle = pairedRatio(row.bun, row.cIdle);
    let target = "reported";
    let result = "";
    if (row.maxRatio !== undefined) {
      target = `≤ ${row.maxRatio.toFixed(2)}× C+idle`;
      const pass = vsIdle === undefined ? undefined : vsIdle <= row.maxRatio;
      result = verdictText(pass);
      verdicts.push({ bench, workload: row.workload, target, measured: formatRatio(vsIdle), pass });
    }
    return [
      row.workload,
      formatSummary(summarise([...row.bun])),
      row.cSingle ? formatSummary(summarise([...row.cSingle])) : "—",
      row.cIdle ? formatSummary(summarise([...row.cIdle])) : "—",
      formatRatio(vsSingle),
      formatRatio(vsIdle),
      target,
      result,
    ];
  });
  const header = ["workload", `Bun ${unit}`, `C 1-thread ${unit}`, `C+idle-thread ${unit}`, "×C 1-thread", "×C+idle", "target", "result"];
  return { text: renderTable(header, body), verdicts };
}
