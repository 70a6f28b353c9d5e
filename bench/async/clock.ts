/**
 * CLOCK_MONOTONIC in nanoseconds through the ffi/ binding: the one clock every thread of the
 * process reads alike (a Worker's `performance.now()` has an origin of its own).
 *
 * @module
 */
import { constant, loadClock, struct } from "../../ffi/index.ts";

const timespec = struct("timespec");
const words = new Uint32Array(new ArrayBuffer(timespec.size));
const sec = timespec.fields.tv_sec.offset / 4;
const nsec = timespec.fields.tv_nsec.offset / 4;
const clockId = constant("CLOCK_MONOTONIC");
const clockGettime = loadClock()!.clock_gettime;

/** CLOCK_MONOTONIC now, in ns (exact below 2^53 ns, about 104 days of uptime). */
export function monotonicNs(): number {
  if (clockGettime(clockId, words) !== 0) throw new Error("clock_gettime failed");
  return (words[sec]! + words[sec + 1]! * 2 ** 32) * 1e9 + words[nsec]!;
}
