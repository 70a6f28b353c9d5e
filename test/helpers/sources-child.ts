/**
 * Bun child processes for the PidFd tests, with no pipes (the fd-leak guard counts those too).
 * @module
 */
import type { Subprocess } from "bun";
import { bunCommand } from "./env.ts";

/** A Bun child that runs `script` with stdin, stdout and stderr on /dev/null. */
export function spawnBun(script: string): Subprocess<"ignore", "ignore", "ignore"> {
  return Bun.spawn(bunCommand("-e", script), { stdin: "ignore", stdout: "ignore", stderr: "ignore" });
}

/** A Bun child that stays alive (a minute) until it is signalled. */
export function spawnSleeper(): Subprocess<"ignore", "ignore", "ignore"> {
  return spawnBun("setTimeout(() => {}, 60_000)");
}

/** Kills `child` if it still runs and waits until Bun has reaped it. */
export async function stopChild(child: Subprocess): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  await child.exited;
}
