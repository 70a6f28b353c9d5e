/**
 * Runs one benchmark file on its own, as `bench/run.ts` would run it:
 *
 *     bun bench/<folder>/<name>.ts [--runs 5] [--min-ms 300] [--clock cpu|wall] [--no-pin]
 *
 * @module
 */
import { parseArgs } from "node:util";
import type { Bench, BenchContext } from "./bench.ts";
import { processCpuClock, wallClock } from "./clock.ts";
import { verdictText } from "./compare.ts";
import { environmentLines } from "./environment.ts";
import { renderTable } from "./format.ts";
import { ensurePinned } from "./pin.ts";

/**
 * Parses the runner's options, pins the process, runs `bench` and prints its verdicts.
 * @param defaultClock - the clock when `--clock` is not given: `"wall"` for benches whose figures
 *   are latencies across processes, where the process CPU clock would leave the other side out.
 */
export async function runStandalone(bench: Bench, defaultClock: "cpu" | "wall" = "cpu"): Promise<void> {
  const { values } = parseArgs({
    options: {
      runs: { type: "string", default: "5" },
      "min-ms": { type: "string", default: "300" },
      clock: { type: "string", default: defaultClock },
      "no-pin": { type: "boolean", default: false },
    },
  });
  const runs = Number(values.runs);
  const minMs = Number(values["min-ms"]);
  if (!Number.isInteger(runs) || runs < 1 || !Number.isInteger(minMs) || minMs < 1) throw new Error("--runs and --min-ms take positive integers");
  if (values.clock !== "cpu" && values.clock !== "wall") throw new Error("--clock takes cpu or wall");
  const pinning = ensurePinned(values["no-pin"]);
  const clock = (values.clock === "cpu" ? processCpuClock() : undefined) ?? wallClock;
  const print = (line = "") => console.log(line);
  const context: BenchContext = { runs, minMs, clock, print };
  for (const line of environmentLines(pinning)) print(line);
  print(`clock:    ${clock.name}; ${runs} interleaved runs, cells "median ±half-range%"`);
  print();
  print(`## ${bench.name}: ${bench.title}`);
  const verdicts = await bench.run(context);
  if (verdicts.length > 0) {
    print();
    print(renderTable(["workload", "target", "measured", "result"], verdicts.map((v) => [v.workload, v.target, v.measured, verdictText(v.pass)])));
  }
}
