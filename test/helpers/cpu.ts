/**
 * CPU time against wall time, for the tests that a wait sleeps instead of spinning: the process's
 * CPU time (every thread's, libkqueue's included) while the measured code runs.
 *
 * @module
 */

/** What the measured code cost: process CPU time and wall time, both in ms. */
export interface CpuCost {
  readonly used: number;
  readonly wall: number;
}

/** Runs `run` and measures it. */
export function cpuDuring(run: () => void): CpuCost {
  const meter = startMeter();
  run();
  return meter();
}

/** Awaits `run` and measures it (the event loop's own work included). */
export async function cpuDuringAsync(run: () => Promise<unknown>): Promise<CpuCost> {
  const meter = startMeter();
  await run();
  return meter();
}

function startMeter(): () => CpuCost {
  const start = process.cpuUsage();
  const startedAt = performance.now();
  return () => {
    const wall = performance.now() - startedAt;
    const { user, system } = process.cpuUsage(start);
    return { used: (user + system) / 1000, wall };
  };
}
