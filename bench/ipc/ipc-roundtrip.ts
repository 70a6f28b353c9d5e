/**
 * ipc-roundtrip: framed round trips (a 4-byte big-endian length, then the payload) with one
 * message in flight, for 64-byte and 64 KiB payloads. Round trips per second, p50 and p99.
 *
 * Four designs, each timed by the wall clock (a server in another process spends CPU time that
 * this process's clock would not see):
 *
 * - **bunix, one thread:** `IpcClient` and an `EchoServer` in this thread, taking turns
 *   (`send`, `server.step(0)`, `poll` + `process`).
 * - **Bun native, one process:** `Bun.connect` and `Bun.listen` in this process, on Bun's event
 *   loop, with the same framing written in plain JS (bench/ipc/frames.ts).
 * - **bunix, two processes:** `IpcClient` blocking in `poll` here, the `bunix-echo` tool (an
 *   `EchoServer` on `batches()`) as a child process.
 * - **Bun native, two processes:** `Bun.connect` here, the `Bun.listen` server as a child process.
 *
 * Under `bench/run.ts` everything is pinned to one CPU, so in the two-process designs client and
 * server share it: every round trip includes two context switches. There is no C reference: the
 * comparison is with Bun's own sockets doing the same work. Target: bunix's rate at least 1.2× Bun
 * native's in every cell (both topologies, both sizes).
 *
 * Runs under `bench/run.ts` (`bun run bench ipc-roundtrip`), or alone:
 *
 *     bun bench/ipc/ipc-roundtrip.ts [--runs 5] [--no-pin]
 *
 * @module
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Bench } from "../harness/bench.ts";
import { runStandalone } from "../harness/standalone.ts";
import { interleave, pairedRatio, type Probe, type Verdict } from "../harness/compare.ts";
import { formatNumber, formatRatio, formatSummary, renderTable } from "../harness/format.ts";
import { summarise } from "../harness/stats.ts";
import { bunixClient, bunixOneThread } from "./bunix-side.ts";
import { nativeEchoServer, nativeRoundTrips } from "./native-side.ts";
import type { RoundTripRun } from "./round-trip-timing.ts";
import { startServerProcess, stopServerProcess } from "./server-process.ts";

/**
 * Payload sizes, with the round trips timed per run and the untimed warm-up before them. At 64 B
 * the warm-up is as long as the run: after 2 000 round trips the `bunix-echo` process was still
 * compiling its JS, so the first run of each invocation came out up to twice as slow as the others
 * (a spread of ±40–66 % in the two-process mean, ±3–10 % with this warm-up).
 */
const SIZES = [
  { label: "64 B", bytes: 64, count: 20_000, warmup: 20_000 },
  { label: "64 KiB", bytes: 64 * 1024, count: 4_000, warmup: 400 },
] as const;

const DESIGNS = [
  { key: "bunix-1", label: "bunix, one thread (IpcClient + EchoServer.step)", versus: "native-1" },
  { key: "native-1", label: "Bun native, one process (Bun.connect + Bun.listen)", versus: undefined },
  { key: "bunix-2", label: "bunix, two processes (IpcClient → bunix-echo)", versus: "native-2" },
  { key: "native-2", label: "Bun native, two processes (Bun.connect → Bun.listen)", versus: undefined },
] as const;

const here = (file: string) => new URL(file, import.meta.url).pathname;

/** The target: bunix's round-trip rate at least this multiple of Bun native's, in each cell. */
const MIN_RATIO = 1.2;

export const ipcRoundtrip: Bench = {
  name: "ipc-roundtrip",
  title: "framed round trips, one message in flight, 64 B and 64 KiB: IpcClient + EchoServer against Bun.listen/Bun.connect; round trips per second",
  async run({ runs, print }) {
    const dir = mkdtempSync(join(tmpdir(), "bunix-ipc-"));
    let next = 0;
    const fresh = () => join(dir, `s${next++}.sock`);
    print("clock: wall (the servers of the two-process designs run in other processes); latencies per round trip");
    print("one thread / one process: client and server in this process; two processes: the server is a child process on the same CPU");
    let echoTool: Bun.Subprocess | undefined;
    let nativeChild: Bun.Subprocess | undefined;
    try {
      const echoPath = join(dir, "bunix-echo.sock");
      const nativePath = join(dir, "native.sock");
      echoTool = await startServerProcess("ipc-roundtrip", [process.execPath, here("../../src/tools/bunix-echo.ts"), "--socket", echoPath], echoPath);
      nativeChild = await startServerProcess("ipc-roundtrip", [process.execPath, here("./native-echo-child.ts"), nativePath], nativePath);

      const latencies: Record<string, { p50: number[]; p99: number[] }> = {};
      const probe = (name: string, measure: () => RoundTripRun | Promise<RoundTripRun>): Probe => async () => {
        const result = await measure();
        latencies[name] ??= { p50: [], p99: [] };
        latencies[name]!.p50.push(result.p50);
        latencies[name]!.p99.push(result.p99);
        return result.nsPerRoundTrip;
      };
      const probes: Record<string, Probe> = {};
      for (const size of SIZES) {
        const payload = crypto.getRandomValues(new Uint8Array(new ArrayBuffer(size.bytes)));
        const { count, warmup } = size;
        probes[`bunix-1 ${size.label}`] = probe(`bunix-1 ${size.label}`, () => bunixOneThread(fresh(), payload, count, warmup));
        probes[`native-1 ${size.label}`] = probe(`native-1 ${size.label}`, async () => {
          const path = fresh();
          const server = nativeEchoServer(path);
          try {
            return await nativeRoundTrips(path, payload, count, warmup);
          } finally {
            server.stop();
            rmSync(path, { force: true });
          }
        });
        probes[`bunix-2 ${size.label}`] = probe(`bunix-2 ${size.label}`, () => bunixClient(echoPath, payload, count, warmup));
        probes[`native-2 ${size.label}`] = probe(`native-2 ${size.label}`, () => nativeRoundTrips(nativePath, payload, count, warmup));
      }
      const figures = await interleave(runs, probes);

      const body: string[][] = [];
      const verdicts: Verdict[] = [];
      for (const size of SIZES) {
        for (const design of DESIGNS) {
          const key = `${design.key} ${size.label}`;
          const times = figures[key];
          if (times === undefined) continue;
          const perRoundTrip = summarise(times);
          const versus = design.versus === undefined ? undefined : pairedRatio(figures[`${design.versus} ${size.label}`], times);
          body.push([
            size.label,
            design.label,
            formatNumber(1e9 / perRoundTrip.median),
            formatSummary(summarise(times.map((ns) => ns / 1000))),
            formatSummary(summarise(latencies[key]!.p50.map((ns) => ns / 1000))),
            formatSummary(summarise(latencies[key]!.p99.map((ns) => ns / 1000))),
            design.versus === undefined ? "" : formatRatio(versus),
          ]);
          if (design.versus !== undefined) {
            verdicts.push({
              bench: "ipc-roundtrip",
              workload: `${size.label}, ${design.key === "bunix-1" ? "one thread" : "two processes"}`,
              target: `bunix rate ≥ ${MIN_RATIO.toFixed(2)}× Bun native`,
              measured: formatRatio(versus),
              pass: versus === undefined ? undefined : versus >= MIN_RATIO,
            });
          }
        }
      }
      print(renderTable(["size", "design", "round trips/s", "µs/round trip", "p50 µs", "p99 µs", "bunix rate ÷ native"], body));
      return verdicts;
    } finally {
      await stopServerProcess(echoTool);
      await stopServerProcess(nativeChild);
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

if (import.meta.main) await runStandalone(ipcRoundtrip, "wall");
