/**
 * Runs the bunix benchmarks: all of them, or those named.
 *
 *   bun run bench/run.ts [wait-hot|wait-scaling|ctl-churn|pingpong|memory|syscall|mq-roundtrip|
 *     pingpong-seqpacket|pingpong-stream|fd-passing|kevent-hot|poller-wait|wake-latency|timer-jitter|
 *     wake-latency-async|ipc-roundtrip|echo-load|watch-feed …]
 *     [--runs N] [--min-ms N] [--clock cpu|wall] [--no-pin]
 *
 * The runner first re-executes itself under `taskset -c 1`, so Bun and the C programs it spawns
 * share one CPU. Each bench prints a table of medians over `--runs` interleaved runs (default 5)
 * with the ratio against C programs doing the same work, and the runner ends with every target's
 * verdict. Times are the process's CPU time unless `--clock wall` (harness/clock.ts says why). The
 * exit status is 0 even when a target is missed: these are measurements, not tests.
 *
 * @module
 */
import type { Bench, BenchContext } from "./harness/bench.ts";
import { type Verdict, verdictText } from "./harness/compare.ts";
import { type Clock, processCpuClock, wallClock } from "./harness/clock.ts";
import { environmentLines, loadLine } from "./harness/environment.ts";
import { renderTable } from "./harness/format.ts";
import { ensurePinned } from "./harness/pin.ts";

// Loaded on demand: a bench whose module fails to load (say src/epoll/epoll.ts is missing) is reported
// and skipped without stopping the others.
const benches: Record<string, () => Promise<Bench>> = {
  "wait-hot": async () => (await import("./epoll/wait-hot.ts")).waitHot,
  "wait-scaling": async () => (await import("./epoll/wait-scaling.ts")).waitScaling,
  "ctl-churn": async () => (await import("./epoll/ctl-churn.ts")).ctlChurn,
  pingpong: async () => (await import("./epoll/pingpong.ts")).pingpong,
  memory: async () => (await import("./epoll/memory.ts")).memory,
  syscall: async () => (await import("./epoll/syscall.ts")).syscallExperiment,
  "mq-roundtrip": async () => (await import("./mqueue/mq-roundtrip.ts")).mqRoundtrip,
  "pingpong-seqpacket": async () => (await import("./socket/pingpong-seqpacket.ts")).pingpongSeqpacket,
  "fd-passing": async () => (await import("./socket/fd-passing.ts")).fdPassing,
  "pingpong-stream": async () => (await import("./socket/pingpong-stream.ts")).pingpongStream,
  "poller-wait": async () => (await import("./poller/poller-wait.ts")).pollerWait,
  "wake-latency": async () => (await import("./poller/wake-latency.ts")).wakeLatency,
  "timer-jitter": async () => (await import("./poller/timer-jitter.ts")).timerJitter,
  "ipc-roundtrip": async () => (await import("./ipc/ipc-roundtrip.ts")).ipcRoundtrip,
  "echo-load": async () => (await import("./ipc/echo-load.ts")).echoLoad,
  "wake-latency-async": async () => (await import("./async/wake-latency-async.ts")).wakeLatencyAsync,
  "kevent-hot": async () => (await import("./kqueue/kevent-hot.ts")).keventHot,
  "watch-feed": async () => (await import("./watch/watch-feed.ts")).watchFeed,
};

interface Options {
  readonly names: string[];
  readonly runs: number;
  readonly minMs: number;
  readonly noPin: boolean;
  readonly clock: "cpu" | "wall";
}

function usage(message: string): never {
  console.error(`${message}\nusage: bun run bench/run.ts [${Object.keys(benches).join("|")} …] [--runs N] [--min-ms N] [--clock cpu|wall] [--no-pin]`);
  process.exit(2);
}

function parseArguments(argv: readonly string[]): Options {
  const names: string[] = [];
  let runs = 5;
  let minMs = 300;
  let noPin = false;
  let clock: "cpu" | "wall" = "cpu";
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--runs" || arg === "--min-ms") {
      const value = Number(argv[++i]);
      if (!Number.isInteger(value) || value < 1) usage(`${arg} needs a positive integer`);
      if (arg === "--runs") runs = value;
      else minMs = value;
    } else if (arg === "--clock") {
      const value = argv[++i];
      if (value !== "cpu" && value !== "wall") usage("--clock needs cpu or wall");
      clock = value;
    } else if (arg === "--no-pin") {
      noPin = true;
    } else if (arg in benches) {
      names.push(arg);
    } else {
      usage(`unknown argument: ${arg}`);
    }
  }
  return { names: names.length > 0 ? names : Object.keys(benches), runs, minMs, noPin, clock };
}

function clockLine(asked: "cpu" | "wall", clock: Clock): string {
  if (clock.name === "cpu") return "process CPU time (Bun and C alike; other processes' time left out); latencies: wall clock";
  return asked === "cpu" ? "wall clock (no process CPU clock on this platform)" : "wall clock (--clock wall)";
}

async function main(): Promise<void> {
  const options = parseArguments(process.argv.slice(2));
  const pinning = ensurePinned(options.noPin);
  const print = (line = "") => console.log(line);
  const cpuClock = options.clock === "cpu" ? processCpuClock() : undefined;
  const clock: Clock = cpuClock ?? wallClock;
  const context: BenchContext = { runs: options.runs, minMs: options.minMs, clock, print };
  print("bunix benchmarks");
  for (const line of environmentLines(pinning)) print(`  ${line}`);
  print(`  clock:    ${clockLine(options.clock, clock)}`);
  print(`  runs:     ${options.runs} interleaved runs per figure; cells read "median ±half-range%"`);

  const verdicts: Verdict[] = [];
  for (const name of options.names) {
    print();
    let bench: Bench;
    try {
      bench = await benches[name]!();
    } catch (error) {
      print(`## ${name}: skipped, the module did not load: ${(error as Error).message}`);
      continue;
    }
    print(`## ${bench.name}: ${bench.title}`);
    verdicts.push(...(await bench.run(context)));
  }

  if (verdicts.length > 0) {
    print();
    print("## Targets");
    print(renderTable(["bench", "workload", "target", "measured", "result"], verdicts.map((v) => [v.bench, v.workload, v.target, v.measured, verdictText(v.pass)])));
  }
  print();
  print(`load average at the end: ${loadLine()} (other work on the machine shows up as spread)`);
}

await main();
