// EchoServer's bounds, in this thread, driven by step(): the global maxBuffered bound, the idle
// timeout, the echoes owed before a protocol error, and stats counting only what was echoed.
import { describe, expect, test } from "bun:test";
import { FramedConnection } from "../../src/framed/index.ts";
import { EchoServer } from "../../src/ipc/index.ts";
import { UnixSocket } from "../../src/socket/index.ts";
import { socketDir } from "../helpers/socket-paths.ts";
import { bytesOf, sameBytes, serveUntil, thrownBy } from "./helpers.ts";

const path = socketDir("bunix-ipc-bounds-");

/** Frames of `payloads`, back to back, in one buffer. */
function frames(...payloads: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(payloads.reduce((n, p) => n + 4 + p.length, 0));
  let at = 0;
  for (const p of payloads) {
    new DataView(out.buffer).setUint32(at, p.length);
    out.set(p, at + 4);
    at += 4 + p.length;
  }
  return out;
}

/** Everything `socket` receives until the server closes it, in turns with the server. */
function readToEnd(server: EchoServer, socket: UnixSocket): Uint8Array {
  socket.setNonblocking(true);
  const chunks: Uint8Array[] = [];
  serveUntil(
    server,
    () => {
      for (;;) {
        const got = socket.recv(65536);
        if (got === null) return false;
        if (got.bytes === 0) return true;
        chunks.push(got.data.slice());
      }
    },
    "the end of the stream",
  );
  return new Uint8Array(Buffer.concat(chunks));
}

describe("EchoServer: echoes owed before a protocol error", () => {
  test("10 whole frames and a 4 GiB header in one write: the 10 are echoed, then the client is dropped", () => {
    using server = EchoServer.listen(path("tenthen.sock"));
    using client = UnixSocket.connect(path("tenthen.sock"));
    const payloads = Array.from({ length: 10 }, (_, i) => bytesOf(100 + i, i));
    client.send([frames(...payloads), new Uint8Array([0xff, 0xff, 0xff, 0xff, 1, 2])]);
    const back = readToEnd(server, client);
    expect(sameBytes(back, frames(...payloads))).toBe(true);
    expect(server.stats).toMatchObject({ messages: 10, dropped: 1, buffered: 0 });
  });

  test("two frames and a cut one, then the end: both echoed before the drop (EPROTO)", () => {
    using server = EchoServer.listen(path("cut.sock"));
    using client = UnixSocket.connect(path("cut.sock"));
    const payloads = [bytesOf(3, 1), bytesOf(70_000, 2)];
    client.send([frames(...payloads), new Uint8Array([0, 0, 0, 9, 1, 2])]);
    client.shutdown("write");
    expect(sameBytes(readToEnd(server, client), frames(...payloads))).toBe(true);
    expect(server.stats).toMatchObject({ messages: 2, dropped: 1, buffered: 0 });
  });

  test("stats.messages counts echoes written, not frames read: a client that never reads and resets", () => {
    using server = EchoServer.listen(path("unread.sock"), { highWaterMark: 64 * 1024 });
    const client = new FramedConnection(UnixSocket.connect(path("unread.sock")));
    const size = 32 * 1024;
    for (let i = 0; i < 200; i++) client.send(bytesOf(size, i));
    let last = -1;
    let still = 0;
    serveUntil(server, () => {
      client.flush();
      still = server.stats.messages === last ? still + 1 : 0;
      last = server.stats.messages;
      return still > 200;
    }, "the server to stall");
    const echoed = server.stats.messages;
    // Frames read but not written are held; none of them is counted.
    expect(server.stats.buffered).toBeGreaterThan(0);
    client.close();
    serveUntil(server, () => server.clients === 0, "the drop");
    expect(server.stats).toMatchObject({ messages: echoed, dropped: 1, buffered: 0 });
    expect(echoed).toBeLessThan(200);
  });
});

describe("EchoServer: maxBuffered is a bound on all clients together", () => {
  test("non-readers sending empty frames never make the server hold more than maxBuffered", () => {
    const maxBuffered = 64 * 1024;
    using server = EchoServer.listen(path("empty.sock"), { maxBuffered, maxMessageSize: 1024, highWaterMark: 1 << 30 });
    const flood = new Uint8Array(64 * 1024); // 16 384 empty frames
    const clients = Array.from({ length: 16 }, () => UnixSocket.connect(path("empty.sock"), { nonblocking: true }));
    try {
      let quiet = 0;
      let last = -1;
      serveUntil(server, () => {
        for (const c of clients) c.send(flood);
        quiet = server.stats.messages === last ? quiet + 1 : 0;
        last = server.stats.messages;
        return quiet > 300;
      }, "the flood to stall");
      expect(server.stats.peakBuffered).toBeGreaterThan(0);
      expect(server.stats.peakBuffered).toBeLessThanOrEqual(maxBuffered);
      // A well-behaved client still gets through once the others go.
      for (const c of clients) c.close();
      serveUntil(server, () => server.clients === 0, "the floods to be gone");
      using good = new FramedConnection(UnixSocket.connect(path("empty.sock")));
      good.send("still here");
      let reply: Uint8Array | null = null;
      serveUntil(server, () => {
        good.flush();
        reply = good.receive();
        return reply !== null;
      });
      expect(new TextDecoder().decode(reply!)).toBe("still here");
    } finally {
      for (const c of clients) c.close();
    }
  });

  test("clients stalled one byte short of a long frame: buffers are allocated only within the bound, others wait", () => {
    const maxMessageSize = 1024 * 1024;
    const maxBuffered = 3 * (maxMessageSize + 4);
    using server = EchoServer.listen(path("stalled.sock"), { maxBuffered, maxMessageSize });
    const payload = bytesOf(maxMessageSize, 9);
    const clients = Array.from({ length: 6 }, () => new FramedConnection(UnixSocket.connect(path("stalled.sock"))));
    try {
      const frame = frames(payload);
      const stalled = frame.subarray(0, frame.length - 1);
      const raw = clients.map((c) => c.socket);
      const offsets = raw.map(() => 0);
      serveUntil(server, () => {
        raw.forEach((s, i) => {
          if (offsets[i]! < stalled.length) offsets[i]! += s.send(stalled.subarray(offsets[i]!)) ?? 0;
        });
        return server.stats.buffered >= 3 * frame.length && server.clients === 6;
      }, "three long frames to be held");
      for (let i = 0; i < 200; i++) server.step(0);
      expect(server.stats.peakBuffered).toBeLessThanOrEqual(maxBuffered);
      // Each one finishes its frame: as echoes go out, the waiting clients get the room.
      const received = clients.map(() => null as Uint8Array | null);
      serveUntil(server, () => {
        raw.forEach((s, i) => {
          if (offsets[i]! < frame.length) offsets[i]! += s.send(frame.subarray(offsets[i]!)) ?? 0;
        });
        clients.forEach((c, i) => {
          received[i] ??= c.receive();
        });
        return received.every((m) => m !== null);
      }, "all six echoes");
      for (const m of received) expect(sameBytes(m!, payload)).toBe(true);
      expect(server.stats.peakBuffered).toBeLessThanOrEqual(maxBuffered);
    } finally {
      for (const c of clients) c.close();
    }
  });

  test("maxBuffered below one whole frame of maxMessageSize is a RangeError", () => {
    expect(thrownBy(() => EchoServer.listen(path("small.sock"), { maxMessageSize: 1000, maxBuffered: 1003 }))).toBeInstanceOf(RangeError);
    expect(thrownBy(() => EchoServer.listen(path("small.sock"), { idleTimeoutMs: -1 }))).toBeInstanceOf(RangeError);
  });
});

describe("EchoServer: idle clients", () => {
  test("a client that completes no frame within idleTimeoutMs is dropped; one that keeps completing frames stays", () => {
    using server = EchoServer.listen(path("idle.sock"), { idleTimeoutMs: 200 });
    using slow = UnixSocket.connect(path("idle.sock"), { nonblocking: true });
    using silent = UnixSocket.connect(path("idle.sock"), { nonblocking: true });
    using busy = new FramedConnection(UnixSocket.connect(path("idle.sock")));
    const started = performance.now();
    let sentSlow = 0;
    const header = new Uint8Array([0, 0, 0, 100]);
    serveUntil(server, () => {
      // A byte now and then: never a whole frame.
      if (sentSlow < 4 && performance.now() - started > sentSlow * 60) slow.send(header.subarray(sentSlow, ++sentSlow));
      busy.send("tick");
      busy.flush();
      while (busy.receive() !== null);
      return server.stats.dropped === 2;
    }, "the two idle clients to be dropped");
    expect(performance.now() - started).toBeGreaterThanOrEqual(200);
    expect(server.clients).toBe(1);
    expect(silent.recv(16)?.bytes ?? 0).toBe(0);
  });

  test("idleTimeoutMs 0 never drops", () => {
    using server = EchoServer.listen(path("never.sock"), { idleTimeoutMs: 0 });
    using silent = UnixSocket.connect(path("never.sock"), { nonblocking: true });
    const until = performance.now() + 150;
    serveUntil(server, () => performance.now() > until);
    expect(server.clients).toBe(1);
    expect(silent.recv(16)).toBeNull();
  });
});
