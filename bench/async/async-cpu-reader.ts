/**
 * The reader process of the async-cpu bench: reads a FIFO fed one byte per millisecond in the
 * named mode, and prints its own CPU time per byte (all threads: the process CPU-time clock, exact
 * to the nanosecond, where `getrusage` counts in scheduler ticks) over the measured bytes as JSON,
 * with the part of it its JIT compiler threads took. Run by async-cpu.ts, once per mode and run:
 *
 *     bun bench/async/async-cpu-reader.ts <mode> <fifo> <warm-up bytes> <measured bytes>
 *
 * Modes: `waitAsync` (a Poller awaited once per event, then one read), `waitAsync-duplicate` (the
 * same with the design before the io_uring relay: a duplicate handed to Bun's loop per wait),
 * `batches` (the same Poller through `for await … of poller.batches()`), `relay-floor` (the io_uring
 * relay's own kernel work and Bun's socket, with no bunix class: relay-floor.ts), `stream` (Bun's own
 * `Bun.file(fifo).stream()`), and `worker-wait` (a Worker blocked in `poller.wait()`, then one
 * read: the blocking reference).
 *
 * @module
 */
import { openSync } from "node:fs";
import { loadCore } from "../../ffi/index.ts";
import { setWatchStart } from "../../src/async/index.ts";
import { Interest, Poller } from "../../src/poller/index.ts";
import { processCpuClock } from "../harness/clock.ts";
import { jitThreadsNs } from "../harness/threads.ts";
import { relayFloorLoop } from "./relay-floor.ts";

const [mode, path, warmArg, countArg] = process.argv.slice(2);
const clock = processCpuClock();
if (clock === undefined) throw new Error("no process CPU-time clock here");
const warm = Number(warmArg);
const total = warm + Number(countArg);

/** Counts bytes, and takes the CPU time when the warm-up ends and when the last byte came. */
class Meter {
  bytes = 0;
  started = 0;
  jitStarted = 0;
  /** CPU nanoseconds from the end of the warm-up to the last byte. */
  used: number | undefined;
  /** Of those, the JIT compiler threads'. */
  jit = 0;
  add(n: number): boolean {
    const before = this.bytes;
    this.bytes += n;
    if (before < warm && this.bytes >= warm) this.start();
    if (this.bytes >= total && this.used === undefined) this.stop();
    return this.bytes >= total;
  }
  start(): void {
    this.started = clock!.now();
    this.jitStarted = jitThreadsNs(process.pid);
  }
  stop(): void {
    this.used = clock!.now() - this.started;
    this.jit = jitThreadsNs(process.pid) - this.jitStarted;
  }
  report(): void {
    const events = total - warm;
    console.log(JSON.stringify({ mode, usPerEvent: this.used! / 1000 / events, jitUsPerEvent: this.jit / 1000 / events, bytes: this.bytes - warm }));
  }
}

const meter = new Meter();

async function pollerLoop(useBatches: boolean): Promise<void> {
  const { read } = loadCore()!;
  const fd = openSync(path!, "r"); // blocks until the writer opens its end
  const buffer = new Uint8Array(64);
  using poller = new Poller();
  poller.add(fd, Interest.READABLE);
  if (useBatches) {
    for await (const _events of poller.batches()) {
      const n = Number(read(fd, buffer, buffer.length));
      if (n <= 0 || meter.add(n)) break;
    }
  } else {
    for (;;) {
      await poller.waitAsync();
      const n = Number(read(fd, buffer, buffer.length));
      if (n <= 0 || meter.add(n)) break;
    }
  }
}

async function streamLoop(): Promise<void> {
  const reader = Bun.file(path!).stream().getReader();
  for (;;) {
    const { value, done } = await reader.read();
    if (done || meter.add(value.length)) break;
  }
  reader.releaseLock();
}

async function workerLoop(): Promise<void> {
  const worker = new Worker(new URL("./async-cpu-worker.ts", import.meta.url).href);
  const result = new Promise<void>((resolve) => {
    worker.addEventListener("message", () => resolve());
  });
  const shared = new Int32Array(new SharedArrayBuffer(8));
  worker.postMessage({ path, shared, total });
  // The Worker counts; this thread takes the CPU clock at the same points.
  while (Atomics.load(shared, 0) < warm) await Bun.sleep(1);
  meter.start();
  await result;
  meter.bytes = Atomics.load(shared, 0);
  meter.stop();
  await worker.terminate();
}

if (mode === "waitAsync") await pollerLoop(false);
else if (mode === "waitAsync-duplicate") {
  setWatchStart("event-loop");
  await pollerLoop(false);
}
else if (mode === "batches") await pollerLoop(true);
else if (mode === "relay-floor") await relayFloorLoop(path!, (n) => meter.add(n));
else if (mode === "stream") await streamLoop();
else if (mode === "worker-wait") await workerLoop();
else throw new Error(`unknown mode ${mode}`);
meter.report();
process.exit(0);
