/**
 * The producer thread of `wake-latency-async` and its throughput run, as a Worker.
 *
 * - `latency`: `count` times: sleeps a random 300-800 µs, stores CLOCK_MONOTONIC (ns) in the shared
 *   `stamp`, makes the target ready (adds 1 to the eventfd `fd`, or with `bytes` writes one byte to
 *   the socket `fd`), then waits until the main thread has acknowledged the sample, so one is in
 *   flight.
 * - `stream`: adds 1 to each eventfd of `fds` in turn, as fast as it can (or pausing `pauseMs`
 *   after each write), until `STOP` is set; counts its writes in `WRITTEN`.
 *
 * @module
 */
import { loadCore } from "../../ffi/index.ts";
import { monotonicNs } from "./clock.ts";
import { ACKED, type ProducerTask, STOP, WRITTEN } from "./shared-words.ts";

declare const self: Worker;

self.onmessage = (event: MessageEvent<ProducerTask>) => {
  const task = event.data;
  const { write } = loadCore()!;
  const one = new BigUint64Array(new ArrayBuffer(8));
  one[0] = 1n;
  const control = task.control;
  if (task.kind === "latency") {
    let seed = task.seed >>> 0;
    const sleeper = new Int32Array(new SharedArrayBuffer(4));
    for (let i = 0; i < task.count; i++) {
      // xorshift: the same spread of pauses in every run.
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      const pauseMs = (300 + ((seed >>> 0) % 501)) / 1000;
      Atomics.wait(sleeper, 0, 0, pauseMs);
      task.stamp[0] = monotonicNs();
      const size = task.bytes === true ? 1 : 8;
      if (write(task.fd, one, size) !== size) throw new Error("producer: write failed");
      while (Atomics.load(control, ACKED) !== i + 1) Atomics.wait(control, ACKED, i, 1000);
    }
  } else {
    let written = 0;
    const pauser = new Int32Array(new SharedArrayBuffer(4));
    for (let i = 0; Atomics.load(control, STOP) === 0; i = (i + 1) % task.fds.length) {
      if (write(task.fds[i]!, one, 8) === 8) written++;
      if ((written & 255) === 0) Atomics.store(control, WRITTEN, written);
      if (task.pauseMs > 0) Atomics.wait(pauser, 0, 0, task.pauseMs);
    }
    Atomics.store(control, WRITTEN, written);
  }
  self.postMessage("done");
};
