/**
 * The raw Bun floor of waitAsync's design, for `wake-latency-async`: the same two hops with no
 * bunix code in the way. A helper Worker blocks in `epoll_wait` on an outer epoll holding an inner
 * one (EPOLLIN | EPOLLONESHOT), and wakes the main thread with `Atomics.notify`; the main thread,
 * awaiting `Atomics.waitAsync`, polls the inner epoll with `epoll_wait(0)`, reads the eventfd and
 * re-arms with `EPOLL_CTL_MOD`, straight through the ffi/ binding. The gap between this row and
 * waitAsync's is what the library itself costs; the gap between this row and C is Bun's.
 *
 * @module
 */
import { constant, loadCore, loadEpoll, loadEventfd, struct } from "../../ffi/index.ts";
import { quantile } from "../harness/stats.ts";
import { monotonicNs } from "./clock.ts";
import type { Latencies } from "./latency.ts";
import { startProducer } from "./latency.ts";
import { ACKED, LEFT, RAW_STOP, REPORTS } from "./shared-words.ts";

/** Measures `count` samples after `warmup` untimed ones. */
export async function rawFloorLatency(count: number, warmup: number, seed: number): Promise<Latencies> {
  const { read, write, close } = loadCore()!;
  const { epoll_create1, epoll_ctl, epoll_wait } = loadEpoll()!;
  const { eventfd } = loadEventfd()!;
  const cloexec = constant("EPOLL_CLOEXEC");
  const efd = eventfd(0, constant("EFD_CLOEXEC") | constant("EFD_NONBLOCK"));
  const stopFd = eventfd(0, constant("EFD_CLOEXEC") | constant("EFD_NONBLOCK"));
  const inner = epoll_create1(cloexec);
  const outer = epoll_create1(cloexec);
  const layout = struct("epoll_event");
  const dataWord = layout.fields.data.offset / 4;
  const request = new Uint32Array(new ArrayBuffer(layout.size));
  const IN = constant("EPOLLIN");
  const armed = IN | constant("EPOLLONESHOT");
  const ctl = (epfd: number, op: string, fd: number, events: number) => {
    request[0] = events;
    request[dataWord] = fd;
    if (epoll_ctl(epfd, constant(op), fd, request) !== 0) throw new Error(`epoll_ctl ${op} failed`);
  };
  ctl(inner, "EPOLL_CTL_ADD", efd, IN);
  ctl(outer, "EPOLL_CTL_ADD", inner, armed);
  ctl(outer, "EPOLL_CTL_ADD", stopFd, IN);
  const control = new Int32Array(new SharedArrayBuffer(16));
  const helper = new Worker(new URL("./raw-floor-worker.ts", import.meta.url).href);
  helper.postMessage({ control, outer });
  const producerControl = new Int32Array(new SharedArrayBuffer(16));
  const stamp = new Float64Array(new SharedArrayBuffer(8));
  const total = warmup + count;
  const producer = startProducer({ kind: "latency", control: producerControl, stamp, fd: efd, count: total, seed });
  const samples = new Float64Array(count);
  const events = new Uint32Array(new ArrayBuffer(layout.size * 8));
  const counter = new BigUint64Array(new ArrayBuffer(8));
  let seen = 0;
  try {
    for (let i = 0; i < total; i++) {
      for (;;) {
        const reports = Atomics.load(control, REPORTS);
        if (reports !== seen) {
          seen = reports;
          break;
        }
        const waiting = Atomics.waitAsync(control, REPORTS, reports);
        if (waiting.async) await waiting.value;
      }
      if (epoll_wait(inner, events, 8, 0) !== 1) throw new Error("raw floor: expected the eventfd");
      const now = monotonicNs();
      read(efd, counter, 8);
      ctl(outer, "EPOLL_CTL_MOD", inner, armed);
      if (i >= warmup) samples[i - warmup] = now - stamp[0]!;
      Atomics.store(producerControl, ACKED, i + 1);
      Atomics.notify(producerControl, ACKED);
    }
    await producer.done;
  } finally {
    producer.worker.terminate();
    // Stop the helper the clean way (never terminate a thread blocked in epoll_wait).
    Atomics.store(control, RAW_STOP, 1);
    const one = new BigUint64Array(new ArrayBuffer(8));
    one[0] = 1n;
    write(stopFd, one, 8);
    while (Atomics.load(control, LEFT) === 0) {
      const waiting = Atomics.waitAsync(control, LEFT, 0, 1000);
      if (waiting.async) await waiting.value;
    }
    for (const fd of [outer, inner, stopFd, efd]) close(fd);
  }
  return { p50: quantile(samples, 0.5), p90: quantile(samples, 0.9), p99: quantile(samples, 0.99) };
}
