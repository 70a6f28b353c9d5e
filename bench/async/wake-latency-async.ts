/**
 * wake-latency-async: an eventfd made ready by another thread (a producer Worker, after a random
 * 300-800 µs pause, stamping CLOCK_MONOTONIC first), to the `Epoll.waitAsync` promise resolving on
 * the main thread. p50/p90/p99 over 1 500 samples per run.
 *
 * By default waitAsync takes one thread wake-up: Bun's own event loop watches a duplicate of the
 * instance's descriptor (src/async/event-loop/duplicate-watch.ts), so the kernel wakes the main thread
 * directly. The fallback, the readiness thread, takes two (a helper blocked in epoll_wait, then the
 * main thread through `Atomics.notify` and Bun's event loop). The C references
 * (`bench/c/wake-latency-async.c`): `hops=2`, a helper thread in epoll_wait that futex-wakes the
 * consumer, the floor of any two-thread design; `hops=1 nested=1`, a thread blocked in epoll_wait
 * on an epoll holding the inner one, as Bun's loop is for waitAsync; `hops=1`, a thread blocked on
 * the inner epoll itself. Also shown: the raw Bun floor of the two-hop design with no bunix code
 * (raw-floor.ts), `busyPoll: true` (no sleeping: setImmediate polling), and Bun's own socket I/O
 * (`Bun.connect({ fd })` on a socketpair: the best Bun itself does with one wake-up into its loop).
 * The table code is latency-table.ts.
 *
 * Target: waitAsync p50 ≤ 1.25× the C two-hop floor with threads free to wake on any CPU, the
 * regime in which the issue measured that floor (41-47 µs here: waking an idle CPU is what costs).
 * Pinned to one CPU, a wake-up is a context switch on that CPU and the table measures path length
 * instead; a pinned runner (`bun run bench`) prints that table too, and measures the cross-CPU one
 * in a child process allowed on every CPU.
 *
 * Then: CPU use of an idle process with one pending waitAsync over 10 s (target < 1 % of a core;
 * and busyPoll's, for contrast), and throughput under a steady stream over 16 eventfds, flat out
 * and paced, showing how one resolution carries many writes.
 *
 *     bun bench/async/wake-latency-async.ts [--runs 5] [--no-pin]
 *
 * @module
 */
import { constant, loadCore, loadEventfd } from "../../ffi/index.ts";
import { Epoll, EpollFlags } from "../../src/epoll/epoll.ts";
import { type Bench, cNote } from "../harness/bench.ts";
import { runStandalone } from "../harness/standalone.ts";
import { CProgram } from "../harness/c-reference.ts";
import { pairedRatio, type Verdict, verdictText } from "../harness/compare.ts";
import { formatNumber, formatRatio, renderTable } from "../harness/format.ts";
import { isPinned } from "../harness/pin.ts";
import { median } from "../harness/stats.ts";
import { COUNT, WARMUP, measureCrossCpu, measureLatencyTable, renderLatencyTable } from "./latency-table.ts";
import { streamThroughput, type Throughput } from "./throughput.ts";

const MAX_RATIO = 1.25;
const IDLE_MS = 10_000;
const MAX_IDLE_SHARE = 0.01;
const STREAM_FDS = 16;
const STREAM_MS = 1000;

/** CPU share of this process (all its threads) while one waitAsync is pending, over `ms`. */
async function idleCpuShare(ms: number, busyPoll: boolean): Promise<number> {
  const { close } = loadCore()!;
  const efd = loadEventfd()!.eventfd(0, constant("EFD_CLOEXEC") | constant("EFD_NONBLOCK"));
  try {
    using epoll = new Epoll();
    epoll.add(efd, EpollFlags.IN);
    const controller = new AbortController();
    const pending = epoll.waitAsync(-1, { signal: controller.signal, busyPoll }).catch(() => {});
    await Bun.sleep(200);
    const cpu = process.cpuUsage();
    const started = performance.now();
    await Bun.sleep(ms);
    const used = process.cpuUsage(cpu);
    const share = (used.user + used.system) / 1000 / (performance.now() - started);
    controller.abort();
    await pending;
    return share;
  } finally {
    close(efd);
  }
}

const percent = (share: number) => `${(share * 100).toFixed(2)} %`;

/** The `wake-latency-async` bench: latency tables, idle CPU, throughput, and the verdicts. */
export const wakeLatencyAsync: Bench = {
  name: "wake-latency-async",
  title: "eventfd made ready by another thread → waitAsync resolved on the main thread; µs",
  async run({ runs, print }) {
    print(cNote(CProgram.build("wake-latency-async") !== null));
    print(`${COUNT} samples per run after ${WARMUP} warm-up ones, producer pauses 300-800 µs; wall clock (CLOCK_MONOTONIC)`);
    // Pinned, a wake-up is a context switch on the one CPU, and the table measures path length;
    // the target is about threads waking across CPUs, so a pinned runner measures that in a child.
    const here = await measureLatencyTable(runs);
    const crossCpu = isPinned() ? measureCrossCpu(runs) : here;
    print();
    print("Threads free to wake on any CPU (the target's regime: the C two-hop floor is the kernel's cross-CPU wake-up)");
    print(renderLatencyTable(crossCpu));
    if (crossCpu !== here) {
      print();
      print("Pinned to one CPU with taskset (each wake-up a context switch there: the figures measure path length)");
      print(renderLatencyTable(here));
    }
    print();
    print(`Idle: one pending waitAsync, process CPU time (all threads) over ${IDLE_MS / 1000} s of wall time`);
    const idle = await idleCpuShare(IDLE_MS, false);
    const busy = await idleCpuShare(1000, true);
    print(renderTable(["mode", "CPU share of one core"], [["waitAsync", percent(idle)], ["busyPoll (1 s)", percent(busy)]]));

    print();
    print(`Throughput: a producer Worker writes ${STREAM_FDS} eventfds in turn for ${STREAM_MS} ms; the main thread loops on waitAsync and reads every ready counter`);
    const streams: [string, number][] = [
      ["flat out", 0],
      ["paced (pause 0.05 ms per write)", 0.05],
    ];
    const stream: Record<string, Throughput[]> = {};
    for (let r = 0; r < Math.min(runs, 3); r++) {
      for (const [label, pause] of streams) (stream[label] ??= []).push(await streamThroughput(STREAM_FDS, STREAM_MS, pause));
    }
    print(
      renderTable(
        ["stream", "writes/s", "resolutions/s", "entries/resolution", "writes/resolution"],
        streams.map(([label]) => {
          const runsOf = stream[label]!;
          const writes = median(runsOf.map((t) => t.writes));
          const resolutions = median(runsOf.map((t) => t.resolutions));
          const entries = median(runsOf.map((t) => t.entries / t.resolutions));
          return [label, formatNumber(writes), formatNumber(resolutions), formatNumber(entries), formatNumber(writes / resolutions)];
        }),
      ),
    );

    const ratio = pairedRatio(crossCpu.figures.waitAsync, crossCpu.figures.c2);
    const verdicts: Verdict[] = [
      {
        bench: "wake-latency-async",
        workload: "waitAsync p50 vs C two-hop, any CPU",
        target: `≤ ${MAX_RATIO.toFixed(2)}× C two-hop`,
        measured: formatRatio(ratio),
        pass: ratio === undefined ? undefined : ratio <= MAX_RATIO,
      },
      {
        bench: "wake-latency-async",
        workload: "idle CPU, one pending waitAsync",
        target: `< ${percent(MAX_IDLE_SHARE)}`,
        measured: percent(idle),
        pass: idle < MAX_IDLE_SHARE,
      },
    ];
    print();
    print(renderTable(["target", "measured", "result"], verdicts.map((v) => [v.target, v.measured, verdictText(v.pass)])));
    return verdicts;
  },
};

if (import.meta.main) await runStandalone(wakeLatencyAsync);
