// FramedConnection over real nonblocking stream socketpairs: round trips and flow control.
import { describe, expect, test } from "bun:test";
import { socketpair } from "../../src/socket/index.ts";
import { FramedConnection } from "../../src/framed/index.ts";
import { emulated } from "../helpers/env.ts";
import { LOOP_DEADLINE_MS, concat, encodeAll, expectMessages, messageOf, pump } from "./helpers.ts";

/** Two connections over a fresh stream socketpair; `using` closes both sockets. */
function connectedPair(maxMessageSize?: number): [FramedConnection, FramedConnection] & Disposable {
  const [a, b] = socketpair("stream", { nonblocking: true });
  const options = maxMessageSize === undefined ? undefined : { maxMessageSize };
  const pair = [new FramedConnection(a, options), new FramedConnection(b, options)] as [FramedConnection, FramedConnection] & Disposable;
  pair[Symbol.dispose] = () => {
    pair[0].close();
    pair[1].close();
  };
  return pair;
}

const text = (bytes: Uint8Array | null) => (bytes === null ? null : new TextDecoder().decode(bytes));

describe("FramedConnection round trips", () => {
  test("strings arrive as UTF-8, bytes as given, empty messages as empty frames; both ways", () => {
    using pair = connectedPair();
    const [left, right] = pair;
    left.send("héllo ✓");
    left.send(new Uint8Array([1, 2, 3]));
    left.send("");
    expect(left.flush()).toBe(true);
    right.send("back");
    expect(right.flush()).toBe(true);
    expect(text(right.receive())).toBe("héllo ✓");
    expect([...right.receive()!]).toEqual([1, 2, 3]);
    expect(right.receive()!.length).toBe(0);
    expect(right.receive()).toBeNull();
    expect(text(left.receive())).toBe("back");
    expect(left.receive()).toBeNull();
  });

  test("a received message is the caller's own copy, not a view of the read buffer", () => {
    using pair = connectedPair();
    const [left, right] = pair;
    left.send("first");
    left.send("other");
    left.flush();
    const first = right.receive()!;
    const second = right.receive()!;
    expect(first.buffer).not.toBe(second.buffer);
    expect(first.buffer.byteLength).toBe(5);
    left.send("third");
    left.flush();
    right.receive();
    expect(text(first)).toBe("first");
  });

  test("thousands of small frames (many per read) come out whole and in order", () => {
    using pair = connectedPair();
    const [left, right] = pair;
    const count = emulated ? 2_000 : 20_000;
    const messages = Array.from({ length: count }, (_, i) => messageOf(i % 13, i));
    for (const m of messages) left.send(m);
    expectMessages(pump(left, right, count), messages);
    expect(left.pendingBytes).toBe(0);
  });

  test("an 8 MiB message goes through the socket buffer in pieces while the other side receives", () => {
    using pair = connectedPair();
    const [left, right] = pair;
    const big = messageOf(8 * 1024 * 1024, 7);
    left.send("before");
    left.send(big);
    left.send("after");
    expect(left.pendingBytes).toBe(3 * 4 + 6 + big.length + 5);
    expect(left.wantsWrite).toBe(true);
    // The first flush fills the socket buffer and stops: the rest waits for the reader.
    expect(left.flush()).toBe(false);
    const afterFirst = left.pendingBytes;
    expect(afterFirst).toBeGreaterThan(0);
    expect(afterFirst).toBeLessThan(big.length);
    let flushes = 1;
    const received: Uint8Array[] = [];
    const deadline = performance.now() + LOOP_DEADLINE_MS;
    while (received.length < 3) {
      expect(performance.now()).toBeLessThan(deadline);
      for (let m = right.receive(); m !== null; m = right.receive()) received.push(m);
      if (left.wantsWrite) {
        left.flush();
        flushes++;
      }
    }
    expect(flushes).toBeGreaterThan(2);
    expect(left.wantsWrite).toBe(false);
    expectMessages(received, [new TextEncoder().encode("before"), big, new TextEncoder().encode("after")]);
  });

  test("both sides sending megabytes at once make progress by interleaving flush and receive", () => {
    using pair = connectedPair();
    const [left, right] = pair;
    const fromLeft = Array.from({ length: 8 }, (_, i) => messageOf(300_000 + i, i));
    const fromRight = Array.from({ length: 8 }, (_, i) => messageOf(250_000 + i, 100 + i));
    for (const m of fromLeft) left.send(m);
    for (const m of fromRight) right.send(m);
    const atLeft: Uint8Array[] = [];
    const atRight: Uint8Array[] = [];
    const deadline = performance.now() + LOOP_DEADLINE_MS;
    while (atLeft.length < fromRight.length || atRight.length < fromLeft.length) {
      expect(performance.now()).toBeLessThan(deadline);
      left.flush();
      right.flush();
      for (let m = left.receive(); m !== null; m = left.receive()) atLeft.push(m);
      for (let m = right.receive(); m !== null; m = right.receive()) atRight.push(m);
    }
    expectMessages(atRight, fromLeft);
    expectMessages(atLeft, fromRight);
  });

  test("the wire format is a 4-byte big-endian length and the payload, readable by a plain socket", () => {
    const [a, b] = socketpair("stream", { nonblocking: true });
    using conn = new FramedConnection(a);
    using raw = b;
    conn.send("hi");
    conn.send(new Uint8Array(0));
    conn.flush();
    expect([...raw.recv(64)!.data]).toEqual([0, 0, 0, 2, 104, 105, 0, 0, 0, 0]);
    // And frames written by hand, in one write, are read back as messages.
    raw.send(concat([encodeAll([messageOf(3, 1), messageOf(0, 2)])]));
    expectMessages([conn.receive()!, conn.receive()!], [messageOf(3, 1), messageOf(0, 2)]);
  });
});

describe("FramedConnection and descriptors", () => {
  test("a frame sent with descriptors attached arrives whole; the descriptors are closed, never received", () => {
    const [raw, theirs] = socketpair("stream");
    using conn = new FramedConnection(theirs);
    const [spareA, spareB] = socketpair("stream");
    try {
      raw.send(new Uint8Array([0, 0, 0, 2, 7, 8]), { fds: [spareA.fd, spareB.fd] });
      raw.send(new Uint8Array([0, 0, 0, 1, 9]));
      expect([...conn.receive()!]).toEqual([7, 8]);
      expect([...conn.receive()!]).toEqual([9]);
    } finally {
      raw.close();
      spareA.close();
      spareB.close();
    }
    // The leak guard of the test run sees no descriptor left behind by the receive.
  });
});
