// The async ways to run the IPC classes, both in this thread: EchoServer.start() (a batches() loop)
// and IpcClient.pollAsync().
import { describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import type { SystemError } from "../../src/core/errors.ts";
import { EchoServer, IpcClient } from "../../src/ipc/index.ts";
import { socketDir } from "../helpers/socket-paths.ts";
import { DEADLINE_MS, expectSystemError, kinds } from "./helpers.ts";

const path = socketDir("bunix-ipc-async-");

/** Pings through pollAsync until `count` replies came; returns their sequence numbers. */
async function pingAsync(client: IpcClient, count: number): Promise<number[]> {
  const sequences: number[] = [];
  const deadline = performance.now() + DEADLINE_MS;
  while (sequences.length < count) {
    if (performance.now() > deadline) throw new Error(`${sequences.length} of ${count} replies`);
    for (const event of await client.pollAsync(1000)) {
      if (event.kind === "hangup") throw new Error("the server went away");
      const message = client.process(event);
      const reply = message && client.pingReply(message);
      if (reply) sequences.push(reply.sequence);
    }
  }
  return sequences;
}

describe("EchoServer.start and IpcClient.pollAsync", () => {
  test("server and client both waiting asynchronously in one thread; stop() ends start() and removes the socket", async () => {
    const server = EchoServer.listen(path("both.sock"));
    const serving = server.start();
    expect(server.running).toBe(true);
    using client = IpcClient.connect(path("both.sock"), { pingIntervalMs: 10 });
    expect(await pingAsync(client, 3)).toEqual([1, 2, 3]);
    expectSystemError(() => server.step(0), "EBUSY", "EchoServer.step");
    expect(((await server.start().catch((e: unknown) => e)) as SystemError).code).toBe("EBUSY");
    server.stop();
    await serving;
    expect(server.running).toBe(false);
    expect(existsSync(path("both.sock"))).toBe(false);
    expect(((await server.start().catch((e: unknown) => e)) as SystemError).code).toBe("EBADF");
  });

  test("start() drops an idle client by its timer, with no traffic to wake the loop", async () => {
    const server = EchoServer.listen(path("idle.sock"), { idleTimeoutMs: 50 });
    const serving = server.start();
    try {
      using idle = IpcClient.connect(path("idle.sock"), { pingIntervalMs: 0 });
      const deadline = performance.now() + DEADLINE_MS;
      while (server.stats.accepted === 0 && performance.now() < deadline) await Bun.sleep(5);
      expect(server.clients).toBe(1);
      // The client never sends: only the server's timer can end its wait for it.
      while (server.clients > 0 && performance.now() < deadline) await Bun.sleep(10);
      expect(server.stats).toMatchObject({ accepted: 1, dropped: 1 });
      expect(kinds(await idle.pollAsync(1000))).toEqual(["readable"]);
    } finally {
      server.stop();
      await serving;
    }
  });

  test("aborting start()'s signal stops the server", async () => {
    const server = EchoServer.listen(path("abort.sock"));
    const controller = new AbortController();
    const serving = server.start({ signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    await serving;
    expect(server.closed).toBe(true);
    expect(existsSync(path("abort.sock"))).toBe(false);
  });

  test("pollAsync: an abort rejects with its reason and loses nothing; close rejects with EBADF", async () => {
    using server = EchoServer.listen(path("poll.sock"));
    const serving = server.start();
    const client = IpcClient.connect(path("poll.sock"), { pingIntervalMs: 0 });
    const controller = new AbortController();
    const pending = client.pollAsync(-1, { signal: controller.signal }).catch((e: unknown) => e);
    client.ping();
    controller.abort("changed my mind");
    expect(await pending).toBe("changed my mind");
    expect(await pingAsync(client, 1)).toEqual([1]);
    expect(client.receive()).toBeNull(); // else pollAsync resolves at once, in case more had come
    const closing = client.pollAsync(-1).catch((e: unknown) => e);
    await Bun.sleep(10);
    client.close();
    expect(((await closing) as SystemError).code).toBe("EBADF");
    server.stop();
    await serving;
  });

  test("pollAsync reports the refusal like poll", async () => {
    using server = EchoServer.listen(path("refuse.sock"), { maxClients: 1 });
    const serving = server.start();
    using first = IpcClient.connect(path("refuse.sock"), { pingIntervalMs: 0 });
    first.ping();
    await pingAsync(first, 1);
    using second = IpcClient.connect(path("refuse.sock"), { pingIntervalMs: 0 });
    const events = await second.pollAsync(DEADLINE_MS);
    expect(kinds(events)).toEqual(["readable"]);
    expectSystemError(() => second.process(events[0]!), "ECONNREFUSED", "IpcClient.process");
    server.stop();
    await serving;
  });

  test("busyWaitMs: serves a client in the same thread all the same (each empty turn ends the busy spell); bad values reject", async () => {
    const server = EchoServer.listen(path("busy.sock"));
    expect(((await server.start({ busyWaitMs: 11 }).catch((e: unknown) => e)) as Error)).toBeInstanceOf(RangeError);
    expect(((await server.start({ busyWaitMs: 0.5 }).catch((e: unknown) => e)) as Error)).toBeInstanceOf(RangeError);
    const serving = server.start({ busyWaitMs: 10 });
    using client = IpcClient.connect(path("busy.sock"), { pingIntervalMs: 5 });
    expect(await pingAsync(client, 5)).toEqual([1, 2, 3, 4, 5]);
    const stopper = setTimeout(() => server.stop(), 0);
    await serving;
    clearTimeout(stopper);
    expect(server.closed).toBe(true);
  });

  test("shutdown(): stops accepting at once (the file goes), lets queued echoes out, then stops", async () => {
    const server = EchoServer.listen(path("graceful.sock"));
    const serving = server.start();
    using client = IpcClient.connect(path("graceful.sock"), { pingIntervalMs: 0 });
    client.ping();
    await pingAsync(client, 1);
    const stopping = server.shutdown(500);
    expect(existsSync(path("graceful.sock"))).toBe(false);
    await stopping;
    await serving;
    expect(server.closed).toBe(true);
    const events = await client.pollAsync(DEADLINE_MS);
    expect(kinds(events)).toContain("readable");
  });
});
