/**
 * One latency run of `wake-latency-async`: a producer Worker makes a target ready after a random
 * 300-800 µs pause, stamping CLOCK_MONOTONIC in shared memory first, and waits for the main thread
 * to acknowledge before the next sample (one in flight). The main thread takes the clock when its
 * code runs again: after `await epoll.waitAsync()`, or in the `data` callback of Bun's own socket.
 *
 * @module
 */
import { constant, loadCore, loadEventfd, loadSockets } from "../../ffi/index.ts";
import { setEventLoopWatching } from "../../src/async/index.ts";
import { Epoll, EpollFlags } from "../../src/epoll/epoll.ts";
import { quantile } from "../harness/stats.ts";
import { monotonicNs } from "./clock.ts";
import { ACKED, type ProducerTask } from "./shared-words.ts";

/**
 * What wakes the main thread: `waitAsync` (its default, Bun's event loop watching the instance),
 * `thread` (`waitAsync` through the readiness thread, its fallback), `busyPoll`, or Bun's own
 * socket (`native`).
 */
export type Design = "waitAsync" | "thread" | "busyPoll" | "native";

/** Percentiles of one run, in ns. */
export interface Latencies {
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
}

const producerUrl = new URL("./producer-worker.ts", import.meta.url).href;

/** Starts a producer Worker on `task` and resolves when it has posted "done". */
export function startProducer(task: ProducerTask): { done: Promise<void>; worker: Worker } {
  const worker = new Worker(producerUrl);
  const done = new Promise<void>((resolve, reject) => {
    worker.addEventListener("message", () => resolve(), { once: true });
    worker.addEventListener("error", (event) => reject(event.error ?? new Error(event.message)), { once: true });
  });
  worker.postMessage(task);
  return { done, worker };
}

function acknowledge(control: Int32Array, sample: number): void {
  Atomics.store(control, ACKED, sample);
  Atomics.notify(control, ACKED);
}

function percentiles(samples: Float64Array): Latencies {
  return { p50: quantile(samples, 0.5), p90: quantile(samples, 0.9), p99: quantile(samples, 0.99) };
}

/** Measures `count` samples after `warmup` untimed ones. */
export async function measureLatency(design: Design, count: number, warmup: number, seed: number): Promise<Latencies> {
  if (design === "native") return nativeLatency(count, warmup, seed);
  if (design !== "thread") return epollLatency(design === "busyPoll", count, warmup, seed);
  // The Epoll of the run makes its readiness source while this is off.
  setEventLoopWatching(false);
  try {
    return await epollLatency(false, count, warmup, seed);
  } finally {
    setEventLoopWatching(true);
  }
}

async function epollLatency(busyPoll: boolean, count: number, warmup: number, seed: number): Promise<Latencies> {
  const { read, close } = loadCore()!;
  const efd = loadEventfd()!.eventfd(0, constant("EFD_CLOEXEC") | constant("EFD_NONBLOCK"));
  if (efd < 0) throw new Error("eventfd failed");
  const control = new Int32Array(new SharedArrayBuffer(16));
  const stamp = new Float64Array(new SharedArrayBuffer(8));
  const counter = new BigUint64Array(new ArrayBuffer(8));
  const samples = new Float64Array(count);
  const total = warmup + count;
  const producer = startProducer({ kind: "latency", control, stamp, fd: efd, count: total, seed });
  try {
    using epoll = new Epoll<number>();
    epoll.add(efd, EpollFlags.IN, 1);
    const options = { busyPoll };
    for (let i = 0; i < total; i++) {
      const events = await epoll.waitAsync(-1, options);
      const now = monotonicNs();
      if (events.length !== 1 || events.data(0) !== 1) throw new Error("wake-latency-async: expected the eventfd");
      read(efd, counter, 8);
      if (i >= warmup) samples[i - warmup] = now - stamp[0]!;
      acknowledge(control, i + 1);
    }
    await producer.done;
  } finally {
    producer.worker.terminate();
    close(efd);
  }
  return percentiles(samples);
}

/**
 * Bun's own socket I/O: one end of an AF_UNIX socketpair handed to `Bun.connect({ fd })` (docs/design/bun-ffi.md
 * §9: one wake-up, Bun's event loop reads), the producer writing one byte to the other end.
 */
async function nativeLatency(count: number, warmup: number, seed: number): Promise<Latencies> {
  const { close } = loadCore()!;
  const pair = new Int32Array(new ArrayBuffer(8));
  const type = constant("SOCK_STREAM") | constant("SOCK_CLOEXEC") | constant("SOCK_NONBLOCK");
  if (loadSockets()!.socketpair(constant("AF_UNIX"), type, 0, pair) !== 0) throw new Error("socketpair failed");
  const control = new Int32Array(new SharedArrayBuffer(16));
  const stamp = new Float64Array(new SharedArrayBuffer(8));
  const samples = new Float64Array(count);
  const total = warmup + count;
  let received = 0;
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  // `fd` is accepted at run time but missing from the typed overloads (docs/design/bun-ffi.md §7).
  const connect = Bun.connect as unknown as (options: object) => Promise<{ terminate(): void }>;
  const socket = await connect({
    fd: pair[1],
    socket: {
      data(_socket: unknown, data: Uint8Array) {
        const now = monotonicNs();
        // One byte per sample, one sample in flight.
        for (let k = 0; k < data.length; k++) {
          if (received >= warmup) samples[received - warmup] = now - stamp[0]!;
          received++;
          acknowledge(control, received);
        }
        if (received === total) finish();
      },
    },
  });
  const producer = startProducer({ kind: "latency", control, stamp, fd: pair[0]!, count: total, seed, bytes: true });
  try {
    await finished;
    await producer.done;
  } finally {
    producer.worker.terminate();
    // Bun owns the other end now and closes it.
    socket.terminate();
    close(pair[0]!);
  }
  return percentiles(samples);
}
