/**
 * Pins the benchmark to one CPU by re-executing the runner under `taskset`.
 *
 * On a small VM an unpinned ping-pong swings by more than 10× between runs: the scheduler moves
 * the two halves of a round trip between CPUs. Pinning the Bun process pins all of its threads,
 * and the C reference programs it spawns inherit the affinity, so Bun and C run on the same CPU.
 *
 * @module
 */
import { availableParallelism, cpus } from "node:os";

/** Set in the child's environment so that the re-executed runner does not pin itself again. */
const PINNED_ENV = "BUNIX_BENCH_PINNED";

/** The CPU the benchmarks run on: CPU 1 leaves CPU 0, where most interrupts land, to the rest of the system. */
export const BENCH_CPU = 1;

/** Whether this process runs pinned by {@link ensurePinned}. */
export function isPinned(): boolean {
  return process.env[PINNED_ENV] !== undefined;
}

/**
 * Re-runs this process under `taskset -c BENCH_CPU` unless it already runs pinned, pinning is
 * impossible (no `taskset`, one CPU) or the user asked not to (`noPin`). Exits with the child's
 * status after a re-run; otherwise returns a line for the report saying how the process runs.
 */
export function ensurePinned(noPin: boolean): string {
  const pinnedTo = process.env[PINNED_ENV];
  if (pinnedTo !== undefined) return `pinned to CPU ${pinnedTo} with taskset (Bun and the C programs)`;
  if (noPin) return "not pinned (--no-pin)";
  if (availableParallelism() <= BENCH_CPU) return "not pinned: this machine has one CPU";
  const taskset = Bun.which("taskset");
  if (taskset === null) return "not pinned: taskset not found (ping-pong figures will be noisy)";
  const child = Bun.spawnSync([taskset, "-c", String(BENCH_CPU), process.execPath, ...process.argv.slice(1)], {
    env: { ...process.env, [PINNED_ENV]: String(BENCH_CPU) },
    stdio: ["inherit", "inherit", "inherit"],
  });
  process.exit(child.exitCode ?? 1);
}

/**
 * Runs `argv` (a Bun script and its arguments) with every CPU of the machine allowed, from a pinned
 * runner: for figures that are about threads waking on other CPUs, which pinning would remove.
 * Returns the child's stdout; throws when it fails.
 */
export function runUnpinned(argv: readonly string[]): string {
  const taskset = Bun.which("taskset");
  if (taskset === null) throw new Error("runUnpinned: taskset not found");
  const env: Record<string, string | undefined> = { ...process.env };
  delete env[PINNED_ENV];
  // Every online CPU (availableParallelism() counts only those this pinned process may use).
  const all = `0-${cpus().length - 1}`;
  const child = Bun.spawnSync([taskset, "-c", all, process.execPath, ...argv], { env, stderr: "inherit" });
  if (child.exitCode !== 0) throw new Error(`${argv.join(" ")} exited ${child.exitCode}`);
  return child.stdout.toString();
}
