/**
 * The writer process of the async-cpu bench: opens the FIFO named by its first argument and writes
 * one byte into it every millisecond, `count` times (second argument), on an absolute schedule
 * (a late write does not push the later ones back), then closes it. Blocking sleeps
 * (`Atomics.wait`) keep it precise without an event loop.
 *
 * @module
 */
import { closeSync, openSync, writeSync } from "node:fs";

const [path, countArg, periodArg] = process.argv.slice(2);
const count = Number(countArg);
const periodMs = Number(periodArg ?? "1");
const fd = openSync(path!, "w");
const byte = new Uint8Array([0x2a]);
const sleeper = new Int32Array(new SharedArrayBuffer(4));
const start = performance.now();
for (let i = 0; i < count; i++) {
  const due = start + i * periodMs;
  const left = due - performance.now();
  if (left > 0) Atomics.wait(sleeper, 0, 0, left);
  writeSync(fd, byte);
}
closeSync(fd);
