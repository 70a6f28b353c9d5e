/**
 * CPU time of a process's JavaScriptCore JIT compiler threads, from Linux /proc: how much of a
 * Bun process's CPU went into compiling rather than running. Benches print it beside their CPU
 * figures, because at a few thousand events a Bun process is still tiering its hot JS up, and that
 * work lands in the process's CPU time (and, when the process is pinned to one CPU, between its
 * events).
 *
 * @module
 */
import { readFileSync, readdirSync } from "node:fs";

/**
 * CPU time, in ns, of the threads of `pid` whose name starts with `JIT` (JavaScriptCore names its
 * compiler threads `JITWorker`), from each thread's schedstat. 0 for a process without any, and
 * where /proc is missing.
 */
export function jitThreadsNs(pid: number): number {
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return 0;
  }
  let total = 0;
  for (const task of tasks) {
    try {
      if (!readFileSync(`/proc/${pid}/task/${task}/comm`, "utf8").startsWith("JIT")) continue;
      total += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, "utf8").split(" ")[0]);
    } catch {
      // A thread that ended meanwhile.
    }
  }
  return total;
}
