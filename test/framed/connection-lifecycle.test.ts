// FramedConnection's construction and ownership of its socket: validation, nonblocking mode,
// close, `using`, and use after close.
import { describe, expect, test } from "bun:test";
import { SystemError, platform } from "../../src/index.ts";
import { socketpair } from "../../src/socket/index.ts";
import { FramedConnection } from "../../src/framed/index.ts";
import { countOpenFds } from "../../src/testing/index.ts";
import { expectSystemError } from "./helpers.ts";

describe("constructing a FramedConnection", () => {
  test("puts a blocking socket in nonblocking mode, so receive returns null instead of waiting", () => {
    const [a, b] = socketpair("stream");
    expect(a.nonblocking).toBe(false);
    using conn = new FramedConnection(a);
    using _peer = new FramedConnection(b);
    expect(a.nonblocking).toBe(true);
    expect(conn.socket).toBe(a);
    expect(conn.fd).toBe(a.fd);
    expect(conn.receive()).toBeNull();
    expect(conn.flush()).toBe(true);
    expect(conn.wantsWrite).toBe(false);
  });

  test("takes only an open Unix stream socket", () => {
    expect(() => new FramedConnection(null as never)).toThrow(TypeError);
    expect(() => new FramedConnection({ fd: 0 } as never)).toThrow(TypeError);
    {
      const [a, b] = socketpair("dgram");
      using _a = a;
      using _b = b;
      expect(() => new FramedConnection(a)).toThrow(TypeError);
    }
    const [a, b] = socketpair("stream");
    b.close();
    a.close();
    expectSystemError(() => new FramedConnection(a), "EBADF", "FramedConnection");
  });

  test.skipIf(!platform.supports.seqpacket)("refuses a seqpacket socket, whose reads would cut frames", () => {
    const [a, b] = socketpair("seqpacket");
    using _a = a;
    using _b = b;
    expect(() => new FramedConnection(a)).toThrow(TypeError);
  });

  test("validates maxMessageSize", () => {
    const [a, b] = socketpair("stream");
    using _a = a;
    using _b = b;
    expect(new FramedConnection(a, { maxMessageSize: 0 }).maxMessageSize).toBe(0);
    expect(new FramedConnection(a, {}).maxMessageSize).toBe(16 * 1024 * 1024);
    for (const bad of [-1, 1.5, Number.NaN, 2 ** 32]) expect(() => new FramedConnection(a, { maxMessageSize: bad })).toThrow(RangeError);
    expect(() => new FramedConnection(a, { maxMessageSize: "1" as unknown as number })).toThrow(TypeError);
    expect(() => new FramedConnection(a, null as unknown as undefined)).toThrow(TypeError);
  });
});

describe("closing a FramedConnection", () => {
  test("close() closes the socket, drops what is queued, and is idempotent", () => {
    const before = countOpenFds();
    const [a, b] = socketpair("stream");
    const conn = new FramedConnection(a);
    using _peer = b;
    conn.send("never flushed");
    expect(conn.closed).toBe(false);
    conn.close();
    expect(conn.closed).toBe(true);
    expect(a.closed).toBe(true);
    expect(conn.fd).toBe(-1);
    expect(conn.pendingBytes).toBe(0);
    expect(conn.wantsWrite).toBe(false);
    conn.close();
    expect(countOpenFds()).toBe(before + 1);
  });

  test("`using` closes the socket at the end of the block", () => {
    const [a, b] = socketpair("stream");
    using _peer = b;
    {
      using conn = new FramedConnection(a);
      conn.send("x");
    }
    expect(a.closed).toBe(true);
  });

  test("every method after close is EBADF naming FramedConnection and the method", () => {
    const [a, b] = socketpair("stream");
    using _peer = b;
    const conn = new FramedConnection(a);
    conn.close();
    const error = expectSystemError(() => conn.send("x"), "EBADF", "FramedConnection.send");
    expect(error.message).toContain("FramedConnection is closed");
    expectSystemError(() => conn.flush(), "EBADF", "FramedConnection.flush");
    expectSystemError(() => conn.receive(), "EBADF", "FramedConnection.receive");
    expectSystemError(() => conn.setMaxMessageSize(10), "EBADF", "FramedConnection.setMaxMessageSize");
  });

  test("closing the socket directly closes the connection too", () => {
    const [a, b] = socketpair("stream");
    using _peer = b;
    const conn = new FramedConnection(a);
    a.close();
    expect(conn.closed).toBe(true);
    expect(() => conn.receive()).toThrow(SystemError);
    conn.close();
  });
});
