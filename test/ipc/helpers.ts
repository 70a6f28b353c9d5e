/**
 * Helpers for the IPC tests: driving an in-process EchoServer and clients in turns, catching the
 * library's errors, and starting the tools as processes.
 * @module
 */
import { readdirSync, readlinkSync } from "node:fs";
import { SystemError } from "../../src/core/errors.ts";
import type { EchoServer, IpcClient, IpcEvent } from "../../src/ipc/index.ts";
import { UnixSocket } from "../../src/socket/index.ts";
import { bunCommand, emulated } from "../helpers/env.ts";

export { expectSystemError, thrownBy } from "../helpers/errors.ts";

/** How long a loop may spin, or a process take to start, before the test calls it stuck. */
export const DEADLINE_MS = emulated ? 60_000 : 10_000;

/** Test timeout for tests that start Bun processes (each takes a second or more under qemu). */
export const PROCESS_TEST_MS = emulated ? 240_000 : 30_000;

/** The tools, by name, as script paths. */
export const tools = {
  echo: new URL("../../src/tools/bunix-echo.ts", import.meta.url).pathname,
  ping: new URL("../../src/tools/bunix-ping.ts", import.meta.url).pathname,
};


/** The kinds of `events`. */
export function kinds(events: readonly IpcEvent[]): string[] {
  return events.map((e) => e.kind);
}

/**
 * Runs `server.step(0)` and `work()` in turns until `work` returns true; fails after the deadline.
 * This is how one thread plays both sides.
 */
export function serveUntil(server: EchoServer | null, work: () => boolean, what = "the condition"): void {
  const deadline = performance.now() + DEADLINE_MS;
  for (;;) {
    server?.step(0);
    if (work()) return;
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
  }
}

/**
 * Drives `server` and `client` in turns until the client has returned `count` messages; returns
 * them. Every event is processed, timer events included.
 */
export function clientMessages(server: EchoServer | null, client: IpcClient, count: number): Uint8Array[] {
  const messages: Uint8Array[] = [];
  serveUntil(
    server,
    () => {
      for (const event of client.poll(server === null ? 10 : 1)) {
        const message = client.process(event);
        if (message !== null) messages.push(message);
      }
      return messages.length >= count;
    },
    `${count} messages`,
  );
  return messages;
}

/** `size` pseudo-random bytes that depend on `seed`, so a shifted or swapped message shows. */
export function bytesOf(size: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(size);
  let x = (seed * 0x9e3779b1 + 1) >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    bytes[i] = x & 0xff;
  }
  return bytes;
}

/** Whether `a` and `b` hold the same bytes. */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length));
}

/** Resolves once something accepts connections at `path`; rejects after the deadline or when `child` exits. */
export async function listening(path: string, child?: Bun.Subprocess): Promise<void> {
  const deadline = performance.now() + DEADLINE_MS;
  for (;;) {
    try {
      UnixSocket.connect(path, { nonblocking: true }).close();
      return;
    } catch (error) {
      const code = error instanceof SystemError ? error.code : "";
      if (code !== "ENOENT" && code !== "ECONNREFUSED") throw error;
    }
    if (child !== undefined && child.exitCode !== null) throw new Error(`the server exited with status ${child.exitCode} before listening`);
    if (performance.now() > deadline) throw new Error(`nothing listened on ${path} within ${DEADLINE_MS} ms`);
    await Bun.sleep(10);
  }
}

/** A `bunix-echo` process. */
export interface EchoProcess {
  readonly child: Bun.Subprocess<"ignore", "pipe", "pipe">;
  readonly path: string;
  /** Sends `signal` and resolves with the exit status and what the server wrote to stderr. */
  stop(signal?: NodeJS.Signals): Promise<{ status: number; stderr: string }>;
}

/**
 * Starts `bunix-echo --socket PATH …args` and resolves once it accepts connections. The process is
 * killed if the caller never stops it (see `stop`), so call `stop` in a `finally`.
 */
export async function startEcho(path: string, args: string[] = [], env?: Record<string, string>): Promise<EchoProcess> {
  const child = Bun.spawn(bunCommand(tools.echo, "--socket", path, ...args), {
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, ...env },
  });
  const stderr = new Response(child.stderr).text();
  const stop = async (signal: NodeJS.Signals = "SIGTERM") => {
    if (child.exitCode === null) child.kill(signal);
    const killer = setTimeout(() => child.kill("SIGKILL"), DEADLINE_MS);
    try {
      const status = await child.exited;
      await new Response(child.stdout).text();
      return { status, stderr: await stderr };
    } finally {
      clearTimeout(killer);
    }
  };
  try {
    // `@name` is how the tools spell an abstract name, which the library takes with a leading NUL.
    await listening(path.startsWith("@") ? `\0${path.slice(1)}` : path, child);
  } catch (error) {
    const { stderr: said } = await stop("SIGKILL");
    throw new Error(`${(error as Error).message}; it said: ${said}`);
  }
  return { child, path, stop };
}

/** How a tool process ended. */
export interface ToolRun {
  readonly status: number;
  readonly out: string;
  readonly err: string;
}

/** Runs a tool to its end (killed after the deadline). */
export async function runTool(tool: keyof typeof tools, args: string[], env?: Record<string, string>): Promise<ToolRun> {
  const child = Bun.spawn(bunCommand(tools[tool], ...args), { stdin: "ignore", stdout: "pipe", stderr: "pipe", env: { ...process.env, ...env } });
  const killer = setTimeout(() => child.kill("SIGKILL"), DEADLINE_MS);
  try {
    const [out, err, status] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
    return { status, out, err };
  } finally {
    clearTimeout(killer);
  }
}

/**
 * How many descriptors process `pid` has open (Linux /proc), or -1 where that cannot be read.
 * Descriptors that are copies of its standard input, output or error are left out: Bun duplicates
 * those lazily, the first time the process writes to them.
 */
export function openFdsOf(pid: number): number {
  try {
    const dir = `/proc/${pid}/fd`;
    const targets = new Map(readdirSync(dir).map((fd) => [Number(fd), safeReadlink(`${dir}/${fd}`)]));
    const standard = new Set([0, 1, 2].map((fd) => targets.get(fd)));
    let count = 0;
    for (const [fd, target] of targets) if (fd <= 2 || !standard.has(target)) count++;
    return count;
  } catch {
    return -1;
  }
}

function safeReadlink(link: string): string {
  try {
    return readlinkSync(link);
  } catch {
    return "";
  }
}
