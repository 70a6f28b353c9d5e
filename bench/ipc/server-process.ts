/**
 * Echo servers as child processes, for the IPC benches: started, waited for until they accept
 * connections, and stopped.
 *
 * @module
 */
import { SystemError } from "../../src/core/errors.ts";
import { UnixSocket } from "../../src/socket/index.ts";

/**
 * Spawns `command` and resolves once something accepts connections at `path`.
 * @throws Error naming `bench` when it exits first or does not listen within 20 s.
 */
export async function startServerProcess(bench: string, command: string[], path: string): Promise<Bun.Subprocess> {
  const child = Bun.spawn(command, { stdin: "ignore", stdout: "ignore", stderr: "inherit" });
  const deadline = performance.now() + 20_000;
  for (;;) {
    try {
      UnixSocket.connect(path, { nonblocking: true }).close();
      return child;
    } catch (error) {
      if (!(error instanceof SystemError) || (error.code !== "ENOENT" && error.code !== "ECONNREFUSED")) throw error;
    }
    if (child.exitCode !== null || performance.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`${bench}: ${command.join(" ")} did not start listening`);
    }
    await Bun.sleep(10);
  }
}

/** SIGTERM, then waits for the exit. */
export async function stopServerProcess(child: Bun.Subprocess | undefined): Promise<void> {
  if (child === undefined) return;
  child.kill("SIGTERM");
  await child.exited;
}
