/**
 * The clock the benchmarks time with, the same on the Bun and the C side.
 *
 * `cpu` (the default) is this process's CPU time: on a shared VM it leaves out the time other
 * processes held the CPU, which otherwise doubles a figure whenever someone else compiles. The
 * runner is pinned to one CPU, so the process's CPU time is its wall time minus theirs; it counts
 * every thread of the process, Bun's JIT and GC threads included. `wall` is the monotonic clock.
 * The process clock comes from `clock_getcpuclockid(0)`, so no clock number is hard-coded here.
 *
 * Reading the CPU clock is a system call (a few hundred ns), so it brackets batches of calls or
 * whole runs, never one short operation: latencies are always taken with the wall clock.
 *
 * @module
 */
import { dlopen } from "bun:ffi";
import { abi, struct } from "../../ffi/index.ts";

/** A clock reading in nanoseconds; only differences mean anything. */
export interface Clock {
  /** `cpu` or `wall`: also the C programs' `clock=` argument for the same clock. */
  readonly name: "cpu" | "wall";
  /** The current reading, in nanoseconds. */
  readonly now: () => number;
}

/** The monotonic wall clock. */
export const wallClock: Clock = { name: "wall", now: Bun.nanoseconds };

const clockSymbols = {
  clock_getcpuclockid: { args: ["i32", "ptr"], returns: "i32" },
  clock_gettime: { args: ["i32", "ptr"], returns: "i32" },
} as const;

/**
 * This process's CPU-time clock, or `undefined` where libc lacks `clock_getcpuclockid` (macOS).
 * The library handle stays open for the life of the process, as the clock is used until exit.
 */
export function processCpuClock(): Clock | undefined {
  const libc = abi?.libc[0];
  if (libc === undefined) return undefined;
  let symbols;
  try {
    symbols = dlopen(libc, clockSymbols).symbols;
  } catch {
    return undefined;
  }
  const clockId = new Int32Array(new ArrayBuffer(4));
  if (symbols.clock_getcpuclockid(0, clockId) !== 0) return undefined;
  const id = clockId[0]!;
  const timespec = struct("timespec");
  const words = new Uint32Array(new ArrayBuffer(timespec.size));
  const sec = timespec.fields.tv_sec.offset / 4;
  const nsec = timespec.fields.tv_nsec.offset / 4;
  const { clock_gettime } = symbols;
  return {
    name: "cpu",
    now: () => {
      if (clock_gettime(id, words) !== 0) throw new Error("clock_gettime failed");
      // Little-endian 64-bit fields read as 32-bit halves: no BigInt; tv_nsec < 1e9 fits its low half.
      return (words[sec]! + words[sec + 1]! * 2 ** 32) * 1e9 + words[nsec]!;
    },
  };
}
