#!/usr/bin/env bun
/**
 * The demo (`bun run demo`): starts `bunix-echo` as a child process, pings it five times with
 * `bunix-ping`, stops it with SIGTERM and checks that it exited 0 and removed its socket file.
 * Exits 0 when all of that held, 1 otherwise.
 *
 * Both are real processes talking over a real socket path: the same commands a user would type.
 *
 * @module
 */
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SystemError } from "../src/core/errors.ts";
import { UnixSocket } from "../src/socket/unix-socket.ts";

const PINGS = 5;
const INTERVAL_MS = 200;
const START_TIMEOUT_MS = 20_000;

const tool = (name: string) => new URL(`../src/tools/${name}.ts`, import.meta.url).pathname;

/** Resolves once something accepts connections at `path`; rejects after `timeoutMs` or when `server` exits. */
async function listening(path: string, server: Bun.Subprocess, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    try {
      UnixSocket.connect(path, { nonblocking: true }).close();
      return;
    } catch (error) {
      const code = error instanceof SystemError ? error.code : "";
      if (code !== "ENOENT" && code !== "ECONNREFUSED") throw error;
    }
    if (server.exitCode !== null) throw new Error(`the server exited with status ${server.exitCode} before listening`);
    if (performance.now() > deadline) throw new Error(`nothing listened on ${path} within ${timeoutMs} ms`);
    await Bun.sleep(20);
  }
}

async function main(): Promise<number> {
  const path = join(tmpdir(), `bunix-demo-${process.pid}.sock`);
  console.log("bunix demo: an echo server and a ping client, two processes, one Unix socket");
  const server = Bun.spawn([process.execPath, tool("bunix-echo"), "--socket", path], { stdout: "inherit", stderr: "pipe" });
  console.log(`  server: bunix-echo --socket ${path}  (pid ${server.pid})`);
  try {
    await listening(path, server, START_TIMEOUT_MS);
    const args = ["--socket", path, "--interval", String(INTERVAL_MS), "--count", String(PINGS)];
    console.log(`  client: bunix-ping ${args.join(" ")}`);
    console.log();
    const client = Bun.spawn([process.execPath, tool("bunix-ping"), ...args], { stdout: "inherit", stderr: "inherit" });
    const pingStatus = await client.exited;
    console.log();
    if (pingStatus !== 0) throw new Error(`bunix-ping exited with status ${pingStatus}`);
  } catch (error) {
    server.kill("SIGKILL");
    await server.exited;
    console.error(`bunix demo: failed: ${(error as Error).message}`);
    const log = await new Response(server.stderr).text();
    if (log !== "") console.error(`server said:\n${log}`);
    return 1;
  }
  server.kill("SIGTERM");
  const status = await server.exited;
  const removed = !existsSync(path);
  console.log(`  server: SIGTERM, exited with status ${status}; socket file ${removed ? "removed" : "LEFT BEHIND"}`);
  const ok = status === 0 && removed;
  console.log(ok ? "bunix demo: done" : "bunix demo: failed");
  return ok ? 0 : 1;
}

process.exitCode = await main();
