/**
 * async-cpu: what a waiting reader costs per event. A writer process puts one byte into a FIFO
 * every millisecond (fifo-writer.ts); a reader process (async-cpu-reader.ts) takes them on Bun's
 * main thread and reports its own CPU time (all threads, user + system) per byte, over 3 000 bytes
 * after 2 000 warm-up ones. The warm-up is long because JavaScriptCore goes on compiling the
 * readers' JS for seconds at this rate; what its compiler threads still take inside the measured
 * window is printed beside each figure (`of it JIT µs`; it is part of the figure). The environment
 * variable `BUNIX_ASYNC_CPU_WARMUP=N` changes the warm-up (300 reproduces the issue's first
 * measurements). Readers:
 *
 * - `waitAsync`: a Poller awaited once per event, then one `read`; and the same with the design
 *   before the io_uring relay (a duplicate of the Poller's descriptor handed to Bun's loop per wait);
 * - `batches()`: the same Poller through `for await (… of poller.batches())`;
 * - the relay's floor (relay-floor.ts): the same kernel work and Bun socket as the relay, driven by
 *   raw bun:ffi calls with no bunix class, so that the gap to Bun's reader that belongs to the
 *   mechanism itself shows apart from the library's;
 * - Bun's own `Bun.file(fifo).stream()` reader, the reference;
 * - a Worker blocked in `poller.wait()`, then one `read` (what a thread of its own costs).
 *
 * Every reader and its writer are fresh processes; the readers are interleaved run by run, and the
 * ratios are paired per run. Twice: pinned (reader and writer on one CPU, with `taskset`) and on
 * every CPU. Then the wake-up latency table of `wake-latency-async`, with threads free to wake on
 * any CPU, for the latency side of the same designs.
 *
 * Targets: `waitAsync` and `batches()` at most 1.2× Bun's stream reader, on every CPU (the
 * regime of a real program) and pinned.
 *
 *     bun bench/async/async-cpu.ts [--runs 5] [--no-pin]
 *
 * @module
 */
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import type { Bench } from "../harness/bench.ts";
import { interleave, pairedRatio, type Probe, type Verdict, verdictText } from "../harness/compare.ts";
import { formatRatio, formatSummary, renderTable } from "../harness/format.ts";
import { BENCH_CPU, isPinned } from "../harness/pin.ts";
import { summarise } from "../harness/stats.ts";
import { measureCrossCpu, measureLatencyTable, renderLatencyTable } from "./latency-table.ts";

/** Events before the CPU clock starts. */
const WARMUP_EVENTS = warmupSetting() ?? 2000;
const EVENTS = 3000;
const MAX_RATIO = 1.2;

/** The readers, in the order printed: label and mode. */
const READERS: readonly [string, string][] = [
  ["bunix Poller.waitAsync, one read per event", "waitAsync"],
  ["the same, a duplicate per wait in Bun's loop (the design before)", "waitAsync-duplicate"],
  ["bunix Poller.batches(), one read per event", "batches"],
  ["the relay's floor: its io_uring poll+send and Bun's socket, raw bun:ffi, no bunix class", "relay-floor"],
  ["Bun.file(fifo).stream() (the reference)", "stream"],
  ["bunix Poller.wait() blocking in a Worker", "worker-wait"],
];

const here = (file: string) => new URL(file, import.meta.url).pathname;

/** `BUNIX_ASYNC_CPU_WARMUP` (an environment variable, so that a pinned re-run keeps it), if set. */
function warmupSetting(): number | undefined {
  const text = process.env.BUNIX_ASYNC_CPU_WARMUP;
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0) throw new Error("BUNIX_ASYNC_CPU_WARMUP takes a whole number of events");
  return value;
}

/** Runs one reader against a fresh writer; returns its CPU µs per event, and records its JIT part in `jit`. */
async function measureReader(mode: string, cpuList: string, jit: Record<string, number[]>): Promise<number> {
  const taskset = Bun.which("taskset");
  const dir = mkdtempSync(join(tmpdir(), "bunix-async-cpu-"));
  const fifo = join(dir, "fifo");
  try {
    if (Bun.spawnSync(["mkfifo", fifo]).exitCode !== 0) throw new Error("mkfifo failed");
    const prefix = taskset === null ? [] : [taskset, "-c", cpuList];
    const total = String(WARMUP_EVENTS + EVENTS);
    const writer = Bun.spawn([...prefix, process.execPath, here("./fifo-writer.ts"), fifo, total], { stderr: "ignore" });
    const reader = Bun.spawn([...prefix, process.execPath, here("./async-cpu-reader.ts"), mode, fifo, String(WARMUP_EVENTS), String(EVENTS)], {
      stderr: "inherit",
    });
    const [stdout] = await Promise.all([new Response(reader.stdout).text(), reader.exited, writer.exited]);
    const line = stdout.split("\n").find((l) => l.startsWith("{"));
    if (line === undefined) throw new Error(`the ${mode} reader printed no result`);
    const result = JSON.parse(line) as { usPerEvent: number; jitUsPerEvent: number };
    (jit[mode] ??= []).push(result.jitUsPerEvent);
    return result.usPerEvent;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** What one set of interleaved runs measured: CPU per event, all threads, and its JIT compiler part. */
interface ReaderFigures {
  readonly cpu: Record<string, number[]>;
  readonly jit: Record<string, number[]>;
}

/** Every reader `runs` times, interleaved, on the CPUs of `cpuList`. */
async function measureReaders(runs: number, cpuList: string): Promise<ReaderFigures> {
  const jit: Record<string, number[]> = {};
  const probes: Record<string, Probe> = {};
  for (const [, mode] of READERS) probes[mode] = () => measureReader(mode, cpuList, jit);
  return { cpu: await interleave(runs, probes), jit };
}

function readerTable({ cpu, jit }: ReaderFigures): string {
  return renderTable(
    ["reader", "CPU µs per event", "÷ Bun stream", "of it JIT µs"],
    READERS.filter(([, mode]) => cpu[mode] !== undefined).map(([label, mode]) => [
      label,
      formatSummary(summarise(cpu[mode]!)),
      formatRatio(pairedRatio(cpu[mode], cpu.stream)),
      formatSummary(summarise(jit[mode] ?? [])),
    ]),
  );
}

function verdicts(where: string, figures: Record<string, number[]>): Verdict[] {
  return ["waitAsync", "batches"].map((mode) => {
    const ratio = pairedRatio(figures[mode], figures.stream);
    return {
      bench: "async-cpu",
      workload: `${mode} CPU per event vs Bun stream, ${where}`,
      target: `≤ ${MAX_RATIO.toFixed(2)}× Bun stream`,
      measured: formatRatio(ratio),
      pass: ratio === undefined ? undefined : ratio <= MAX_RATIO,
    };
  });
}

/** The `async-cpu` bench. */
export const asyncCpu: Bench = {
  name: "async-cpu",
  title: "FIFO fed at 1 kHz by another process → reader CPU time per event (µs), beside Bun's own stream reader",
  async run({ runs, print }) {
    print(`${EVENTS} one-byte events per run after ${WARMUP_EVENTS} warm-up ones; reader and writer fresh processes each run`);
    const all = `0-${cpus().length - 1}`;
    print();
    print(`Reader and writer free to run on every CPU (${all})`);
    const free = await measureReaders(runs, all);
    print(readerTable(free));
    print();
    print(`Reader and writer pinned to CPU ${BENCH_CPU} with taskset`);
    const pinned = await measureReaders(runs, String(BENCH_CPU));
    print(readerTable(pinned));

    print();
    print("Wake-up latency (the table of wake-latency-async), threads free to wake on any CPU, µs");
    const latency = isPinned() ? measureCrossCpu(runs) : await measureLatencyTable(runs);
    print(renderLatencyTable(latency));

    const result = [...verdicts("every CPU", free.cpu), ...verdicts("pinned", pinned.cpu)];
    const relay = pairedRatio(latency.figures.waitAsync, latency.figures.duplicate);
    result.push({
      bench: "async-cpu",
      workload: "waitAsync wake-up p50 vs a duplicate per wait (the design before)",
      target: "≤ 1.00× (no worse)",
      measured: formatRatio(relay),
      pass: relay === undefined ? undefined : relay <= 1,
    });
    print();
    print(renderTable(["workload", "target", "measured", "result"], result.map((v) => [v.workload, v.target, v.measured, verdictText(v.pass)])));
    return result;
  },
};

if (import.meta.main) {
  const { runStandalone } = await import("../harness/standalone.ts");
  await runStandalone(asyncCpu);
}
