import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { encodeFrame } from "../../src/framed/index.ts";
import { SendQueue, type SegmentWriter } from "../../src/framed/send-queue.ts";
import { emulated } from "../helpers/env.ts";
import { concat, messageOf, thrownBy } from "./helpers.ts";

const utf8 = (s: string) => new TextEncoder().encode(s);

describe("encodeFrame", () => {
  test("a 4-byte big-endian length, then the payload; strings as UTF-8", () => {
    expect([...encodeFrame("hi")]).toEqual([0, 0, 0, 2, 104, 105]);
    expect([...encodeFrame("é")]).toEqual([0, 0, 0, 2, 0xc3, 0xa9]);
    expect([...encodeFrame(new Uint8Array(0))]).toEqual([0, 0, 0, 0]);
    const big = encodeFrame(new Uint8Array(0x01_02_03));
    expect([...big.subarray(0, 4)]).toEqual([0, 1, 2, 3]);
  });

  test("above maxMessageSize is a RangeError naming the length; bad types are TypeErrors", () => {
    expect(encodeFrame("abc", { maxMessageSize: 3 }).length).toBe(7);
    const error = thrownBy(() => encodeFrame("abcd", { maxMessageSize: 3 })) as RangeError & { code: string };
    expect(error).toBeInstanceOf(RangeError);
    expect(error.code).toBe("ERR_OUT_OF_RANGE");
    expect(error.message).toContain("at most 3 bytes");
    expect(error.message).toContain("Received 4 bytes");
    expect(() => encodeFrame(42 as unknown as string)).toThrow(TypeError);
    expect(() => encodeFrame("x", { maxMessageSize: -1 })).toThrow(RangeError);
  });
});

/**
 * A writer that takes what `allowances` say, call by call (0 = would block), and records it:
 * `single` counts the calls given one segment as it is (the plain send(2) path), `widest` the
 * most segments one call gathered.
 */
function fakeWriter(allowances: readonly number[]): SegmentWriter & { written: Uint8Array[]; calls: number; single: number; widest: number } {
  let call = 0;
  const writer = {
    written: [] as Uint8Array[],
    calls: 0,
    single: 0,
    widest: 0,
    send(given: Uint8Array | readonly Uint8Array[]): number | null {
      writer.calls++;
      if (given instanceof Uint8Array) writer.single++;
      const data = given instanceof Uint8Array ? [given] : given;
      writer.widest = Math.max(writer.widest, data.length);
      const allowance = allowances.length === 0 ? Infinity : allowances[call++ % allowances.length]!;
      if (allowance === 0) return null;
      let left = allowance;
      let taken = 0;
      for (const segment of data) {
        if (left === 0) break;
        const piece = segment.subarray(0, Math.min(left, segment.length));
        // A copy now: the queue reuses its arena once everything is written.
        writer.written.push(piece.slice());
        left -= piece.length;
        taken += piece.length;
      }
      return taken;
    },
  };
  return writer;
}

const message = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.string({ unit: "binary", maxLength: 300 }),
  fc.record({ size: fc.integer({ min: 0, max: 3000 }), seed: fc.nat() }).map(({ size, seed }) => messageOf(size, seed)),
);

describe("SendQueue (the connection's outgoing side)", () => {
  test("writes resume at any byte: the output is exactly the frames, whatever each write takes", () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(message, { maxLength: 40 }), { minLength: 1, maxLength: 4 }),
        fc.array(fc.integer({ min: 0, max: 5000 }), { maxLength: 20 }),
        (bursts, allowances) => {
          const queue = new SendQueue();
          // At least one write that takes something, so the loop below always ends.
          const writer = fakeWriter([...allowances, 1 + (allowances[0] ?? 0)]);
          const expected: Uint8Array[] = [];
          let queued = 0;
          for (const burst of bursts) {
            for (const m of burst) {
              queue.enqueue(m, 0xffffffff);
              const frame = encodeFrame(m);
              expected.push(frame);
              queued += frame.length;
            }
            const writtenSoFar = writer.written.reduce((n, w) => n + w.length, 0);
            expect(queue.pendingBytes).toBe(queued - writtenSoFar);
            // One flush per burst: the next burst is queued behind a partly written one.
            queue.flush(writer);
          }
          for (let i = 0; !queue.flush(writer); i++) expect(i).toBeLessThan(100_000);
          expect(queue.pendingBytes).toBe(0);
          expect(Buffer.from(concat(writer.written)).equals(Buffer.from(concat(expected)))).toBe(true);
          expect(writer.widest).toBeLessThanOrEqual(64);
        },
      ),
      { numRuns: emulated ? 40 : 300 },
    );
  });

  test("small frames share one segment: a burst of 1000 goes out in one write, of that segment alone (no gather)", () => {
    const queue = new SendQueue();
    for (let i = 0; i < 1000; i++) queue.enqueue(i % 2 === 0 ? "x" : new Uint8Array([i & 0xff]), 100);
    const writer = fakeWriter([]);
    expect(queue.flush(writer)).toBe(true);
    expect(writer.calls).toBe(1);
    expect(writer.single).toBe(1);
  });

  test("a single segment cut by a partial write resumes, still as one segment, at the byte where it stopped", () => {
    const queue = new SendQueue();
    queue.enqueue(messageOf(300, 7), 1000);
    const writer = fakeWriter([5, 0, 100, 1000]);
    expect(queue.flush(writer)).toBe(false);
    expect(queue.pendingBytes).toBe(304 - 5);
    expect(queue.flush(writer)).toBe(true);
    expect(writer.single).toBe(writer.calls);
    expect(concat(writer.written)).toEqual(encodeFrame(messageOf(300, 7)));
  });

  test("large payloads are queued by reference, and one write gathers at most 64 segments", () => {
    const queue = new SendQueue();
    const payloads = Array.from({ length: 200 }, (_, i) => messageOf(600, i));
    for (const p of payloads) queue.enqueue(p, 1000);
    const writer = fakeWriter([]);
    expect(queue.flush(writer)).toBe(true);
    // 200 headers and 200 payloads, alternating: 400 segments in writes of at most 64.
    expect(writer.widest).toBe(64);
    expect(writer.calls).toBe(Math.ceil(400 / 64));
    expect(concat(writer.written)).toEqual(concat(payloads.map((p) => encodeFrame(p))));
  });

  test("a long queue written in many partial writes trims its written front and stays exact", () => {
    const queue = new SendQueue();
    const payloads = Array.from({ length: 1500 }, (_, i) => messageOf(600 + (i % 3), i));
    for (const p of payloads) queue.enqueue(p, 1000);
    // About 30 frames per write, never ending on a segment boundary.
    const writer = fakeWriter([30 * 604 + 7]);
    expect(queue.flush(writer)).toBe(true);
    expect(writer.calls).toBeGreaterThan(40);
    expect(concat(writer.written)).toEqual(concat(payloads.map((p) => encodeFrame(p))));
  });

  test("an empty queue flushes without writing", () => {
    const writer = fakeWriter([]);
    expect(new SendQueue().flush(writer)).toBe(true);
    expect(writer.calls).toBe(0);
  });

  test("a message above the limit is a RangeError and leaves nothing behind, on every path", () => {
    const queue = new SendQueue();
    queue.enqueue("before", 10);
    // A short string whose UTF-8 is too long (the in-arena encoding path), a long string, bytes.
    expect(() => queue.enqueue("é".repeat(6), 10)).toThrow(RangeError);
    expect(() => queue.enqueue("x".repeat(1000), 10)).toThrow(RangeError);
    expect(() => queue.enqueue(new Uint8Array(11), 10)).toThrow(RangeError);
    expect(() => queue.enqueue(5 as unknown as string, 10)).toThrow(TypeError);
    queue.enqueue("after", 10);
    expect(queue.pendingBytes).toBe(4 + 6 + 4 + 5);
    const writer = fakeWriter([]);
    queue.flush(writer);
    expect(concat(writer.written)).toEqual(concat([encodeFrame("before"), encodeFrame("after")]));
  });

  test("a writer that would block leaves everything queued; an error leaves the queue as it was", () => {
    const queue = new SendQueue();
    queue.enqueue(utf8("hello"), 100);
    expect(queue.flush(fakeWriter([0]))).toBe(false);
    expect(queue.pendingBytes).toBe(9);
    const failing: SegmentWriter = {
      send() {
        throw new Error("EPIPE");
      },
    };
    expect(() => queue.flush(failing)).toThrow("EPIPE");
    expect(queue.pendingBytes).toBe(9);
    const writer = fakeWriter([3, 100]);
    expect(queue.flush(writer)).toBe(true);
    expect(concat(writer.written)).toEqual(encodeFrame("hello"));
  });
});
