// FramedConnection's limits and how a stream ends: maxMessageSize both ways, the peer's clean
// close, a close in the middle of a frame, and socket errors.
import { describe, expect, test } from "bun:test";
import { SystemError, platform } from "../../src/index.ts";
import { socketpair } from "../../src/socket/index.ts";
import { FramedConnection } from "../../src/framed/index.ts";
import { concat, encodeAll, expectSystemError, header, messageOf, thrownBy } from "./helpers.ts";

const text = (bytes: Uint8Array | null) => (bytes === null ? null : new TextDecoder().decode(bytes));

describe("sending above maxMessageSize", () => {
  test("is a RangeError, and nothing is queued", () => {
    const [a, b] = socketpair("stream");
    using conn = new FramedConnection(a, { maxMessageSize: 8 });
    using peer = new FramedConnection(b);
    conn.send("12345678");
    const pending = conn.pendingBytes;
    for (const tooBig of ["123456789", "éééée", new Uint8Array(9), "x".repeat(100_000)]) {
      const error = thrownBy(() => conn.send(tooBig)) as RangeError & { code: string };
      expect(error).toBeInstanceOf(RangeError);
      expect(error.code).toBe("ERR_OUT_OF_RANGE");
      expect(conn.pendingBytes).toBe(pending);
    }
    conn.send("ok");
    conn.flush();
    expect(text(peer.receive())).toBe("12345678");
    expect(text(peer.receive())).toBe("ok");
    expect(peer.receive()).toBeNull();
  });

  test("the default limit is 16 MiB: one byte more is refused", () => {
    const [a, b] = socketpair("stream");
    using conn = new FramedConnection(a);
    using _peer = new FramedConnection(b);
    expect(conn.maxMessageSize).toBe(16 * 1024 * 1024);
    expect(() => conn.send(new Uint8Array(16 * 1024 * 1024 + 1))).toThrow(RangeError);
    expect(conn.pendingBytes).toBe(0);
  });

  test("setMaxMessageSize changes the limit for later sends and is validated", () => {
    const [a, b] = socketpair("stream");
    using conn = new FramedConnection(a);
    using _peer = new FramedConnection(b);
    conn.setMaxMessageSize(2);
    expect(conn.maxMessageSize).toBe(2);
    expect(() => conn.send("abc")).toThrow(RangeError);
    conn.setMaxMessageSize(0);
    conn.send("");
    for (const bad of [-1, 0.5, Number.NaN, 2 ** 32, -Infinity]) expect(() => conn.setMaxMessageSize(bad)).toThrow(RangeError);
    for (const bad of ["8", null, undefined, 8n]) expect(() => conn.setMaxMessageSize(bad as unknown as number)).toThrow(TypeError);
    expect(conn.maxMessageSize).toBe(0);
    conn.setMaxMessageSize(0xffffffff);
    expect(conn.maxMessageSize).toBe(0xffffffff);
  });
});

describe("a peer announcing more than maxMessageSize", () => {
  test("gets EMSGSIZE after the whole messages before it, on every later receive", () => {
    const [a, raw] = socketpair("stream", { nonblocking: true });
    using conn = new FramedConnection(a, { maxMessageSize: 100 });
    using _raw = raw;
    raw.send(concat([encodeAll([messageOf(100, 1), messageOf(0, 2)]), header(101), new Uint8Array(101)]));
    expect(conn.receive()!.length).toBe(100);
    expect(conn.receive()!.length).toBe(0);
    const error = expectSystemError(() => conn.receive(), "EMSGSIZE", "FramedConnection.receive");
    expect(error.message).toContain("101-byte message");
    expectSystemError(() => conn.receive(), "EMSGSIZE");
    expect(conn.ended).toBe(false);
    // The sending side still works; it is the receiving side that can never resynchronise.
    conn.send("bye");
    expect(conn.flush()).toBe(true);
  });

  test("a header of 0xFFFFFFFF under the default limit fails without allocating anything like 4 GiB", () => {
    const [a, raw] = socketpair("stream", { nonblocking: true });
    using conn = new FramedConnection(a);
    using _raw = raw;
    raw.send(header(0xffffffff));
    Bun.gc(true);
    const before = process.memoryUsage().arrayBuffers;
    expectSystemError(() => conn.receive(), "EMSGSIZE", "FramedConnection.receive");
    // The 64 KiB read buffer is all it may have allocated.
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(1024 * 1024);
  });

  test("a limit lowered by setMaxMessageSize applies to frames not yet received", () => {
    const [a, raw] = socketpair("stream", { nonblocking: true });
    using conn = new FramedConnection(a);
    using _raw = raw;
    conn.setMaxMessageSize(3);
    raw.send(encodeAll([messageOf(3, 1), messageOf(4, 2)]));
    expect(conn.receive()!.length).toBe(3);
    expectSystemError(() => conn.receive(), "EMSGSIZE");
  });
});

describe("the end of the stream", () => {
  test("a clean close: the messages, then null with ended true", () => {
    const [a, b] = socketpair("stream");
    using conn = new FramedConnection(a);
    const peer = new FramedConnection(b);
    peer.send("last words");
    peer.send("");
    peer.flush();
    peer.close();
    expect(conn.ended).toBe(false);
    expect(text(conn.receive())).toBe("last words");
    expect(conn.ended).toBe(false);
    expect(conn.receive()!.length).toBe(0);
    expect(conn.receive()).toBeNull();
    expect(conn.ended).toBe(true);
    expect(conn.receive()).toBeNull();
  });

  test("nothing sent yet is not the end: null with ended false", () => {
    const [a, b] = socketpair("stream");
    using conn = new FramedConnection(a);
    using _peer = new FramedConnection(b);
    expect(conn.receive()).toBeNull();
    expect(conn.ended).toBe(false);
  });

  test("a half close (shutdown write) ends the peer's receiving while the other direction still works", () => {
    const [a, b] = socketpair("stream");
    using conn = new FramedConnection(a);
    using peer = new FramedConnection(b);
    conn.send("request");
    conn.flush();
    conn.socket.shutdown("write");
    expect(text(peer.receive())).toBe("request");
    expect(peer.receive()).toBeNull();
    expect(peer.ended).toBe(true);
    peer.send("response");
    expect(peer.flush()).toBe(true);
    expect(text(conn.receive())).toBe("response");
  });

  test.each([
    ["inside the header", 2],
    ["right after the header", 4],
    ["inside the payload", 50],
    ["inside a payload bigger than the read buffer", 100_000],
  ])("a close %s is EPROTO after the whole messages before it; then ended and null", (_where, keep) => {
    const [a, raw] = socketpair("stream", { nonblocking: true });
    using conn = new FramedConnection(a);
    const stream = concat([encodeAll([messageOf(10, 1), messageOf(70_000, 2)]), encodeAll([messageOf(200_000, 9)]).subarray(0, keep)]);
    // Written in turns with receives: the socket buffer may not hold it all at once (8 KiB on macOS).
    const received: Uint8Array[] = [];
    for (let sent = 0; sent < stream.length; ) {
      sent += raw.send(stream.subarray(sent)) ?? 0;
      for (let m = conn.receive(); m !== null; m = conn.receive()) received.push(m);
    }
    raw.close();
    let failure: unknown = null;
    try {
      for (let m = conn.receive(); m !== null; m = conn.receive()) received.push(m);
    } catch (error) {
      failure = error;
    }
    expect(received.map((m) => m.length)).toEqual([10, 70_000]);
    expect(failure).toBeInstanceOf(SystemError);
    expect((failure as SystemError).code).toBe("EPROTO");
    expect((failure as SystemError).syscall).toBe("FramedConnection.receive");
    expect(conn.ended).toBe(true);
    expect(conn.receive()).toBeNull();
    expect(conn.ended).toBe(true);
  });
});

describe("socket errors", () => {
  test("flush to a closed peer is EPIPE from send (one queued segment goes out with send(2)), and the bytes stay queued", () => {
    const [a, b] = socketpair("stream");
    using conn = new FramedConnection(a);
    b.close();
    conn.send("nobody is there");
    const pending = conn.pendingBytes;
    expectSystemError(() => conn.flush(), "EPIPE", "send");
    expect(conn.pendingBytes).toBe(pending);
  });

  // Linux resets a Unix stream when its other end closes with unread data (unix_release_sock);
  // other kernels may report a plain end of stream instead.
  test.skipIf(platform.os !== "linux")("a peer closing with unread data is ECONNRESET from recv, after the data that arrived", () => {
    const [a, b] = socketpair("stream");
    using conn = new FramedConnection(a);
    const peer = new FramedConnection(b);
    conn.send("never read");
    conn.flush();
    peer.send("delivered");
    peer.flush();
    peer.close();
    expect(text(conn.receive())).toBe("delivered");
    expectSystemError(() => conn.receive(), "ECONNRESET", "recv");
  });
});
