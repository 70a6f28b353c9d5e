/**
 * The cost of the Epoll class itself: the paired difference between an Epoll loop and the raw
 * bun:ffi loop doing the same calls (alternating batches, harness/measure.ts). The kernel's share
 * is the same in both, so this separates what src/ adds from the noise of the system calls.
 *
 * @module
 */
import { formatNumber, renderTable } from "./format.ts";
import { median } from "./stats.ts";

/** One row: per-run paired differences (ns per unit) and the C+idle floor to relate them to. */
export interface OverheadRow {
  readonly workload: string;
  readonly differences: readonly number[] | undefined;
  readonly floor: readonly number[] | undefined;
}

/** Renders the table: median difference, its spread over runs, and its share of the C+idle floor. */
export function overheadTable(unit: string, rows: readonly OverheadRow[]): string {
  const body = rows
    .filter((row) => row.differences !== undefined && row.differences.length > 0)
    .map((row) => {
      const differences = row.differences!;
      const ns = median(differences);
      const range = `${formatNumber(Math.min(...differences))} … ${formatNumber(Math.max(...differences))}`;
      const share = row.floor === undefined ? "—" : `${((ns / median(row.floor)) * 100).toFixed(1)}%`;
      return [row.workload, formatNumber(ns), range, share];
    });
  return renderTable(["Epoll − raw floor", `median ${unit}`, "runs' range", "of C+idle"], body);
}
