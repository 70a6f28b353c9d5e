// The examples run as users run them, each in a process of its own, and report one JSON line.
import { expect, test } from "bun:test";
import { fileURLToPath } from "node:url";
import { bunCommand } from "../helpers/env.ts";
import { PROCESS_WAIT_MS } from "../helpers/socket-wait.ts";

const example = (name: string) => fileURLToPath(new URL(`../../examples/${name}`, import.meta.url));

/** Runs an example to its end; returns its exit code and its last line of output as JSON. */
async function run(name: string, ...args: string[]): Promise<{ code: number; report: Record<string, unknown>; stderr: string }> {
  const proc = Bun.spawn(bunCommand(example(name), ...args), { stdout: "pipe", stderr: "pipe", timeout: 3 * PROCESS_WAIT_MS });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  const last = stdout.trim().split("\n").at(-1) ?? "";
  let report: Record<string, unknown> = {};
  try {
    report = JSON.parse(last);
  } catch {
    throw new Error(`${name} printed no report (exit ${code}): ${stdout}\n${stderr}`);
  }
  return { code, report, stderr };
}

test("serial-port: every sentence fed into a pty at 1 kHz is read through watchFd, in order", async () => {
  const { code, report, stderr } = await run("serial-port.ts", "--records", "500");
  expect({ code, stderr }).toEqual({ code: 0, stderr: "" });
  expect(report).toMatchObject({ reason: "all records read", records: 500, missing: 0, outOfOrder: 0 });
}, 4 * PROCESS_WAIT_MS);

test("zero-downtime-restart: two handovers of the listener, and no client connecting meanwhile is refused", async () => {
  const { code, report, stderr } = await run("zero-downtime-restart.ts");
  expect({ code, stderr }).toEqual({ code: 0, stderr: "" });
  expect(report).toMatchObject({ refused: 0, failures: [], generations: [1, 2, 3], firstExitCode: 0 });
  expect(report.answered).toBe(report.connections);
  expect(report.connections as number).toBeGreaterThan(0);
}, 4 * PROCESS_WAIT_MS);
