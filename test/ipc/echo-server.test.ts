// EchoServer in this thread, driven by step(), with raw framed clients: echoes, backpressure,
// isolation of bad clients, the client bound, stopping, and logging through the facade.
import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, writeFileSync } from "node:fs";
import { FramedConnection } from "../../src/framed/index.ts";
import { EchoServer } from "../../src/ipc/index.ts";
import { setLogger } from "../../src/core/log.ts";
import { UnixSocket } from "../../src/socket/index.ts";
import { socketDir } from "../helpers/socket-paths.ts";
import { bytesOf, expectSystemError, sameBytes, serveUntil, thrownBy } from "./helpers.ts";

const path = socketDir("bunix-ipc-server-");

afterEach(() => setLogger(null));

/** A raw framed client (nonblocking) of the server at `at`. */
function connect(at: string): FramedConnection {
  return new FramedConnection(UnixSocket.connect(at));
}

/** Flushes `client` and takes what it received, in turns with the server, until `count` messages came. */
function echoes(server: EchoServer, client: FramedConnection, count: number): Uint8Array[] {
  const received: Uint8Array[] = [];
  serveUntil(
    server,
    () => {
      client.flush();
      for (let m = client.receive(); m !== null; m = client.receive()) received.push(m);
      return received.length >= count;
    },
    `${count} echoes`,
  );
  return received;
}

/** Log lines at each level while `fn` runs. */
function captureLogs(): { lines: { level: string; message: string }[] } {
  const lines: { level: string; message: string }[] = [];
  const at = (level: string) => (...args: unknown[]) => lines.push({ level, message: String(args.at(-1)) });
  setLogger({ debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") });
  return { lines };
}

describe("EchoServer", () => {
  test("echoes every frame of several clients back to its sender, byte-exact and in order", () => {
    using server = EchoServer.listen(path("echo.sock"));
    expect(server.path).toBe(path("echo.sock"));
    const clients = [0, 1, 2].map(() => connect(path("echo.sock")));
    try {
      const sent = clients.map((client, c) => {
        const messages = [0, 1, 100, 4096, 70_000, 300_000].map((size, i) => bytesOf(size, c * 100 + i));
        for (const m of messages) client.send(m);
        return messages;
      });
      clients.forEach((client, c) => {
        const received = echoes(server, client, sent[c]!.length);
        received.forEach((m, i) => expect(sameBytes(m, sent[c]![i]!)).toBe(true));
      });
      expect(server.clients).toBe(3);
      expect(server.stats).toMatchObject({ accepted: 3, refused: 0, dropped: 0, messages: 18, buffered: 0 });
    } finally {
      for (const client of clients) client.close();
    }
    serveUntil(server, () => server.clients === 0, "the clients to be gone");
    expect(server.stats.dropped).toBe(0);
  });

  test("backpressure: a client that does not read stops being read at the bound, and gets everything once it reads", () => {
    const logs = captureLogs();
    const highWaterMark = 64 * 1024;
    using server = EchoServer.listen(path("pressure.sock"), { highWaterMark });
    using client = connect(path("pressure.sock"));
    const messages = Array.from({ length: 400 }, (_, i) => bytesOf(16 * 1024, i));
    for (const m of messages) client.send(m);
    // Only the client's writes and the server's turns: the client never reads.
    let last = -1;
    let still = 0;
    serveUntil(
      server,
      () => {
        client.flush();
        const now = server.stats.messages;
        still = now === last ? still + 1 : 0;
        last = now;
        return still >= 200;
      },
      "the server to stop reading",
    );
    // Stopped well short of everything: the echoes held are bounded by the mark plus what the two
    // sockets' kernel buffers take, not by what the client sends.
    // (Here 19 of the 400 were echoed: 304 KiB, the mark plus about 240 KiB in the kernel.)
    const KERNEL_ALLOWANCE = 2 * 1024 * 1024;
    expect(server.stats.messages * 16 * 1024).toBeLessThanOrEqual(highWaterMark + 16 * 1024 + KERNEL_ALLOWANCE);
    expect(logs.lines.some((l) => l.level === "debug" && l.message.includes("reading paused"))).toBe(true);
    expect(client.pendingBytes).toBeGreaterThan(0);
    const received = echoes(server, client, messages.length);
    received.forEach((m, i) => {
      if (!sameBytes(m, messages[i]!)) throw new Error(`echo ${i} differs`);
    });
    expect(server.stats).toMatchObject({ messages: 400, dropped: 0 });
    expect(logs.lines.some((l) => l.level === "debug" && l.message.includes("reading resumed"))).toBe(true);
  });

  test("a client that closes mid-frame or announces a garbage length is dropped alone; the others go on", () => {
    const logs = captureLogs();
    using server = EchoServer.listen(path("drop.sock"), { maxMessageSize: 1024 * 1024 });
    using good = connect(path("drop.sock"));
    good.send("before");
    expect(new TextDecoder().decode(echoes(server, good, 1)[0]!)).toBe("before");

    const cut = UnixSocket.connect(path("drop.sock"));
    cut.send(new Uint8Array([0, 0, 0, 100, 1, 2, 3])); // 3 of 100 bytes, then gone
    cut.close();
    using garbage = UnixSocket.connect(path("drop.sock"));
    garbage.send(new Uint8Array([0xff, 0xff, 0xff, 0xff, 9, 9]));
    serveUntil(server, () => server.stats.dropped === 2, "two drops");

    // The one that sent garbage sees its connection end.
    garbage.setNonblocking(true);
    serveUntil(server, () => {
      try {
        return garbage.recv(16)?.bytes === 0;
      } catch {
        return true; // ECONNRESET: the server closed with its bytes unread
      }
    }, "the garbage client to be closed");
    good.send("after");
    expect(new TextDecoder().decode(echoes(server, good, 1)[0]!)).toBe("after");
    expect(server.clients).toBe(1);
    const warnings = logs.lines.filter((l) => l.level === "warn").map((l) => l.message);
    expect(warnings.some((m) => m.includes("EPROTO"))).toBe(true);
    expect(warnings.some((m) => m.includes("EMSGSIZE"))).toBe(true);
  });

  test("beyond maxClients a connection is accepted and closed at once; a freed place is given again", () => {
    const logs = captureLogs();
    using server = EchoServer.listen(path("bound.sock"), { maxClients: 2 });
    expect(server.maxClients).toBe(2);
    const a = connect(path("bound.sock"));
    using b = connect(path("bound.sock"));
    using refused = UnixSocket.connect(path("bound.sock"), { nonblocking: true });
    serveUntil(server, () => server.stats.refused === 1, "the refusal");
    expect(server.clients).toBe(2);
    expect(refused.recv(16)!.bytes).toBe(0); // end of stream at once
    expect(logs.lines.some((l) => l.level === "warn" && l.message.includes("refused a client"))).toBe(true);
    a.close();
    serveUntil(server, () => server.clients === 1, "a place to free up");
    using c = connect(path("bound.sock"));
    c.send("in");
    expect(new TextDecoder().decode(echoes(server, c, 1)[0]!)).toBe("in");
    expect(server.stats).toMatchObject({ accepted: 3, refused: 1 });
  });

  test("a client that half-closes after sending still gets its echoes, then is closed", () => {
    using server = EchoServer.listen(path("half.sock"));
    using client = connect(path("half.sock"));
    const big = bytesOf(1 << 20, 7);
    client.send(big);
    serveUntil(server, () => client.flush(), "the message to be written");
    client.socket.shutdown("write");
    const received = echoes(server, client, 1);
    expect(sameBytes(received[0]!, big)).toBe(true);
    serveUntil(server, () => server.clients === 0, "the server to close it");
    expect(server.stats.dropped).toBe(0);
  });

  test("stop closes every client and removes the socket file; it is idempotent, and step afterwards is EBADF", () => {
    const logs = captureLogs();
    const server = EchoServer.listen(path("stop.sock"));
    using client = UnixSocket.connect(path("stop.sock"), { nonblocking: true });
    serveUntil(server, () => server.clients === 1, "the client");
    expect(existsSync(path("stop.sock"))).toBe(true);
    expect(server.fd).toBeGreaterThanOrEqual(0);
    server.stop();
    server.stop();
    expect(server.closed).toBe(true);
    expect(server.fd).toBe(-1);
    expect(existsSync(path("stop.sock"))).toBe(false);
    expect(client.recv(16)!.bytes).toBe(0);
    expectSystemError(() => server.step(0), "EBADF", "EchoServer.step");
    const infos = logs.lines.filter((l) => l.level === "info").map((l) => l.message);
    expect(infos.some((m) => m.includes("listening on"))).toBe(true);
    expect(infos.some((m) => m.includes("stopped"))).toBe(true);
  });

  test("listen never removes what is at the path (EADDRINUSE); bad options are TypeError or RangeError", () => {
    writeFileSync(path("taken"), "not a socket");
    expectSystemError(() => EchoServer.listen(path("taken")), "EADDRINUSE", "bind");
    expect(existsSync(path("taken"))).toBe(true);
    for (const options of [{ maxClients: 0 }, { maxClients: 1.5 }, { highWaterMark: 0 }, { maxMessageSize: -1 }]) {
      expect(thrownBy(() => EchoServer.listen(path("bad.sock"), options))).toBeInstanceOf(RangeError);
    }
    expect(thrownBy(() => EchoServer.listen(path("bad.sock"), { maxClients: "2" as unknown as number }))).toBeInstanceOf(TypeError);
    expect(existsSync(path("bad.sock"))).toBe(false);
    using server = EchoServer.listen(path("ok.sock"));
    expect(thrownBy(() => server.step("0" as unknown as number))).toBeInstanceOf(TypeError);
  });
});
