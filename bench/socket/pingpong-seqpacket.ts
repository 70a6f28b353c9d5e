/**
 * pingpong-seqpacket: 1-byte round trips over a blocking Unix seqpacket socketpair in one
 * process, with bunix's `send` and `recv` alternating: send on A, receive on B, send on B,
 * receive on A. The message is always there when the receive comes, so nothing ever waits: this
 * measures the cost of four sendmsg/recvmsg calls through bunix against the same four calls in C
 * (bench/c/pingpong-seqpacket.c), single-threaded and with an idle thread.
 *
 * Run it with the others through `bun run bench/run.ts pingpong-seqpacket`, or alone:
 * `bun bench/socket/pingpong-seqpacket.ts [--runs N] [--clock cpu|wall] [--no-pin]`.
 *
 * @module
 */
import { type Bench, cNote } from "../harness/bench.ts";
import { runStandalone } from "../harness/standalone.ts";
import { type Clock } from "../harness/clock.ts";
import { CProgram, field } from "../harness/c-reference.ts";
import { interleave, pairedRatio, type Probe } from "../harness/compare.ts";
import { formatNumber, formatRatio, formatSummary, renderTable } from "../harness/format.ts";
import { quantile, summarise } from "../harness/stats.ts";
import { socketpair } from "../../src/socket/index.ts";

const COUNT = 100_000;
const WARMUP = 10_000;

interface RoundTrips {
  readonly nsPerRoundTrip: number;
  readonly p50: number;
  readonly p99: number;
}

/** `count` timed round trips after `warmup` untimed ones: the run by `clock`, each by the wall clock. */
function bunixPingPong(count: number, warmup: number, clock: Clock): RoundTrips {
  const [a, b] = socketpair("seqpacket");
  try {
    const byte = new Uint8Array(new ArrayBuffer(1));
    const roundTrip = () => {
      a.send(byte);
      if (b.recv(byte)!.bytes !== 1) throw new Error("pingpong-seqpacket: short receive on B");
      b.send(byte);
      if (a.recv(byte)!.bytes !== 1) throw new Error("pingpong-seqpacket: short receive on A");
    };
    for (let i = 0; i < warmup; i++) roundTrip();
    const latencies = new Float64Array(count);
    const start = clock.now();
    for (let i = 0; i < count; i++) {
      const t0 = Bun.nanoseconds();
      roundTrip();
      latencies[i] = Bun.nanoseconds() - t0;
    }
    const elapsed = clock.now() - start;
    return { nsPerRoundTrip: elapsed / count, p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99) };
  } finally {
    a.close();
    b.close();
  }
}

export const pingpongSeqpacket: Bench = {
  name: "pingpong-seqpacket",
  title: "1-byte round trips over a blocking seqpacket socketpair (bunix send/recv); round trips per second",
  async run({ runs, clock, print }) {
    const c = CProgram.build("pingpong-seqpacket");
    print(cNote(c !== null));
    const latencies: Record<string, { p50: number[]; p99: number[] }> = {};
    const keep = (key: string, p50: number, p99: number) => {
      latencies[key] ??= { p50: [], p99: [] };
      latencies[key]!.p50.push(p50);
      latencies[key]!.p99.push(p99);
    };
    const cProbe = (mode: string): Probe =>
      c === null
        ? () => undefined
        : () => {
            const record = c.run({ mode, clock: clock.name, count: COUNT, warmup: WARMUP })[0]!;
            keep(mode, field(record, "p50_ns"), field(record, "p99_ns"));
            return field(record, "ns_per_rt");
          };
    const figures = await interleave(runs, {
      bunix: () => {
        const result = bunixPingPong(COUNT, WARMUP, clock);
        keep("bunix", result.p50, result.p99);
        return result.nsPerRoundTrip;
      },
      st: cProbe("st"),
      mt: cProbe("mt"),
    });
    const rows: [string, string][] = [
      ["Bun + bunix send/recv", "bunix"],
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
          formatRatio(pairedRatio(figures.bunix, figures[key])),
          formatRatio(pairedRatio(latencies.bunix?.p50, latencies[key]?.p50)),
          formatRatio(pairedRatio(latencies.bunix?.p99, latencies[key]?.p99)),
        ];
      });
    print(
      renderTable(
        ["design", "round trips/s", "ns/round trip", "p50 ns", "p99 ns", "bunix time ÷ this", "bunix p50 ÷ this", "bunix p99 ÷ this"],
        body,
      ),
    );
    return [];
  },
};

if (import.meta.main) await runStandalone(pingpongSeqpacket);
