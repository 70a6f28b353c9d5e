/**
 * The header every report starts with: when, on what, and how the figures were taken, so that a
 * table pasted elsewhere still says where it came from.
 *
 * @module
 */
import { cpus, loadavg, release } from "node:os";
import { compilerVersion } from "./c-reference.ts";

/** Lines describing the date, runtime, kernel, CPU, compiler and pinning. */
export function environmentLines(pinning: string): string[] {
  const compiler = compilerVersion();
  return [
    `date:     ${new Date().toISOString()}`,
    `bun:      ${Bun.version} (${Bun.revision.slice(0, 12)})`,
    `kernel:   ${process.platform} ${release()} ${process.arch}`,
    `cpu:      ${cpus()[0]?.model ?? "unknown"} × ${cpus().length}`,
    `compiler: ${compiler ?? "none found: C reference columns are skipped"}`,
    `pinning:  ${pinning}`,
    `load:     ${loadLine()}`,
  ];
}

/** The 1, 5 and 15-minute load averages: anything well above 0 means other work shared the CPUs. */
export function loadLine(): string {
  return loadavg().map((value) => value.toFixed(2)).join(" / ");
}
