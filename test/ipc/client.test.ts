// IpcClient against servers in this thread: an EchoServer driven by step(), or a hand-made one
// (a UnixListener and a FramedConnection) that sends exactly what a test needs.
import { describe, expect, test } from "bun:test";
import { SystemError } from "../../src/core/errors.ts";
import { FramedConnection } from "../../src/framed/index.ts";
import { EchoServer, IpcClient, type IpcEvent } from "../../src/ipc/index.ts";
import { Interest, Poller } from "../../src/poller/index.ts";
import { UnixListener } from "../../src/socket/index.ts";
import { socketDir } from "../helpers/socket-paths.ts";
import { DEADLINE_MS, bytesOf, clientMessages, expectSystemError, kinds, sameBytes, serveUntil, thrownBy } from "./helpers.ts";

const path = socketDir("bunix-ipc-client-");
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

/** A listener and its first accepted connection, framed; both closed with `using`. */
function handMadeServer(at: string): { listener: UnixListener; accept(): FramedConnection } & Disposable {
  const listener = UnixListener.bind(at);
  const accepted: FramedConnection[] = [];
  return {
    listener,
    accept() {
      const connection = new FramedConnection(listener.accept()!);
      accepted.push(connection);
      return connection;
    },
    [Symbol.dispose]() {
      for (const connection of accepted) connection.close();
      listener.close();
    },
  };
}

describe("IpcClient with an EchoServer", () => {
  test("pings on its timer; pingReply gives each echo's sequence number and round-trip time", () => {
    using server = EchoServer.listen(path("ping.sock"));
    using client = IpcClient.connect(path("ping.sock"), { pingIntervalMs: 20 });
    expect(client.path).toBe(path("ping.sock"));
    const replies = clientMessages(server, client, 3);
    expect(replies.map((m) => m.length)).toEqual([24, 24, 24]);
    const decoded = replies.map((m) => client.pingReply(m)!);
    expect(decoded.map((r) => r.sequence)).toEqual([1, 2, 3]);
    for (const reply of decoded) {
      expect(reply.roundTripMs).toBeGreaterThanOrEqual(0);
      expect(reply.roundTripMs).toBeLessThan(DEADLINE_MS);
    }
    expect(client.pingsSent).toBeGreaterThanOrEqual(3);
  });

  test("ping() sends one at once; without a timer (pingIntervalMs 0) nothing else is sent", () => {
    using server = EchoServer.listen(path("manual-ping.sock"));
    using client = IpcClient.connect(path("manual-ping.sock"), { pingIntervalMs: 0 });
    expect(client.ping()).toBe(1);
    expect(client.pingReply(clientMessages(server, client, 1)[0]!)!.sequence).toBe(1);
    server.step(0);
    expect(client.process({ kind: "readable" })).toBeNull();
    const started = performance.now();
    expect(client.poll(50)).toEqual([]);
    expect(performance.now() - started).toBeGreaterThanOrEqual(45);
    expect(client.pingsSent).toBe(1);
  });

  test("send: messages of any size come back byte-exact and in order, writable events finishing big ones", () => {
    using server = EchoServer.listen(path("sizes.sock"));
    using client = IpcClient.connect(path("sizes.sock"), { pingIntervalMs: 0 });
    const sent = [0, 1, 511, 512, 513, 65_536, 1 << 20, 4 << 20].map((size, i) => bytesOf(size, i + 1));
    const seen = new Set<string>();
    for (const message of sent) client.send(message);
    client.send("text too");
    expect(client.pendingBytes).toBeGreaterThan(0); // 5 MiB do not fit the socket at once
    const received: Uint8Array[] = [];
    serveUntil(
      server,
      () => {
        for (const event of client.poll(1)) {
          seen.add(event.kind);
          const message = client.process(event);
          if (message !== null) received.push(message);
        }
        return received.length === sent.length + 1;
      },
      "every echo",
    );
    expect(seen.has("writable")).toBe(true);
    expect(client.pendingBytes).toBe(0);
    sent.forEach((message, i) => expect(sameBytes(received[i]!, message)).toBe(true));
    expect(text(received[sent.length]!)).toBe("text too");
  });

  test("pingReply returns null for other messages, another client's pings, and sequences not sent", () => {
    using server = EchoServer.listen(path("other.sock"));
    using a = IpcClient.connect(path("other.sock"), { pingIntervalMs: 0 });
    using b = IpcClient.connect(path("other.sock"), { pingIntervalMs: 0 });
    a.ping();
    const echo = clientMessages(server, a, 1)[0]!;
    expect(a.pingReply(echo)).not.toBeNull();
    expect(b.pingReply(echo)).toBeNull();
    expect(a.pingReply(new Uint8Array(24))).toBeNull();
    expect(a.pingReply(echo.subarray(1))).toBeNull();
    const future = echo.slice();
    new DataView(future.buffer).setUint32(12, 2); // sequence 2, never sent
    expect(a.pingReply(future)).toBeNull();
    expect(thrownBy(() => a.pingReply("x" as unknown as Uint8Array))).toBeInstanceOf(TypeError);
  });
});

describe("IpcClient: one message per readable event, none lost", () => {
  test("several messages in one read come from successive process calls; poll reports readable without waiting", () => {
    using server = handMadeServer(path("burst.sock"));
    using client = IpcClient.connect(path("burst.sock"), { pingIntervalMs: 0 });
    const peer = server.accept();
    for (let i = 0; i < 5; i++) peer.send(`message ${i}`);
    expect(peer.flush()).toBe(true);
    const received: string[] = [];
    const started = performance.now();
    for (let turn = 0; turn < 10 && received.length < 5; turn++) {
      const events = client.poll(DEADLINE_MS);
      expect(kinds(events)).toEqual(["readable"]);
      const message = client.process(events[0]!);
      if (message !== null) received.push(text(message));
    }
    // Four of those polls found nothing new on the socket: they must not have waited.
    expect(performance.now() - started).toBeLessThan(DEADLINE_MS / 2);
    expect(received).toEqual(["message 0", "message 1", "message 2", "message 3", "message 4"]);
    // The last decoded message taken, nothing is left that the Poller could not see: no extra
    // read that could only meet EAGAIN.
    expect(client.poll(0)).toEqual([]);
    peer.send("later");
    peer.flush();
    expect(kinds(client.poll(DEADLINE_MS))).toEqual(["readable"]);
    expect(text(client.process({ kind: "readable" })!)).toBe("later");
  });

  test("receive() takes what is there without waiting", () => {
    using server = handMadeServer(path("receive.sock"));
    using client = IpcClient.connect(path("receive.sock"), { pingIntervalMs: 0 });
    expect(client.receive()).toBeNull();
    const peer = server.accept();
    peer.send("one");
    peer.send("two");
    peer.flush();
    serveUntil(null, () => client.poll(10).length > 0, "readable");
    expect(text(client.receive()!)).toBe("one");
    expect(text(client.receive()!)).toBe("two");
    expect(client.receive()).toBeNull();
  });

  test("events from an earlier poll are safe to process late", () => {
    using server = EchoServer.listen(path("late.sock"));
    using client = IpcClient.connect(path("late.sock"), { pingIntervalMs: 0 });
    client.send("x");
    clientMessages(server, client, 1);
    expect(client.process({ kind: "readable" })).toBeNull();
    expect(client.process({ kind: "writable" })).toBeNull();
    expect(client.process({ kind: "hangup" })).toBeNull();
  });
});

describe("IpcClient: the end of the conversation", () => {
  test("the server closes: every message first, then hangup at once and for good", () => {
    using server = handMadeServer(path("hangup.sock"));
    using client = IpcClient.connect(path("hangup.sock"), { pingIntervalMs: 10 });
    const peer = server.accept();
    for (const word of ["a", "b", "c"]) peer.send(word);
    peer.flush();
    peer.close();
    const received: string[] = [];
    const seen: string[] = [];
    serveUntil(
      null,
      () => {
        const events = client.poll(10);
        for (const event of events) {
          seen.push(event.kind);
          if (event.kind === "timer") continue; // no pings: the server is not an echo server
          const message = client.process(event);
          if (message !== null) received.push(text(message));
        }
        return seen.includes("hangup");
      },
      "hangup",
    );
    expect(received).toEqual(["a", "b", "c"]);
    expect(client.ended).toBe(true);
    const started = performance.now();
    expect(kinds(client.poll(DEADLINE_MS))).toEqual(["hangup"]);
    expect(kinds(client.poll())).toEqual(["hangup"]);
    expect(performance.now() - started).toBeLessThan(DEADLINE_MS / 2);
    expect(client.process({ kind: "hangup" })).toBeNull();
    expect(client.process({ kind: "timer" })).toBeNull();
    expect(client.receive()).toBeNull();
    expectSystemError(() => client.send("late"), "EPIPE", "IpcClient.send");
    expectSystemError(() => client.ping(), "EPIPE", "IpcClient.ping");
  });

  test("a write to a server that went away is reported by reading: messages first, then hangup", () => {
    using server = handMadeServer(path("epipe.sock"));
    using client = IpcClient.connect(path("epipe.sock"), { pingIntervalMs: 0 });
    const peer = server.accept();
    peer.send("last words");
    peer.flush();
    // Closed with the client's bytes unread, so the client's next write fails (EPIPE or ECONNRESET).
    client.send("unread");
    serveUntil(null, () => peer.receive() !== null, "the server to get a message");
    peer.close();
    // The first write that fails is not thrown (reading reports it); the next send knows.
    let error: unknown;
    for (let i = 0; i < 100 && error === undefined; i++) {
      try {
        client.send(new Uint8Array(64 * 1024));
      } catch (e) {
        error = e;
      }
    }
    expect((error as SystemError).code).toBe("EPIPE");
    expect(client.pendingBytes).toBe(0); // what cannot be written is dropped, not kept
    expect(kinds(client.poll(DEADLINE_MS))).toEqual(["readable"]);
    expect(text(client.process({ kind: "readable" })!)).toBe("last words");
    expect(client.process({ kind: "readable" })).toBeNull();
    expect(client.ended).toBe(true);
    expect(kinds(client.poll(DEADLINE_MS))).toEqual(["hangup"]);
  });

  test("EPROTO when the server closes in the middle of a frame; hangup after it", () => {
    using server = handMadeServer(path("eproto.sock"));
    using client = IpcClient.connect(path("eproto.sock"), { pingIntervalMs: 0 });
    const peer = server.accept();
    peer.send("whole");
    peer.flush();
    peer.socket.send(new Uint8Array([0, 0, 0, 10, 1, 2, 3]));
    peer.close();
    expect(text(clientMessages(null, client, 1)[0]!)).toBe("whole");
    let error: unknown;
    serveUntil(
      null,
      () => {
        try {
          for (const event of client.poll(10)) client.process(event);
        } catch (e) {
          error = e;
          return true;
        }
        return false;
      },
      "EPROTO",
    );
    expect((error as SystemError).code).toBe("EPROTO");
    expect(kinds(client.poll(0))).toEqual(["hangup"]);
  });

  test("EMSGSIZE when the server announces a message above maxMessageSize", () => {
    using server = handMadeServer(path("emsgsize.sock"));
    using client = IpcClient.connect(path("emsgsize.sock"), { pingIntervalMs: 0, maxMessageSize: 16 });
    const peer = server.accept();
    peer.send(new Uint8Array(100));
    peer.flush();
    serveUntil(null, () => client.poll(10).length > 0, "readable");
    expectSystemError(() => client.process({ kind: "readable" }), "EMSGSIZE");
    expect(kinds(client.poll(0))).toEqual(["hangup"]);
  });
});

describe("IpcClient: refused by a server at its client limit", () => {
  test("ECONNREFUSED from the first process that finds the connection over, before any message", () => {
    using server = EchoServer.listen(path("refuse.sock"), { maxClients: 1 });
    using first = IpcClient.connect(path("refuse.sock"), { pingIntervalMs: 0 });
    first.ping();
    clientMessages(server, first, 1);
    using second = IpcClient.connect(path("refuse.sock"), { pingIntervalMs: 0 }); // the kernel queues it: no error yet
    server.step(0);
    expect(server.stats.refused).toBe(1);
    const events = second.poll(DEADLINE_MS);
    expect(kinds(events)).toEqual(["readable"]);
    const error = expectSystemError(() => second.process(events[0]!), "ECONNREFUSED", "IpcClient.process");
    expect(error.path).toBe(path("refuse.sock"));
    expect(error.message).toStartWith("ECONNREFUSED: ");
    expect(second.ended).toBe(true);
    expect(kinds(second.poll(0))).toEqual(["hangup"]);
    expectSystemError(() => second.send("x"), "ECONNREFUSED", "IpcClient.send");
    // The client that was served goes on.
    first.ping();
    expect(first.pingReply(clientMessages(server, first, 1)[0]!)!.sequence).toBe(2);
  });

  test("the same when the refused client had sent something (the close resets the connection)", () => {
    using server = EchoServer.listen(path("refuse-reset.sock"), { maxClients: 1 });
    using first = IpcClient.connect(path("refuse-reset.sock"), { pingIntervalMs: 0 }); // takes the one place
    using second = IpcClient.connect(path("refuse-reset.sock"), { pingIntervalMs: 0 });
    second.ping();
    second.send("unread by the server");
    server.step(0);
    expect(server.stats).toMatchObject({ accepted: 1, refused: 1 });
    let error: unknown;
    serveUntil(
      server,
      () => {
        try {
          for (const event of second.poll(10)) second.process(event);
        } catch (e) {
          error = e;
          return true;
        }
        return false;
      },
      "the refusal",
    );
    expect(error).toBeInstanceOf(SystemError);
    expect((error as SystemError).code).toBe("ECONNREFUSED");
  });

  test("receive() reports it as well, naming itself", () => {
    using server = EchoServer.listen(path("refuse-receive.sock"), { maxClients: 1 });
    using first = IpcClient.connect(path("refuse-receive.sock"), { pingIntervalMs: 0 }); // takes the one place
    using second = IpcClient.connect(path("refuse-receive.sock"), { pingIntervalMs: 0 });
    server.step(0);
    second.poll(DEADLINE_MS);
    expectSystemError(() => second.receive(), "ECONNREFUSED", "IpcClient.receive");
  });

  test("connect errors are connect(2)'s: ENOENT without a socket", () => {
    expectSystemError(() => IpcClient.connect(path("nobody.sock")), "ENOENT", "connect");
  });
});

describe("IpcClient: fd, async polling and lifecycle", () => {
  test("fd is the Poller's: readable in another event loop when poll would find something", () => {
    using server = EchoServer.listen(path("fd.sock"));
    using client = IpcClient.connect(path("fd.sock"), { pingIntervalMs: 0 });
    using outer = new Poller<string>();
    outer.add(client.fd, Interest.READABLE, "client");
    expect(outer.wait(0).length).toBe(0);
    client.send("hello");
    serveUntil(server, () => outer.wait(1).length === 1, "the client's fd to be readable");
    expect(text(clientMessages(null, client, 1)[0]!)).toBe("hello");
    client.process({ kind: "readable" });
    expect(outer.wait(0).length).toBe(0);
    outer.delete(client.fd);
  });

  test("pollAsync resolves at once while a decoded message may be waiting, and after the end", async () => {
    using server = handMadeServer(path("async.sock"));
    using client = IpcClient.connect(path("async.sock"), { pingIntervalMs: 0 });
    const peer = server.accept();
    peer.send("one");
    peer.send("two");
    peer.flush();
    serveUntil(null, () => client.poll(10).length > 0, "readable");
    expect(text(client.receive()!)).toBe("one");
    expect(kinds(await client.pollAsync(-1))).toEqual(["readable"]);
    const controller = new AbortController();
    controller.abort("stop");
    expect(await client.pollAsync(-1, { signal: controller.signal }).catch((e: unknown) => e)).toBe("stop");
    peer.close();
    serveUntil(null, () => client.receive() === null && client.ended, "the end");
    expect(kinds(await client.pollAsync())).toEqual(["hangup"]);
  });

  test("close is idempotent; a closed client throws EBADF naming the method, and pollAsync rejects", async () => {
    using server = EchoServer.listen(path("close.sock"));
    const client = IpcClient.connect(path("close.sock"));
    expect(client.fd).toBeGreaterThanOrEqual(0);
    client.close();
    client.close();
    expect(client.closed).toBe(true);
    expect(client.fd).toBe(-1);
    expect(client.pendingBytes).toBe(0);
    expectSystemError(() => client.poll(0), "EBADF", "IpcClient.poll");
    expectSystemError(() => client.process({ kind: "readable" }), "EBADF", "IpcClient.process");
    expectSystemError(() => client.send("x"), "EBADF", "IpcClient.send");
    expectSystemError(() => client.receive(), "EBADF", "IpcClient.receive");
    expectSystemError(() => client.ping(), "EBADF", "IpcClient.ping");
    const rejected = (await client.pollAsync(0).catch((e: unknown) => e)) as SystemError;
    expect(rejected.code).toBe("EBADF");
    server.step(0);
  });

  test("bad arguments: TypeError or RangeError naming them, before anything is opened", () => {
    using server = EchoServer.listen(path("args.sock"));
    for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 31]) {
      expect(thrownBy(() => IpcClient.connect(path("args.sock"), { pingIntervalMs: bad }))).toBeInstanceOf(RangeError);
    }
    expect(thrownBy(() => IpcClient.connect(path("args.sock"), { pingIntervalMs: "1" as unknown as number }))).toBeInstanceOf(TypeError);
    expect(thrownBy(() => IpcClient.connect(path("args.sock"), null as unknown as undefined))).toBeInstanceOf(TypeError);
    expect(thrownBy(() => IpcClient.connect(42 as unknown as string))).toBeInstanceOf(TypeError);
    using client = IpcClient.connect(path("args.sock"), { pingIntervalMs: 0 });
    expect(thrownBy(() => client.poll("1" as unknown as number))).toBeInstanceOf(TypeError);
    expect(thrownBy(() => client.poll(-2))).toBeInstanceOf(RangeError);
    for (const bad of [null, "readable", {}, { kind: "exploded" }]) {
      expect(thrownBy(() => client.process(bad as unknown as IpcEvent))).toBeInstanceOf(TypeError);
    }
    expect(thrownBy(() => client.send(42 as unknown as string))).toBeInstanceOf(TypeError);
    server.step(0);
  });

  test("event objects are shared and frozen", () => {
    using server = EchoServer.listen(path("frozen.sock"));
    using client = IpcClient.connect(path("frozen.sock"), { pingIntervalMs: 5 });
    const events = client.poll(DEADLINE_MS);
    expect(kinds(events)).toEqual(["timer"]);
    expect(Object.isFrozen(events[0])).toBe(true);
    server.step(0);
  });
});
