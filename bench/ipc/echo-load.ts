/**
 * echo-load: framed echo servers under load from a C client (bench/c/echo-load-client.c): N
 * connections, one message in flight each, random sizes, every echoed byte compared.
 *
 * Three servers, each started fresh for every run (so that its peak RSS is this run's), interleaved
 * with the order rotating from run to run. Each fresh server takes the workload twice, and both are
 * reported with their own targets: **cold** (its first run, which a short-lived server or a quick
 * test sees; a JS server's JIT is still compiling its hot path meanwhile, on the server's one CPU)
 * and **warm** (its second run: the steady state of a long-running server):
 *
 * - **bunix-echo**: the tool itself (`EchoServer` on `batches()`; after a batch it waits for more in
 *   the kernel for up to 10 ms, `busyWaitMs: 10`, before going back to the event loop).
 * - **Bun.listen**: the echo server an application would write on Bun's own sockets, with the same
 *   framing and the same 16 MiB limit (bench/ipc/native-echo-child.ts).
 * - **C epoll**: bench/c/echo-server.c, one thread, the limit of what the kernel allows.
 *
 * The server runs on CPU 1 and the client on CPU 0 (taskset), so that each has a core. Figures:
 * messages per second and payload MB/s (one way) over the client's wall time, the client's p50 and
 * p99 round trip, the server's CPU time over the run (as a share of that wall time, and per
 * message: the steadier figure on a busy machine), the server's peak RSS (VmHWM), and the CPU time
 * its JIT compiler threads took during the run (they share the server's one CPU, so every
 * millisecond of compiling is a millisecond the server does not serve: the cause of a JS server's
 * cold-start tail). Ratios are medians of per-run ratios.
 *
 *     bun bench/ipc/echo-load.ts [--runs 5] [--no-pin]
 *
 * @module
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Bench } from "../harness/bench.ts";
import { CProgram, field } from "../harness/c-reference.ts";
import { pairedRatio, type Verdict } from "../harness/compare.ts";
import { formatNumber, formatRatio, formatSummary, renderTable } from "../harness/format.ts";
import { runStandalone } from "../harness/standalone.ts";
import { jitThreadsNs } from "../harness/threads.ts";
import { median, summarise } from "../harness/stats.ts";
import { startServerProcess, stopServerProcess } from "./server-process.ts";

const here = (file: string) => new URL(file, import.meta.url).pathname;
const SERVER_CPU = "1";
const CLIENT_CPU = "0";

interface Workload {
  readonly label: string;
  readonly conns: number;
  readonly msgs: number;
  readonly min: number;
  readonly max: number;
  /** bunix-echo's messages/s at least `ratio` × the reference's. */
  readonly target: { readonly versus: "bun" | "c"; readonly ratio: number };
}

const WORKLOADS: readonly Workload[] = [
  { label: "50 × 1 000, 1 B–64 KiB", conns: 50, msgs: 1000, min: 1, max: 65536, target: { versus: "bun", ratio: 1.2 } },
  { label: "200 × 1 000, 1 B–64 KiB", conns: 200, msgs: 1000, min: 1, max: 65536, target: { versus: "bun", ratio: 1.0 } },
  { label: "50 × 4 000, 1–256 B", conns: 50, msgs: 4000, min: 1, max: 256, target: { versus: "c", ratio: 0.95 } },
];

type ServerName = "bunix" | "bun" | "c";
const SERVER_LABELS: Record<ServerName, string> = { bunix: "bunix-echo", bun: "Bun.listen", c: "C epoll" };

/** One client run against one server. */
interface Sample {
  readonly msgsPerSec: number;
  readonly mbPerSec: number;
  readonly p50: number;
  readonly p99: number;
  /** Server CPU time over the client's wall time, in %. */
  readonly cpu: number;
  /** Server CPU time per message, in µs: steadier than rates on a busy machine. */
  readonly cpuPerMsg: number;
  /** Server peak RSS, MiB. */
  readonly rss: number;
  /** CPU time of the server's JIT compiler threads during the run, ms (on the server's one CPU). */
  readonly jitMs: number;
}

/** User + system CPU ticks of `pid` (Linux /proc). */
function cpuTicks(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return Number(fields[11]) + Number(fields[12]);
}

/** Peak resident set of `pid` in MiB (VmHWM). */
function peakRss(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, "utf8").split("\n").find((l) => l.startsWith("VmHWM:"));
  return Number(line?.split(/\s+/)[1] ?? Number.NaN) / 1024;
}

function serverCommand(name: ServerName, path: string, cServer: CProgram): string[] {
  switch (name) {
    case "bunix":
      return [process.execPath, here("../../src/tools/bunix-echo.ts"), "--socket", path, "--max-clients", "1000"];
    case "bun":
      return [process.execPath, here("./native-echo-child.ts"), path];
    case "c":
      return [cServer.path, `path=${path}`];
  }
}

/** A server's two runs: its first, fresh and cold, and its second, after that first run. */
interface Pair {
  readonly cold: Sample;
  readonly warm: Sample;
}

/** One client run against the server `server` already listening at `path`. */
function clientRun(name: ServerName, server: Bun.Subprocess, workload: Workload, path: string, client: CProgram, seed: number): Sample {
  const before = cpuTicks(server.pid);
  const jitBefore = jitThreadsNs(server.pid);
  const args = { path, conns: workload.conns, msgs: workload.msgs, min: workload.min, max: workload.max, seed };
  const run = Bun.spawnSync(["taskset", "-c", CLIENT_CPU, client.path, ...Object.entries(args).map(([k, v]) => `${k}=${v}`)]);
  if (run.exitCode !== 0) throw new Error(`echo-load client against ${SERVER_LABELS[name]} failed: ${run.stderr.toString().trim()}`);
  const ticks = cpuTicks(server.pid) - before;
  const jitMs = (jitThreadsNs(server.pid) - jitBefore) / 1e6;
  const rss = peakRss(server.pid);
  const line = run.stdout.toString().split("\n").find((l) => l.startsWith("result "))!;
  const record = Object.fromEntries(line.slice(7).trim().split(/\s+/).map((pair) => pair.split("=", 2) as [string, string]));
  const secs = field(record, "secs");
  return {
    msgsPerSec: field(record, "msgs") / secs,
    mbPerSec: field(record, "bytes") / secs / 1e6,
    p50: field(record, "p50_us") / 1000,
    p99: field(record, "p99_us") / 1000,
    cpu: (ticks / 100 / secs) * 100,
    cpuPerMsg: (ticks * 10_000) / field(record, "msgs"),
    rss,
    jitMs,
  };
}

/** Starts a fresh server, runs the workload against it twice (cold, then warm), and stops it. */
async function measure(name: ServerName, workload: Workload, path: string, client: CProgram, cServer: CProgram, seed: number): Promise<Pair> {
  const server = await startServerProcess("echo-load", ["taskset", "-c", SERVER_CPU, ...serverCommand(name, path, cServer)], path);
  try {
    const cold = clientRun(name, server, workload, path, client, seed);
    const warm = clientRun(name, server, workload, path, client, seed + 1000);
    return { cold, warm };
  } finally {
    await stopServerProcess(server);
    rmSync(path, { force: true });
  }
}

const fixed = (digits: number) => (value: number) => value.toFixed(digits);

/** The two runs of each server, as printed. */
const PHASES: readonly { readonly key: keyof Pair; readonly title: string }[] = [
  { key: "cold", title: "cold: a fresh server's first run (its JIT still compiling the hot path)" },
  { key: "warm", title: "warm: the same server's second run (steady state)" },
];

/** The table of one phase: a row per server. */
function phaseTable(names: readonly ServerName[], samples: Record<ServerName, Sample[]>): string {
  const series = (name: ServerName, pick: (s: Sample) => number) => samples[name].map(pick);
  const rows = names.map((name) => [
    SERVER_LABELS[name],
    formatSummary(summarise(series(name, (s) => s.msgsPerSec))),
    formatNumber(median(series(name, (s) => s.mbPerSec))),
    fixed(2)(median(series(name, (s) => s.p50))),
    fixed(2)(median(series(name, (s) => s.p99))),
    fixed(0)(median(series(name, (s) => s.cpu))),
    fixed(2)(median(series(name, (s) => s.cpuPerMsg))),
    fixed(0)(median(series(name, (s) => s.rss))),
    fixed(0)(median(series(name, (s) => s.jitMs))),
    name === "bun" ? "1.00×" : formatRatio(pairedRatio(series(name, (s) => s.msgsPerSec), series("bun", (s) => s.msgsPerSec))),
    name === "c" ? "1.00×" : formatRatio(pairedRatio(series(name, (s) => s.msgsPerSec), series("c", (s) => s.msgsPerSec))),
  ]);
  return renderTable(["server", "msgs/s", "MB/s", "p50 ms", "p99 ms", "server CPU %", "CPU µs/msg", "peak RSS MiB", "JIT ms", "vs Bun", "vs C"], rows);
}

/** The targets of one workload in one phase: rate, p99 and peak RSS. */
function phaseVerdicts(label: string, workload: Workload, samples: Record<ServerName, Sample[]>): Verdict[] {
  const series = (name: ServerName, pick: (s: Sample) => number) => samples[name].map(pick);
  const msgs = (name: ServerName) => series(name, (s) => s.msgsPerSec);
  const versus = pairedRatio(msgs("bunix"), msgs(workload.target.versus));
  const p99 = pairedRatio(series("bunix", (s) => s.p99), series("bun", (s) => s.p99));
  const rss = pairedRatio(series("bunix", (s) => s.rss), series("bun", (s) => s.rss));
  return [
    {
      bench: "echo-load",
      workload: label,
      target: `bunix-echo msgs/s ≥ ${workload.target.ratio.toFixed(2)}× ${SERVER_LABELS[workload.target.versus]}`,
      measured: formatRatio(versus),
      pass: versus === undefined ? undefined : versus >= workload.target.ratio,
    },
    { bench: "echo-load", workload: label, target: "p99 ≤ Bun.listen's", measured: formatRatio(p99), pass: p99 === undefined ? undefined : p99 <= 1 },
    { bench: "echo-load", workload: label, target: "peak RSS ≤ 1.2× Bun.listen's", measured: formatRatio(rss), pass: rss === undefined ? undefined : rss <= 1.2 },
  ];
}

export const echoLoad: Bench = {
  name: "echo-load",
  title: "framed echo servers under a C load client (N connections, one message in flight each, every byte checked): bunix-echo, Bun.listen, C epoll",
  async run({ runs, print }) {
    // The C programs use epoll, and /proc gives the server's CPU time and peak RSS.
    if (process.platform !== "linux" || Bun.which("taskset") === null) {
      print("skipped: needs Linux and taskset");
      return [];
    }
    const client = CProgram.build("echo-load-client");
    const cServer = CProgram.build("echo-server");
    if (client === null || cServer === null) {
      print("skipped: needs a C compiler (the load client is C)");
      return [];
    }
    print(`server on CPU ${SERVER_CPU}, client on CPU ${CLIENT_CPU}; ${runs} interleaved runs, a fresh server each, loaded twice`);
    print("(cold, then warm); cells: median ±half-range%; peak RSS after the run");
    const dir = mkdtempSync(join(tmpdir(), "bunix-echo-load-"));
    const verdicts: Verdict[] = [];
    const names: ServerName[] = ["bunix", "bun", "c"];
    try {
      for (const workload of WORKLOADS) {
        const pairs: Record<ServerName, Pair[]> = { bunix: [], bun: [], c: [] };
        for (let run = 0; run < runs; run++) {
          for (let k = 0; k < names.length; k++) {
            const name = names[(k + run) % names.length]!;
            pairs[name].push(await measure(name, workload, join(dir, `${name}-${run}.sock`), client, cServer, run + 1));
          }
        }
        print();
        print(`### ${workload.label}`);
        for (const phase of PHASES) {
          const samples = { bunix: pairs.bunix.map((p) => p[phase.key]), bun: pairs.bun.map((p) => p[phase.key]), c: pairs.c.map((p) => p[phase.key]) };
          print(phase.title);
          print(phaseTable(names, samples));
          verdicts.push(...phaseVerdicts(`${workload.label}, ${phase.key}`, workload, samples));
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    return verdicts;
  },
};

if (import.meta.main) await runStandalone(echoLoad, "wall");
