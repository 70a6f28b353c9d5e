/**
 * The Worker of the async-cpu bench's `worker-wait` mode: a blocking `poller.wait()` loop, one
 * read per wake-up, counting bytes into shared memory and posting when the last one came.
 *
 * @module
 */
import { openSync } from "node:fs";
import { loadCore } from "../../ffi/index.ts";
import { Interest, Poller } from "../../src/poller/index.ts";

declare const self: Worker;

self.addEventListener("message", (event: MessageEvent<{ path: string; shared: Int32Array; total: number }>) => {
  const { path, shared, total } = event.data;
  const { read } = loadCore()!;
  const fd = openSync(path, "r");
  const buffer = new Uint8Array(64);
  using poller = new Poller();
  poller.add(fd, Interest.READABLE);
  let bytes = 0;
  while (bytes < total) {
    poller.wait();
    const n = Number(read(fd, buffer, buffer.length));
    if (n <= 0) break;
    bytes += n;
    Atomics.store(shared, 0, bytes);
  }
  self.postMessage("done");
});
