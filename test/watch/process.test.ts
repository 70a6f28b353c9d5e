import { describe, expect, test } from "bun:test";
import { fileURLToPath } from "node:url";
import type { WatchStart } from "../../src/async/index.ts";
import { epollTransports } from "../helpers/async-env.ts";
import { bunCommand } from "../helpers/env.ts";
import { PROCESS_WAIT_MS } from "../helpers/socket-wait.ts";

const child = fileURLToPath(new URL("./fixtures/watch-child.ts", import.meta.url));

/**
 * Runs the child in `mode`, the async engine's table starting at `row` if given; fails the test if
 * it has not exited within PROCESS_WAIT_MS.
 */
async function run(mode: string, row?: WatchStart): Promise<{ code: number; stdout: string; stderr: string }> {
  const args = row === undefined ? [child, mode] : [child, mode, row];
  const proc = Bun.spawn(bunCommand(...args), { stdout: "pipe", stderr: "pipe", timeout: PROCESS_WAIT_MS });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  expect(proc.signalCode).toBeNull();
  return { code, stdout, stderr };
}

// Every row of the table the shared Poller's wait can take: each must honour unref.
describe.each(epollTransports.map((transport) => [transport.name, transport.start] as const))("keeping the process alive [%s]", (_name, row) => {
  test("an open unref'd watch lets the process exit", async () => {
    const { code, stdout, stderr } = await run("unref-idle", row);
    expect({ code, stderr }).toEqual({ code: 0, stderr: "" });
    expect(JSON.parse(stdout)).toEqual({ exitedWithWatchOpen: true });
  });

  test("an open watch keeps the process alive until it is closed", async () => {
    const { code, stdout } = await run("ref-idle", row);
    expect(code).toBe(0);
    // The closing timer is unref'd: it ran only because the open watch kept the process alive.
    expect(JSON.parse(stdout)).toHaveProperty("aliveAfterMs");
  });

  test("closing the last ref'd watch lets the process exit with an unref'd one open", async () => {
    const { code, stdout, stderr } = await run("ref-closed", row);
    expect({ code, stderr }).toEqual({ code: 0, stderr: "" });
    // The ref'd watch kept the process alive until the unref'd timer closed it.
    expect(JSON.parse(stdout)).toEqual({ refClosed: true, exitedWithUnrefOpen: true });
  });

  test("an unref'd watch is still called back while something else keeps the process alive", async () => {
    const { code, stdout } = await run("unref-served", row);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual({ received: 8 });
  });
});

test("a throwing callback surfaces as an uncaught exception each time, and the other watches go on", async () => {
  const { code, stdout } = await run("throws");
  expect(code).toBe(0);
  expect(JSON.parse(stdout)).toEqual({ errors: ["boom 1", "boom 2", "boom 3"], others: 5 });
});

test("without an uncaughtException handler, a throwing callback ends the process as any uncaught exception does", async () => {
  const { code, stderr } = await run("throws-unhandled");
  expect(code).not.toBe(0);
  expect(stderr).toContain("boom without a handler");
});
