/**
 * The Worker of wake-latency: waits to be armed, sleeps `delayMs` (so the main thread is surely
 * blocked in `Poller.wait`), stamps CLOCK_MONOTONIC into shared memory and wakes the Poller, as
 * the waker thread of bench/c/wake-latency.c does with its eventfd.
 *
 * Message in: `{ transfer, control, stamp, delayMs }` (control: Int32Array [armed, quit] over a
 * SharedArrayBuffer; stamp: Float64Array [ns]). Posts "ready" once set up, "done" when told to quit.
 *
 * @module
 */
import { Waker, type WakerTransfer } from "../../src/poller/index.ts";
import { monotonicNs } from "./monotonic.ts";

declare const self: Worker;

/** control[ARMED] counts samples; control[QUIT] ends the loop. */
export const ARMED = 0;
export const QUIT = 1;

self.onmessage = (event: MessageEvent<{ transfer: WakerTransfer; control: Int32Array; stamp: Float64Array; delayMs: number }>) => {
  const { transfer, control, stamp, delayMs } = event.data;
  const waker = Waker.from(transfer);
  const now = monotonicNs();
  const nap = new Int32Array(new SharedArrayBuffer(4));
  self.postMessage("ready");
  let seen = 0;
  for (;;) {
    while (Atomics.load(control, ARMED) === seen) Atomics.wait(control, ARMED, seen);
    seen = Atomics.load(control, ARMED);
    if (Atomics.load(control, QUIT) !== 0) break;
    Atomics.wait(nap, 0, 0, delayMs); // a futex sleep, as nanosleep on the C side
    stamp[0] = now();
    waker.wake();
  }
  self.postMessage("done");
};
