/**
 * wake-latency-async: an eventfd made ready by another thread (a producer Worker, after a random
 * 300-800 µs pause, stamping CLOCK_MONOTONIC first), to the `Epoll.waitAsync` promise resolving on
 * the main thread. p50/p90/p99 over 1 500 samples per run.
 *
 * By default waitAsync takes one thread wake-up: Bun's own event loop watches a duplicate of the
 * instance's descriptor (src/async/event-loop-source.ts), so the kernel wakes the main thread
 * directly. Its C floor is `bench/c/wake-latency-async.c hops=1 nested=1`: a thread blocked in
 * epoll_wait on an epoll that holds the inner one, which then polls the inner one, reads and
 * re-arms. The fallback, the readiness thread, takes two wake-ups (a helper blocked in epoll_wait,
 * then the main thread through `Atomics.notify` and Bun's event loop); its C floor is `hops=2`
 * (helper thread in epoll_wait → futex wake of the consumer), the floor of any two-thread design.
 * Target: waitAsync p50 ≤ 1.25× the C two-hop floor. Also shown: the raw Bun floor of the
 * two-hop design with no bunix code (raw-floor.ts), `busyPoll: true` (no sleeping: setImmediate
 * polling), Bun's own socket I/O (`Bun.connect({ fd })` on a socketpair: the best Bun itself does
 * with one wake-up into its event loop), and the C one-hop floor without nesting.
 *
 * Then: CPU use of an idle process with one pending waitAsync over 10 s (target < 1 % of a core;
 * and busyPoll's, for contrast), and throughput under a steady stream over 16 eventfds, flat out
 * and paced, showing how one resolution carries many writes.
 *
 * Pinning changes what is measured: `bun run bench` pins everything to one CPU (each wake-up is then
 * a context switch on that CPU, and the busy poll competes with the producer for it); `--no-pin`
 * lets the threads wake on other CPUs (real cross-CPU wake-ups, as in production, where every
 * wake-up of an idle CPU costs tens of microseconds on this VM). Run both.
 *
 *     bun bench/async/wake-latency-async.ts [--runs 5] [--no-pin]
 *
 * @module
 */
import { constant, loadCore, loadEventfd } from "../../ffi/index.ts";
import { Epoll, EpollFlags } from "../../src/epoll.ts";
import { type Bench, cNote } from "../harness/bench.ts";
import { runStandalone } from "../harness/standalone.ts";
import { CProgram, field } from "../harness/c-reference.ts";
import { interleave, pairedRatio, type Probe, type Verdict, verdictText } from "../harness/compare.ts";
import { formatNumber, formatRatio, formatSummary, renderTable } from "../harness/format.ts";
import { median, summarise } from "../harness/stats.ts";
import { type Design, type Latencies, measureLatency } from "./latency.ts";
import { rawFloorLatency } from "./raw-floor.ts";
import { streamThroughput, type Throughput } from "./throughput.ts";

const COUNT = 1500;
const WARMUP = 100;
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

/** The `wake-latency-async` bench: latency table, idle CPU, throughput, and the verdicts. */
export const wakeLatencyAsync: Bench = {
  name: "wake-latency-async",
  title: "eventfd made ready by another thread → waitAsync resolved on the main thread; µs",
  async run({ runs, print }) {
    const c = CProgram.build("wake-latency-async");
    print(cNote(c !== null));
    print(`${COUNT} samples per run after ${WARMUP} warm-up ones, producer pauses 300-800 µs; wall clock (CLOCK_MONOTONIC)`);

    const latencies: Record<string, { p50: number[]; p90: number[]; p99: number[] }> = {};
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
      thread: bun("thread"),
      busyPoll: bun("busyPoll"),
      native: bun("native"),
      raw: async () => keep("raw", await rawFloorLatency(COUNT, WARMUP, ++run)),
      c2: cProbe("c2", { hops: 2 }),
      c1nested: cProbe("c1nested", { hops: 1, nested: 1 }),
      c1: cProbe("c1", { hops: 1 }),
    });

    const rows: [string, string][] = [
      ["bunix waitAsync (Bun's event loop, one wake-up)", "waitAsync"],
      ["bunix waitAsync, readiness thread (fallback, two)", "thread"],
      ["raw Bun floor of the two-hop design, no bunix", "raw"],
      ["bunix waitAsync, busyPoll", "busyPoll"],
      ["Bun native socket, Bun.connect({ fd })", "native"],
      ["C two-hop floor (epoll_wait thread → futex)", "c2"],
      ["C one-hop, nested (consumer in epoll_wait outer)", "c1nested"],
      ["C one-hop (consumer in epoll_wait inner)", "c1"],
    ];
    const body = rows
      .filter(([, key]) => figures[key] !== undefined)
      .map(([label, key]) => [
        label,
        formatSummary(summarise(latencies[key]!.p50)),
        formatSummary(summarise(latencies[key]!.p90)),
        formatSummary(summarise(latencies[key]!.p99)),
        formatRatio(pairedRatio(figures[key], figures.c2)),
        formatRatio(pairedRatio(figures[key], figures.c1nested)),
      ]);
    print(renderTable(["design", "p50 µs", "p90 µs", "p99 µs", "p50 ÷ C two-hop", "p50 ÷ C one-hop nested"], body));

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

    const ratio = pairedRatio(figures.waitAsync, figures.c2);
    const sameHops = pairedRatio(figures.waitAsync, figures.c1nested);
    const verdicts: Verdict[] = [
      {
        bench: "wake-latency-async",
        workload: "waitAsync p50 vs C two-hop",
        target: `≤ ${MAX_RATIO.toFixed(2)}× C two-hop`,
        measured: formatRatio(ratio),
        pass: ratio === undefined ? undefined : ratio <= MAX_RATIO,
      },
      {
        bench: "wake-latency-async",
        workload: "waitAsync p50 vs C, same hops (one)",
        target: `≤ ${MAX_RATIO.toFixed(2)}× C one-hop nested`,
        measured: formatRatio(sameHops),
        pass: sameHops === undefined ? undefined : sameHops <= MAX_RATIO,
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
