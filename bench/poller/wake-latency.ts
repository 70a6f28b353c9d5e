/**
 * wake-latency: a Worker calls `Waker.wake()` while the main thread is blocked in
 * `Poller.wait(-1)`; latency is from just before the wake to just after `wait` returns, both read
 * with CLOCK_MONOTONIC. p50 and p99 over SAMPLES wake-ups per run.
 *
 * C reference (same run): bench/c/wake-latency.c, one thread blocked in epoll_wait on an eventfd,
 * another writing it, measured the same way (the waiter drains the eventfd before reading the
 * clock, as `Poller.wait` does before it returns). Under the runner both ends are pinned to one CPU
 * (taskset), Bun's main thread and Worker as the two C threads. With `BUNIX_LIBKQUEUE` set, the
 * kqueue backend on libkqueue is reported too. No target: the ratios are reported.
 *
 * Runs under `bench/run.ts`, or alone: `bun bench/poller/wake-latency.ts [--runs N]`.
 *
 * @module
 */
import { Poller, type PollerOptions } from "../../src/poller/index.ts";
import { type Bench, cNote } from "../harness/bench.ts";
import { CProgram, field } from "../harness/c-reference.ts";
import { interleave, pairedRatio, type Probe } from "../harness/compare.ts";
import { formatRatio, formatSummary, renderTable } from "../harness/format.ts";
import { quantile, summarise } from "../harness/stats.ts";
import { monotonicNs } from "./monotonic.ts";
import { runStandalone } from "../harness/standalone.ts";
import { ARMED, QUIT } from "./wake-worker.ts";

const SAMPLES = 1000;
const WARMUP = 100;
const DELAY_MS = 1;

interface Latencies {
  readonly p50: number;
  readonly p99: number;
}

/** One run: a Poller, a Worker waking it SAMPLES + WARMUP times; the latencies' p50 and p99 in ns. */
async function measureBun(options: PollerOptions): Promise<Latencies> {
  using poller = new Poller(options);
  const control = new Int32Array(new SharedArrayBuffer(8));
  const stamp = new Float64Array(new SharedArrayBuffer(8));
  const worker = new Worker(new URL("./wake-worker.ts", import.meta.url).href);
  const messages: unknown[] = [];
  let failure: Error | undefined;
  let notify: (() => void) | undefined;
  worker.onmessage = (event) => {
    messages.push(event.data);
    notify?.();
  };
  worker.onerror = (event) => {
    failure = new Error(`wake-latency: the worker failed: ${event.message}`);
    notify?.();
  };
  const next = async () => {
    const deadline = Date.now() + 10_000;
    while (messages.length === 0) {
      if (failure !== undefined) throw failure;
      if (Date.now() > deadline) throw new Error("wake-latency: no message from the worker within 10 s");
      await new Promise<void>((resolve) => {
        notify = resolve;
        setTimeout(resolve, 100);
      });
    }
    return messages.shift();
  };
  try {
    worker.postMessage({ transfer: poller.waker().transfer(), control, stamp, delayMs: DELAY_MS });
    if ((await next()) !== "ready") throw new Error("wake-latency: the worker did not start");
    const now = monotonicNs();
    const latencies = new Float64Array(SAMPLES);
    for (let i = -WARMUP; i < SAMPLES; i++) {
      Atomics.add(control, ARMED, 1);
      Atomics.notify(control, ARMED);
      const events = poller.wait(-1);
      const woke = now();
      if (events.length !== 0) throw new Error("wake-latency: a wake-up showed up as an entry");
      if (i >= 0) latencies[i] = woke - stamp[0]!;
    }
    Atomics.store(control, QUIT, 1);
    Atomics.add(control, ARMED, 1);
    Atomics.notify(control, ARMED);
    if ((await next()) !== "done") throw new Error("wake-latency: the worker did not finish");
    return { p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99) };
  } finally {
    worker.terminate();
  }
}

export const wakeLatency: Bench = {
  name: "wake-latency",
  title: "Waker.wake() from a Worker to a Poller.wait(-1) blocked on the main thread; µs p50/p99",
  async run({ runs, print }) {
    const c = CProgram.build("wake-latency");
    print(cNote(c !== null));
    print(`${SAMPLES} wake-ups per run after ${WARMUP} untimed; the waker sleeps ${DELAY_MS} ms before each, so the waiter is blocked`);
    const p99s: Record<string, number[]> = {};
    const probe = (name: string, take: () => Promise<Latencies> | Latencies): Probe => async () => {
      const { p50, p99 } = await take();
      (p99s[name] ??= []).push(p99);
      return p50;
    };
    const designs: [string, string, Probe][] = [["Poller (epoll) + Worker", "epoll", probe("epoll", () => measureBun({ backend: "epoll" }))]];
    const library = process.env.BUNIX_LIBKQUEUE;
    if (library) designs.push(["Poller (kqueue, libkqueue) + Worker", "kqueue", probe("kqueue", () => measureBun({ library }))]);
    const cProbe: Probe =
      c === null
        ? () => undefined
        : probe("c", () => {
            const record = c.run({ samples: SAMPLES, warmup: WARMUP, delay_us: DELAY_MS * 1000 })[0]!;
            return { p50: field(record, "p50_ns"), p99: field(record, "p99_ns") };
          });
    const figures = await interleave(runs, { ...Object.fromEntries(designs.map(([, key, p]) => [key, p])), c: cProbe });
    const micro = (values: number[] | undefined) => (values === undefined ? undefined : values.map((ns) => ns / 1000));
    const body = [...designs.map(([label, key]) => [label, key] as const), ["C: epoll_wait + eventfd, two threads", "c"] as const]
      .filter(([, key]) => figures[key] !== undefined)
      .map(([label, key]) => [
        label,
        formatSummary(summarise(micro(figures[key])!)),
        formatSummary(summarise(micro(p99s[key])!)),
        formatRatio(pairedRatio(figures[key], figures.c)),
        formatRatio(pairedRatio(p99s[key], p99s.c)),
      ]);
    print(renderTable(["design", "p50 µs", "p99 µs", "p50 ×C", "p99 ×C"], body));
    return [];
  },
};

if (import.meta.main) await runStandalone(wakeLatency);
