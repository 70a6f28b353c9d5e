/**
 * The helper thread of the raw Bun floor (raw-floor.ts): blocks in `epoll_wait` on the outer epoll
 * it is given and, for each report, bumps a shared counter and `Atomics.notify`s it, until the
 * stop flag is set (the main thread then writes the outer epoll's stop eventfd). No ring, no ids,
 * no bunix: the least a Bun program can do for the same two hops.
 *
 * @module
 */
import { loadEpoll } from "../../ffi/index.ts";
import { LEFT, RAW_STOP, REPORTS } from "./shared-words.ts";

declare const self: Worker;

self.onmessage = (event: MessageEvent<{ control: Int32Array; outer: number }>) => {
  self.onmessage = null;
  const { control, outer } = event.data;
  const { epoll_wait } = loadEpoll()!;
  const buffer = new Uint32Array(new ArrayBuffer(16 * 64));
  while (Atomics.load(control, RAW_STOP) === 0) {
    if (epoll_wait(outer, buffer, 64, -1) <= 0) continue;
    Atomics.add(control, REPORTS, 1);
    Atomics.notify(control, REPORTS);
  }
  Atomics.store(control, LEFT, 1);
  Atomics.notify(control, LEFT);
};
