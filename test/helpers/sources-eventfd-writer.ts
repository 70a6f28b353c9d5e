/**
 * A Worker script for the EventFd tests: after `delayMs`, adds `value` to the eventfd numbered
 * `fd` with a raw write(2) (descriptors are shared by every thread), then posts "written". It lets
 * the main thread block in `EventFd.read()` and be woken by another thread.
 * @module
 */
import { loadCore } from "../../ffi/index.ts";
import { LOW_WORD } from "../../src/core/u64.ts";

declare const self: Worker;

self.onmessage = async (event: MessageEvent<{ fd: number; value: number; delayMs: number }>) => {
  const { fd, value, delayMs } = event.data;
  const words = new Uint32Array(new ArrayBuffer(8));
  words[LOW_WORD] = value; // a value below 2^32 is all low word
  self.postMessage("ready");
  await Bun.sleep(delayMs);
  const written = loadCore()!.write(fd, words, 8);
  self.postMessage(written === 8 ? "written" : `write returned ${written}`);
};
