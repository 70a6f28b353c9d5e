/**
 * The example of docs/guides/waiting-without-blocking.md: one `waitAsync`, a `batches()` loop, and
 * a Worker that blocks in `wait()`, over an eventfd that timers write.
 *
 *     bun examples/waiting-without-blocking.ts
 *
 * (The guide imports from "bunix"; inside the repository the sources are imported directly.)
 *
 * @module
 */
import { EventFd, Interest, Poller } from "../src/index.ts";

declare const self: Worker;

if (Bun.isMainThread) {
  using poller = new Poller<string>();
  using counter = new EventFd(0, { nonblocking: true });
  poller.add(counter.fd, Interest.READABLE, "counter");

  // 1. One wait: the event loop keeps running (this timer fires) while it is pending.
  setTimeout(() => counter.write(1), 10);
  const events = await poller.waitAsync(1000);
  console.log(`waitAsync: ${events.length} entry, ${events.data(0)}, read ${counter.read()}`);

  // 2. A loop of waits: batches() keeps the watch armed between batches.
  const ticker = setInterval(() => counter.write(1), 5);
  let total = 0;
  for await (const batch of poller.batches({ signal: AbortSignal.timeout(5000) })) {
    for (const { data, readable } of batch) if (data === "counter" && readable) total += counter.read() ?? 0;
    if (total >= 3) break; // ends the loop and releases the watch
  }
  clearInterval(ticker);
  console.log(`batches: counted ${total >= 3 ? "at least 3" : total}`);

  // 3. A Worker may block: its thread is its own. Same process, so the descriptor number is valid there.
  const worker = new Worker(import.meta.url);
  const reply = new Promise<string>((resolve) => worker.addEventListener("message", (event) => resolve(event.data)));
  worker.postMessage(counter.fd);
  setTimeout(() => counter.write(7), 10);
  console.log(`worker: ${await reply}; the main thread reads ${counter.read()}`);
  await worker.terminate();
} else {
  // Inside the Worker: a blocking wait (it stops only this thread), then a reply.
  self.addEventListener("message", (event: MessageEvent<number>) => {
    using poller = new Poller();
    poller.add(event.data, Interest.READABLE);
    self.postMessage(`woke with ${poller.wait(1000).length} entry`);
  });
}
