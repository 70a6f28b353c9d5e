/**
 * pingpong: 1-byte round trips over a Unix stream socketpair in one process, both ends in one
 * Epoll. One round trip: write 1 byte on A, wait, read on B, write on B, wait, read on A.
 *
 * Compared with the C program of the same design (bench/c/pingpong.c) and with Bun's own
 * `Bun.listen`/`Bun.connect` on a Unix socket path, both ends in this process, one 1-byte message
 * in flight. Targets: at least 1.4× Bun's native round-trip rate, and a round trip within 1.15× of
 * the C + idle-thread floor. Pinned to one CPU: unpinned, this swings by more than 10×.
 *
 * @module
 */
import { constant, loadCore, loadEpoll, struct } from "../../ffi/index.ts";
import type { EpollEvents } from "../../src/epoll/epoll-events.ts";
import { Epoll, EpollFlags } from "../../src/epoll/epoll.ts";
import { type Bench, cNote } from "../harness/bench.ts";
import type { Clock } from "../harness/clock.ts";
import { CProgram, field } from "../harness/c-reference.ts";
import { interleave, pairedRatio, type Probe, type Verdict, verdictText } from "../harness/compare.ts";
import { DescriptorSet } from "../harness/descriptors.ts";
import { formatNumber, formatRatio, formatSummary, renderTable } from "../harness/format.ts";
import { summarise } from "../harness/stats.ts";
import { MAX_EVENTS } from "./raw.ts";
import { type RoundTrips, roundTrips, nativePingPong } from "./round-trips.ts";

/** Round trips timed per run, after WARMUP untimed ones; Bun's native loop is slower, so fewer. */
const COUNT = 100_000;
const NATIVE_COUNT = 30_000;
const WARMUP = 10_000;
const MIN_SPEEDUP_OVER_NATIVE = 1.4;
const MAX_RATIO_TO_C = 1.15;

/** Ping-pong driven by one Epoll over a socketpair, with the reads and writes through ffi/. */
function epollPingPong(count: number, warmup: number, clock: Clock): RoundTrips {
  const { read, write } = loadCore()!;
  using descriptors = new DescriptorSet();
  const [a, b] = descriptors.socketPair();
  using epoll = new Epoll<number>({ maxEvents: MAX_EVENTS });
  epoll.add(a, EpollFlags.IN, 0);
  epoll.add(b, EpollFlags.IN, 1);
  const byte = new Uint8Array(new ArrayBuffer(8));
  // The same shape as rawPingPong below, call for call, so the difference is the class alone.
  return roundTrips(count, warmup, clock, () => {
    if (write(a, byte, 1) !== 1) throw new Error("pingpong: write failed");
    expectEnd(epoll.wait(-1), 1);
    if (read(b, byte, 1) !== 1) throw new Error("pingpong: read failed");
    if (write(b, byte, 1) !== 1) throw new Error("pingpong: write failed");
    expectEnd(epoll.wait(-1), 0);
    if (read(a, byte, 1) !== 1) throw new Error("pingpong: read failed");
  });
}

/** Checks that a wait reported exactly the expected end as readable. */
function expectEnd(events: EpollEvents<number>, end: number): void {
  if (events.length !== 1 || events.data(0) !== end || !(events.events(0) & EpollFlags.IN)) {
    throw new Error(`pingpong: expected end ${end} readable, got ${events.length} events`);
  }
}

/** The bun:ffi floor of the same design: epoll_wait through the ffi/ binding, no Epoll class. */
function rawPingPong(count: number, warmup: number, clock: Clock): RoundTrips {
  const { read, write } = loadCore()!;
  const { epoll_create1, epoll_ctl, epoll_wait } = loadEpoll()!;
  using descriptors = new DescriptorSet();
  const [a, b] = descriptors.socketPair();
  const epfd = descriptors.keep(epoll_create1(constant("EPOLL_CLOEXEC")));
  const layout = struct("epoll_event");
  const dataWord = layout.fields.data.offset / 4;
  const request = new Uint32Array(new ArrayBuffer(layout.size));
  for (const [end, fd] of [a, b].entries()) {
    request[0] = EpollFlags.IN;
    request[dataWord] = end;
    if (epoll_ctl(epfd, constant("EPOLL_CTL_ADD"), fd, request) !== 0) throw new Error("pingpong: epoll_ctl failed");
  }
  const words = new Uint32Array(new ArrayBuffer(MAX_EVENTS * layout.size));
  const byte = new Uint8Array(new ArrayBuffer(8));
  const expect = (end: number) => {
    if (epoll_wait(epfd, words, MAX_EVENTS, -1) !== 1 || words[dataWord] !== end || !(words[0]! & EpollFlags.IN)) {
      throw new Error(`pingpong: expected end ${end} readable`);
    }
  };
  return roundTrips(count, warmup, clock, () => {
    if (write(a, byte, 1) !== 1) throw new Error("pingpong: write failed");
    expect(1);
    if (read(b, byte, 1) !== 1) throw new Error("pingpong: read failed");
    if (write(b, byte, 1) !== 1) throw new Error("pingpong: write failed");
    expect(0);
    if (read(a, byte, 1) !== 1) throw new Error("pingpong: read failed");
  });
}

export const pingpong: Bench = {
  name: "pingpong",
  title: "1-byte round trips over a Unix socketpair, both ends in one Epoll; round trips per second",
  async run({ runs, clock, print }) {
    const c = CProgram.build("pingpong");
    print(cNote(c !== null));
    print(`Bun native: Bun.listen + Bun.connect on a Unix socket path in this process, one message in flight`);
    // Latency percentiles by design, one entry per run; the probes return ns per round trip.
    const latencies: Record<string, { p50: number[]; p99: number[] }> = {};
    const keep = (name: string, p50: number, p99: number) => {
      latencies[name] ??= { p50: [], p99: [] };
      latencies[name]!.p50.push(p50);
      latencies[name]!.p99.push(p99);
    };
    const bunProbe = (name: string, measure: () => RoundTrips | Promise<RoundTrips>): Probe => async () => {
      const result = await measure();
      keep(name, result.p50, result.p99);
      return result.nsPerRoundTrip;
    };
    const cProbe = (mode: string): Probe =>
      c === null
        ? () => undefined
        : () => {
            const record = c.run({ mode, clock: clock.name, count: COUNT, warmup: WARMUP, maxevents: MAX_EVENTS })[0]!;
            keep(mode, field(record, "p50_ns"), field(record, "p99_ns"));
            return field(record, "ns_per_rt");
          };
    const figures = await interleave(runs, {
      epoll: bunProbe("epoll", () => epollPingPong(COUNT, WARMUP, clock)),
      raw: bunProbe("raw", () => rawPingPong(COUNT, WARMUP, clock)),
      native: bunProbe("native", () => nativePingPong(NATIVE_COUNT, WARMUP, clock)),
      st: cProbe("st"),
      mt: cProbe("mt"),
    });

    const rows: [string, string][] = [
      ["Bun + bunix Epoll", "epoll"],
      ["Bun, raw bun:ffi floor", "raw"],
      ["Bun native (listen/connect)", "native"],
      ["C, 1 thread", "st"],
      ["C + idle thread", "mt"],
    ];
    const body = rows
      .filter(([, key]) => figures[key] !== undefined)
      .map(([label, key]) => {
        const perRoundTrip = summarise(figures[key]!);
        return [
          label,
          formatNumber(1e9 / perRoundTrip.median),
          formatSummary(perRoundTrip),
          formatSummary(summarise(latencies[key]!.p50)),
          formatSummary(summarise(latencies[key]!.p99)),
          formatRatio(pairedRatio(figures[key], figures.epoll)),
        ];
      });
    print(renderTable(["design", "round trips/s", "ns/round trip", "p50 ns", "p99 ns", "Epoll rate ÷ this"], body));

    // Rates are inverses of time per round trip: Epoll's speed-up over native is native / Epoll time.
    const overNative = pairedRatio(figures.native, figures.epoll);
    const toC = pairedRatio(figures.epoll, figures.mt);
    const verdicts: Verdict[] = [
      {
        bench: "pingpong",
        workload: "rate vs Bun native",
        target: `≥ ${MIN_SPEEDUP_OVER_NATIVE.toFixed(2)}× native`,
        measured: formatRatio(overNative),
        pass: overNative === undefined ? undefined : overNative >= MIN_SPEEDUP_OVER_NATIVE,
      },
      {
        bench: "pingpong",
        workload: "round trip vs C+idle",
        target: `≤ ${MAX_RATIO_TO_C.toFixed(2)}× C+idle`,
        measured: formatRatio(toC),
        pass: toC === undefined ? undefined : toC <= MAX_RATIO_TO_C,
      },
    ];
    print();
    print(renderTable(["target", "measured", "result"], verdicts.map((v) => [v.target, v.measured, verdictText(v.pass)])));
    return verdicts;
  },
};
