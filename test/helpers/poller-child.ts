/**
 * A child process that waits for a "go" line before it exits, for the Poller's process tests: the
 * test registers the pid while the child surely lives (and cannot have been reaped), then lets it
 * exit. stdin is one end of a socketpair, closed at dispose with the child stopped.
 *
 * @module
 */
import type { Subprocess } from "bun";
import { socketPair } from "./kqueue-fds.ts";

/** A gated child and the means to release it. */
export interface GatedChild extends AsyncDisposable {
  readonly child: Subprocess<number, "ignore", "ignore">;
  /** Lets the child exit (with the status it was started for). */
  go(): void;
}

/** Starts `sh -c 'read line; exit <status>'`. */
export function gatedChild(status = 0): GatedChild {
  const gate = socketPair();
  const child = Bun.spawn(["sh", "-c", `read line; exit ${status}`], { stdin: gate.fds[1], stdout: "ignore", stderr: "ignore" });
  return {
    child,
    go() {
      gate.write(0, "go\n");
    },
    async [Symbol.asyncDispose]() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await child.exited;
      gate[Symbol.dispose]();
    },
  };
}
