/**
 * timer-jitter: a 1 ms repeating `Poller.addTimer` for 2 s; for every entry, how late the wake-up
 * is behind the timer's grid (origin + k ms, CLOCK_MONOTONIC). p50, p99 and max lateness per run,
 * and how many wake-ups there were (fewer than 2000 means periods passed unobserved and came back
 * as one entry).
 *
 * The grid starts at the `timerfd_settime` inside `addTimer`, which the caller cannot stamp; a cold
 * `addTimer` takes tens of µs before it gets there. So the origin is read just *after* `addTimer`
 * returns (the C side: after `timerfd_settime` and the `epoll_ctl` that follows it, the same
 * order), which understates lateness by the few µs `addTimer` spends after arming (more in JS
 * than in C). The entry hides the expiration count, so the Bun side takes each
 * wake-up's offset modulo the period, reading offsets within WRAP_US of a full period as slightly
 * negative (the origin read late) rather than a period late; C counts expirations exactly. An
 * `addTimer` that took over SLOW_ADD_US (preempted before the origin was read) is redone, and
 * `addTimer` is warmed up before the first run.
 *
 * C reference (same run): bench/c/timer-jitter.c, a timerfd in an epoll doing the same. With
 * `BUNIX_LIBKQUEUE` set, the kqueue backend on libkqueue (EVFILT_TIMER) is reported too. No
 * target: the ratios are reported.
 *
 * Runs under `bench/run.ts`, or alone: `bun bench/poller/timer-jitter.ts [--runs N]`.
 *
 * @module
 */
import { Poller, type PollerOptions } from "../../src/poller/index.ts";
import { type Bench, cNote } from "../harness/bench.ts";
import { CProgram, field } from "../harness/c-reference.ts";
import { interleave, pairedRatio, type Probe } from "../harness/compare.ts";
import { formatNumber, formatRatio, formatSummary, renderTable } from "../harness/format.ts";
import { median, quantile, summarise } from "../harness/stats.ts";
import { monotonicNs } from "./monotonic.ts";
import { runStandalone } from "../harness/standalone.ts";

const PERIOD_MS = 1;
const DURATION_MS = 2000;
const WRAP_US = 100;
// An addTimer slower than this was preempted between arming and returning: its origin would be
// read late, so the timer is cancelled and made again.
const SLOW_ADD_US = 100;

interface Jitter {
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  readonly wakeups: number;
}

/** One run of `durationMs` on a Poller: lateness of every timer entry, in ns. */
function measureBun(options: PollerOptions, durationMs = DURATION_MS): Jitter {
  using poller = new Poller<string>(options);
  const now = monotonicNs();
  const period = PERIOD_MS * 1e6;
  const wrap = period - WRAP_US * 1000;
  const late = new Float64Array(Math.ceil(durationMs / PERIOD_MS) + 16);
  let wakeups = 0;
  let before = now();
  let timer = poller.addTimer(PERIOD_MS, { repeat: true }, "tick");
  let origin = now();
  for (let retry = 0; retry < 5 && origin - before > SLOW_ADD_US * 1000; retry++) {
    timer.cancel();
    before = now();
    timer = poller.addTimer(PERIOD_MS, { repeat: true }, "tick");
    origin = now();
  }
  const end = origin + durationMs * 1e6;
  for (;;) {
    const events = poller.wait(-1);
    const woke = now();
    if (events.length !== 1 || events.data(0) !== "tick") throw new Error(`timer-jitter: ${events.length} entries`);
    const offset = (woke - origin) % period;
    if (wakeups < late.length) late[wakeups++] = offset > wrap ? offset - period : offset;
    if (woke >= end) break;
  }
  timer.cancel();
  const taken = late.subarray(0, wakeups);
  return { p50: quantile(taken, 0.5), p99: quantile(taken, 0.99), max: quantile(taken, 1), wakeups };
}

/** Compiles addTimer and the wait loop before anything is measured. */
function warmUp(options: PollerOptions): void {
  {
    using poller = new Poller<string>(options);
    for (let i = 0; i < 500; i++) poller.addTimer(1000, { repeat: true }, "warm-up").cancel();
  }
  measureBun(options, 200);
}

export const timerJitter: Bench = {
  name: "timer-jitter",
  title: `a ${PERIOD_MS} ms repeating Poller timer for ${DURATION_MS / 1000} s: lateness behind its grid, µs p50/p99/max`,
  async run({ runs, print }) {
    const c = CProgram.build("timer-jitter");
    print(cNote(c !== null));
    const extra: Record<string, { p99: number[]; max: number[]; wakeups: number[] }> = {};
    const probe = (name: string, take: () => Jitter): Probe => () => {
      const jitter = take();
      const slot = (extra[name] ??= { p99: [], max: [], wakeups: [] });
      slot.p99.push(jitter.p99);
      slot.max.push(jitter.max);
      slot.wakeups.push(jitter.wakeups);
      return jitter.p50;
    };
    const designs: [string, string][] = [["Poller (epoll): timerfd", "epoll"]];
    const options: Record<string, PollerOptions> = { epoll: { backend: "epoll" } };
    const library = process.env.BUNIX_LIBKQUEUE;
    if (library) {
      designs.push(["Poller (kqueue, libkqueue): EVFILT_TIMER", "kqueue"]);
      options.kqueue = { library };
    }
    // The first timers of each backend load their symbols and run cold code: not measured.
    for (const each of Object.values(options)) warmUp(each);
    const probes: Record<string, Probe> = {};
    for (const [key, each] of Object.entries(options)) probes[key] = probe(key, () => measureBun(each));
    if (c !== null) {
      designs.push(["C: timerfd + epoll_wait", "c"]);
      probes.c = probe("c", () => {
        const record = c.run({ mode: "mt", period_us: PERIOD_MS * 1000, duration_ms: DURATION_MS })[0]!;
        return { p50: field(record, "p50_ns"), p99: field(record, "p99_ns"), max: field(record, "max_ns"), wakeups: field(record, "wakeups") };
      });
    }
    const figures = await interleave(runs, probes);
    const micro = (values: number[]) => summarise(values.map((ns) => ns / 1000));
    const body = designs
      .filter(([, key]) => figures[key] !== undefined)
      .map(([label, key]) => [
        label,
        formatSummary(micro(figures[key]!)),
        formatSummary(micro(extra[key]!.p99)),
        formatSummary(micro(extra[key]!.max)),
        formatNumber(median(extra[key]!.wakeups)),
        formatRatio(pairedRatio(figures[key], figures.c)),
        formatRatio(pairedRatio(extra[key]!.p99, extra.c?.p99)),
      ]);
    print(renderTable(["design", "p50 µs", "p99 µs", "max µs", "wake-ups", "p50 ×C", "p99 ×C"], body));
    return [];
  },
};

if (import.meta.main) await runStandalone(timerJitter);
