// bunix-echo and bunix-ping as processes: help, usage errors, pings, the client bound, signals,
// a socket already in use or left stale, and logging.
import { describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { SystemError } from "../../src/core/errors.ts";
import { platform } from "../../src/core/platform.ts";
import { IpcClient } from "../../src/ipc/index.ts";
import { bunCommand } from "../helpers/env.ts";
import { socketDir } from "../helpers/socket-paths.ts";
import { DEADLINE_MS, PROCESS_TEST_MS, clientMessages, listening, runTool, startEcho, tools } from "./helpers.ts";

const path = socketDir("bunix-ipc-tools-");
const REPLY = /^reply (\d+) from (\S+): 24 bytes time=\d+\.\d{3} ms$/;

describe("bunix-echo and bunix-ping: --help and usage errors", () => {
  test("--help prints the usage and exits 0", async () => {
    const echo = await runTool("echo", ["--help"]);
    expect(echo).toMatchObject({ status: 0, err: "" });
    expect(echo.out).toStartWith("Usage: bunix-echo [options]");
    expect(echo.out).toContain("--max-clients N");
    const ping = await runTool("ping", ["-h"]);
    expect(ping).toMatchObject({ status: 0, err: "" });
    expect(ping.out).toStartWith("Usage: bunix-ping [options]");
    expect(ping.out).toContain("--interval MS");
  }, PROCESS_TEST_MS);

  test("usage errors exit 2 with a message and a pointer to --help", async () => {
    const cases: ["echo" | "ping", string[], Record<string, string> | undefined, string][] = [
      ["echo", ["--max-clients", "0"], undefined, "--max-clients takes an integer"],
      ["echo", ["--bogus"], undefined, "Unknown option"],
      ["echo", ["extra"], undefined, "positional"],
      ["echo", [], { BUNIX_LOG: "loud" }, "BUNIX_LOG takes"],
      ["ping", ["--count", "x"], undefined, "--count takes an integer"],
      ["ping", ["--interval", "0"], undefined, "--interval takes an integer"],
      ["ping", ["--socket", "@"], undefined, "--socket @name needs a name"],
      ["echo", ["--socket", "@"], undefined, "--socket @name needs a name"],
    ];
    for (const [tool, args, env, message] of cases) {
      const run = await runTool(tool, ["--socket", path("usage.sock"), ...args], env);
      expect({ tool, args, status: run.status }).toEqual({ tool, args, status: 2 });
      expect(run.err).toContain(message);
      expect(run.err).toContain(`Try 'bunix-${tool} --help'`);
    }
    expect(existsSync(path("usage.sock"))).toBe(false);
  }, PROCESS_TEST_MS);

  test("bunix-ping without a server exits 3 with connect(2)'s error", async () => {
    const run = await runTool("ping", ["--socket", path("nobody.sock"), "--count", "1"]);
    expect(run.status).toBe(3);
    expect(run.err).toContain("ENOENT");
  }, PROCESS_TEST_MS);
});

describe("bunix-echo serving bunix-ping", () => {
  test("bunix-ping prints each reply with its round-trip time, and exits 0 after --count replies", async () => {
    const server = await startEcho(path("ping.sock"));
    try {
      const run = await runTool("ping", ["--socket", path("ping.sock"), "--interval", "50", "--count", "3"]);
      expect(run).toMatchObject({ status: 0, err: "" });
      const lines = run.out.trimEnd().split("\n");
      expect(lines).toHaveLength(4);
      lines.slice(0, 3).forEach((line, i) => {
        const match = REPLY.exec(line);
        expect(match).not.toBeNull();
        expect(match![1]).toBe(String(i + 1));
        expect(match![2]).toBe(path("ping.sock"));
      });
      expect(lines[3]).toMatch(/^--- \S+: 3 sent, 3 received, time min\/avg\/max = [\d.]+\/[\d.]+\/[\d.]+ ms$/);
    } finally {
      expect(await server.stop()).toMatchObject({ status: 0, stderr: "" });
    }
  }, PROCESS_TEST_MS);

  for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"] as const) {
    test(`${signal} stops the server: exit status 0, socket file removed, clients see the end`, async () => {
      const server = await startEcho(path(`${signal}.sock`));
      using client = IpcClient.connect(path(`${signal}.sock`), { pingIntervalMs: 0 });
      client.ping();
      clientMessages(null, client, 1);
      expect(await server.stop(signal)).toEqual({ status: 0, stderr: "" });
      expect(existsSync(path(`${signal}.sock`))).toBe(false);
      const events = client.poll(5000).map((e) => e.kind);
      expect(events).toContain("readable");
      client.process({ kind: "readable" });
      expect(client.poll(0).map((e) => e.kind)).toEqual(["hangup"]);
    }, PROCESS_TEST_MS);
  }

  test("--max-clients: the client beyond is refused (ECONNREFUSED from IpcClient; bunix-ping exits 3 saying so)", async () => {
    const server = await startEcho(path("bound.sock"), ["--max-clients", "1", "--verbose"]);
    try {
      using served = await servedClient(path("bound.sock"));
      using refused = IpcClient.connect(path("bound.sock"), { pingIntervalMs: 0 });
      let error: unknown;
      try {
        for (let i = 0; i < 10 && error === undefined; i++) for (const event of refused.poll(5000)) refused.process(event);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(SystemError);
      expect((error as SystemError).code).toBe("ECONNREFUSED");
      const ping = await runTool("ping", ["--socket", path("bound.sock"), "--count", "1"]);
      expect(ping.status).toBe(3);
      expect(ping.err).toBe("bunix-ping: server refused the connection (too many clients?)\n");
      const sequence = served.ping();
      expect(served.pingReply(clientMessages(null, served, 1)[0]!)!.sequence).toBe(sequence);
    } finally {
      const { status, stderr } = await server.stop();
      expect(status).toBe(0);
      expect(stderr).toContain("bunix-echo warn: refused a client: 1 clients are being served");
    }
  }, PROCESS_TEST_MS);

  test("bunix-ping exits 1 when the server goes away", async () => {
    const server = await startEcho(path("gone.sock"));
    const ping = Bun.spawn(bunCommand(tools.ping, "--socket", path("gone.sock"), "--interval", "50"), { stdout: "pipe", stderr: "pipe" });
    const err = new Response(ping.stderr).text();
    const out = ping.stdout.getReader();
    let text = "";
    try {
      // After a reply, so that the end is a hang-up and not a refusal.
      text = await readUntil(out, "reply 1 ");
    } finally {
      expect((await server.stop()).status).toBe(0);
    }
    expect(await ping.exited).toBe(1);
    text += await readToEnd(out);
    expect(await err).toBe(`bunix-ping: the server at ${path("gone.sock")} went away\n`);
    expect(text).toMatch(/^reply 1 from/);
    expect(text).toMatch(/\n--- \S+: \d+ sent, \d+ received/);
  }, PROCESS_TEST_MS);

  test("a second server on the same path exits 3 with EADDRINUSE; the first goes on", async () => {
    const server = await startEcho(path("busy.sock"));
    try {
      const second = await runTool("echo", ["--socket", path("busy.sock")]);
      expect(second.status).toBe(3);
      expect(second.err).toContain("EADDRINUSE");
      expect(second.err).toContain("another bunix-echo is starting or running");
      using client = IpcClient.connect(path("busy.sock"), { pingIntervalMs: 0 });
      client.ping();
      expect(clientMessages(null, client, 1)).toHaveLength(1);
    } finally {
      expect((await server.stop()).status).toBe(0);
    }
  }, PROCESS_TEST_MS);

  test("a socket file left by a killed server is replaced", async () => {
    const first = await startEcho(path("stale.sock"));
    await first.stop("SIGKILL");
    expect(existsSync(path("stale.sock"))).toBe(true);
    const second = await startEcho(path("stale.sock"), [], { BUNIX_LOG: "info" });
    await listening(path("stale.sock"), second.child);
    const { status, stderr } = await second.stop();
    expect(status).toBe(0);
    expect(stderr).toContain("removing the stale socket file");
    expect(existsSync(path("stale.sock"))).toBe(false);
  }, PROCESS_TEST_MS);

  test("bunix-ping --json prints one JSON object per reply and a summary", async () => {
    const server = await startEcho(path("json.sock"));
    try {
      const run = await runTool("ping", ["--socket", path("json.sock"), "--interval", "20", "--count", "2", "--json"]);
      expect(run).toMatchObject({ status: 0, err: "" });
      const objects = run.out.trimEnd().split("\n").map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(objects).toHaveLength(3);
      objects.slice(0, 2).forEach((reply, i) => {
        expect(reply).toEqual({ type: "reply", socket: path("json.sock"), sequence: i + 1, bytes: 24, timeMs: expect.any(Number) });
        expect(reply.timeMs as number).toBeGreaterThanOrEqual(0);
      });
      expect(objects[2]).toEqual({
        type: "summary",
        socket: path("json.sock"),
        sent: 2,
        received: 2,
        bogus: 0,
        minMs: expect.any(Number),
        avgMs: expect.any(Number),
        maxMs: expect.any(Number),
      });
      const { minMs, avgMs, maxMs } = objects[2] as { minMs: number; avgMs: number; maxMs: number };
      expect(minMs <= avgMs && avgMs <= maxMs).toBe(true);
    } finally {
      expect((await server.stop()).status).toBe(0);
    }
  }, PROCESS_TEST_MS);

  test.if(platform.supports.abstractSockets)("--socket @name: bunix-echo listens on an abstract socket, with no file, and bunix-ping reaches it", async () => {
    const name = `bunix-tools-${process.pid}-${Date.now()}`;
    const server = await startEcho(`@${name}`, ["--verbose"]);
    try {
      expect(existsSync(name)).toBe(false);
      expect(existsSync(`@${name}`)).toBe(false);
      using client = IpcClient.connect(`\0${name}`, { pingIntervalMs: 0 });
      client.ping();
      expect(clientMessages(null, client, 1)).toHaveLength(1);
      const run = await runTool("ping", ["--socket", `@${name}`, "--interval", "20", "--count", "1"]);
      expect(run).toMatchObject({ status: 0, err: "" });
      expect(run.out).toStartWith(`reply 1 from @${name}: 24 bytes`);
    } finally {
      const { status, stderr } = await server.stop();
      expect(status).toBe(0);
      expect(stderr).toContain(`echo server listening on @${name}`);
    }
  }, PROCESS_TEST_MS);

  test("--verbose logs clients coming and going to standard error; silent without it", async () => {
    const server = await startEcho(path("verbose.sock"), ["--verbose"]);
    const ping = await runTool("ping", ["--socket", path("verbose.sock"), "--interval", "20", "--count", "2"]);
    expect(ping.status).toBe(0);
    const { status, stderr } = await server.stop();
    expect(status).toBe(0);
    for (const expected of ["info: echo server listening on", "client 2 connected", "disconnected after 2 messages", "SIGTERM: stopping", "stopped"]) {
      expect(stderr).toContain(expected);
    }
    expect(stderr).not.toContain("bunix: ");
  }, PROCESS_TEST_MS);
});

const decoder = new TextDecoder();

/** What readUntil and readToEnd need of a stream reader. */
interface ChunkReader {
  read(): Promise<{ done: boolean; value?: Uint8Array }>;
}

/** Reads until the text read contains `marker` (or the deadline passes); returns that text. */
async function readUntil(reader: ChunkReader, marker: string): Promise<string> {
  let text = "";
  const deadline = performance.now() + DEADLINE_MS;
  while (!text.includes(marker)) {
    if (performance.now() > deadline) throw new Error(`no '${marker}' in the output: ${text}`);
    const { done, value } = await reader.read();
    if (done) throw new Error(`the output ended without '${marker}': ${text}`);
    text += decoder.decode(value, { stream: true });
  }
  return text;
}

/** The rest of the text, to the end of the stream. */
async function readToEnd(reader: ChunkReader): Promise<string> {
  let text = "";
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return text;
    text += decoder.decode(value, { stream: true });
  }
}

/**
 * A client the server has answered. startEcho's readiness probe holds the only place of a
 * `--max-clients 1` server until the server has seen it leave, so a refusal is retried.
 */
async function servedClient(at: string): Promise<IpcClient> {
  const deadline = performance.now() + DEADLINE_MS;
  for (;;) {
    const client = IpcClient.connect(at, { pingIntervalMs: 0 });
    try {
      client.ping();
      clientMessages(null, client, 1);
      return client;
    } catch (error) {
      client.close();
      if (!(error instanceof SystemError && error.code === "ECONNREFUSED") || performance.now() > deadline) throw error;
      await Bun.sleep(10);
    }
  }
}
