/**
 * The feed of the watch bench, as a process of its own so that its CPU time is not counted:
 *
 *     bun bench/watch/feeder.ts FIFO COUNT
 *
 * Opens FIFO for writing (waiting for the reader), then writes COUNT records of RECORD_BYTES, one
 * per millisecond on a 1 ms timerfd grid, and exits, which the reader sees as the end of the file.
 *
 * @module
 */
import { closeSync, openSync, writeSync } from "node:fs";
import { TimerFd } from "../../src/sources/timerfd.ts";
import { RECORD_BYTES } from "./record.ts";

const [path, countText] = process.argv.slice(2);
const count = Number(countText);
if (path === undefined || !Number.isInteger(count) || count < 1) throw new Error("usage: feeder.ts FIFO COUNT");
const fifo = openSync(path, "w");
const record = Buffer.alloc(RECORD_BYTES, "x");
record[RECORD_BYTES - 1] = 0x0a;
using ticker = new TimerFd();
ticker.set(1, 1);
for (let sent = 0; sent < count; ) {
  // Blocks until the next tick; periods missed meanwhile are made up at once, so the count holds.
  const ticks = Math.min(ticker.read() ?? 0, count - sent);
  for (let i = 0; i < ticks; i++) writeSync(fifo, record);
  sent += ticks;
}
closeSync(fifo);
