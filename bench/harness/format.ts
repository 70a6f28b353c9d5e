/**
 * Text formatting for the result tables: numbers with a sensible number of digits, medians with
 * their run-to-run spread, and aligned plain-text tables (readable in a terminal and pasteable
 * into Markdown as a code block).
 *
 * @module
 */
import { spreadPercent, type Summary } from "./stats.ts";

/** A number with 3 to 4 significant digits, grouped for large values ("1 234 567"). */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return "—";
  const magnitude = Math.abs(value);
  if (magnitude >= 10_000) return Math.round(value).toLocaleString("en-US").replaceAll(",", " ");
  if (magnitude >= 100) return value.toFixed(0);
  if (magnitude >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

/** "412 ±2%": the median of the runs and half their range relative to it. */
export function formatSummary(summary: Summary | undefined): string {
  if (summary === undefined || !Number.isFinite(summary.median)) return "—";
  return `${formatNumber(summary.median)} ±${spreadPercent(summary).toFixed(0)}%`;
}

/** A ratio as "1.03×". */
export function formatRatio(ratio: number | undefined): string {
  return ratio === undefined || !Number.isFinite(ratio) ? "—" : `${ratio.toFixed(2)}×`;
}

/** Renders rows under a header as an aligned table; the first column is left-aligned, the rest right-aligned. */
export function renderTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? "").length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!)))
      .join("  ")
      .trimEnd();
  const rule = widths.map((width) => "-".repeat(width)).join("  ");
  return [line(header), rule, ...rows.map(line)].join("\n");
}
