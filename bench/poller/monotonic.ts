/**
 * `clock_gettime(CLOCK_MONOTONIC)` in nanoseconds through the ffi/ binding: the clock the C
 * references read, the same in every thread of the process (a Worker's `performance.now()` has its
 * own origin), at the cost of one FFI call and no allocation.
 *
 * @module
 */
import { constant, loadClock, struct } from "../../ffi/index.ts";

/** A reader of CLOCK_MONOTONIC in ns; one per thread (it owns its timespec buffer). */
export function monotonicNs(): () => number {
  const symbols = loadClock();
  if (symbols === undefined) throw new Error("this platform has no clock_gettime");
  const timespec = struct("timespec");
  const words = new Uint32Array(new ArrayBuffer(timespec.size));
  const sec = timespec.fields.tv_sec.offset / 4;
  const nsec = timespec.fields.tv_nsec.offset / 4;
  const id = constant("CLOCK_MONOTONIC");
  const { clock_gettime } = symbols;
  return () => {
    if (clock_gettime(id, words) !== 0) throw new Error("clock_gettime failed");
    return (words[sec]! + words[sec + 1]! * 2 ** 32) * 1e9 + words[nsec]!;
  };
}
