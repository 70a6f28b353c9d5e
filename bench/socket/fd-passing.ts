/**
 * fd-passing: descriptors passed per second over a Unix seqpacket socketpair in one process.
 * Each message is 1 byte carrying 1 descriptor (a copy of /dev/null); the receiver takes it with
 * `recv(…, { maxFds: 1 })` and closes it. Compared with the same work in C
 * (bench/c/fd-passing.c), single-threaded and with an idle thread.
 *
 * The received descriptor is closed with libc's close through ffi/, not `fs.closeSync`, so the
 * figure is bunix's cost rather than Node's fs layer's.
 *
 * Run it with the others through `bun run bench/run.ts fd-passing`, or alone:
 * `bun bench/socket/fd-passing.ts [--runs N] [--clock cpu|wall] [--no-pin]`.
 *
 * @module
 */
import { closeSync, openSync } from "node:fs";
import { loadCore } from "../../ffi/index.ts";
import { type Bench, cNote } from "../harness/bench.ts";
import { runStandalone } from "../harness/standalone.ts";
import { type Clock } from "../harness/clock.ts";
import { CProgram } from "../harness/c-reference.ts";
import { interleave, pairedRatio, type Probe } from "../harness/compare.ts";
import { formatNumber, formatRatio, formatSummary, renderTable } from "../harness/format.ts";
import { summarise } from "../harness/stats.ts";
import { socketpair } from "../../src/socket/index.ts";

const COUNT = 50_000;
const WARMUP = 5_000;

/** Time per passed descriptor over `count` messages, after `warmup` untimed ones. */
function bunixFdPassing(count: number, warmup: number, clock: Clock): number {
  const { close } = loadCore()!;
  const [a, b] = socketpair("seqpacket");
  const passed = openSync("/dev/null", "r");
  try {
    const byte = new Uint8Array(new ArrayBuffer(1));
    const sendOptions = { fds: [passed] };
    const receiveOptions = { maxFds: 1 };
    const pass = () => {
      a.send(byte, sendOptions);
      const message = b.recv(byte, receiveOptions)!;
      const fd = message.fds[0];
      if (fd === undefined || message.truncated) throw new Error("fd-passing: no descriptor in the message");
      if (close(fd) !== 0) throw new Error("fd-passing: close failed");
    };
    for (let i = 0; i < warmup; i++) pass();
    const start = clock.now();
    for (let i = 0; i < count; i++) pass();
    return (clock.now() - start) / count;
  } finally {
    closeSync(passed);
    a.close();
    b.close();
  }
}

export const fdPassing: Bench = {
  name: "fd-passing",
  title: "descriptors passed per second: 1 descriptor per seqpacket message, received and closed",
  async run({ runs, clock, print }) {
    const c = CProgram.build("fd-passing");
    print(cNote(c !== null));
    const cProbe = (mode: string): Probe =>
      c === null ? () => undefined : () => c.measure({ mode, clock: clock.name, count: COUNT, warmup: WARMUP }, "ns_per_fd");
    const figures = await interleave(runs, {
      bunix: () => bunixFdPassing(COUNT, WARMUP, clock),
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
        const perFd = summarise(figures[key]!);
        return [label, formatNumber(1e9 / perFd.median), formatSummary(perFd), formatRatio(pairedRatio(figures.bunix, figures[key]))];
      });
    print(renderTable(["design", "descriptors/s", "ns/descriptor", "bunix time ÷ this"], body));
    return [];
  },
};

if (import.meta.main) await runStandalone(fdPassing);
