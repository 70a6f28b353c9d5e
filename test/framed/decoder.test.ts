import { describe, expect, test } from "bun:test";
import { FrameDecoder, encodeFrame } from "../../src/framed/index.ts";
import { concat, drain, encodeAll, expectMessages, expectSystemError, header, messageOf, thrownBy } from "./helpers.ts";

const text = (bytes: Uint8Array | null) => (bytes === null ? null : new TextDecoder().decode(bytes));

describe("FrameDecoder: decoding", () => {
  test("a message is available exactly when its last byte arrives, not before", () => {
    const decoder = new FrameDecoder();
    const frame = encodeFrame("abc");
    for (let i = 0; i < frame.length - 1; i++) {
      decoder.push(frame.subarray(i, i + 1));
      expect(decoder.next()).toBeNull();
      expect(decoder.bufferedBytes).toBe(i + 1);
    }
    decoder.push(frame.subarray(frame.length - 1));
    expect(text(decoder.next())).toBe("abc");
    expect(decoder.bufferedBytes).toBe(0);
  });

  test("zero-length messages are frames of their own, also back to back", () => {
    const decoder = new FrameDecoder();
    decoder.push(concat([header(0), header(0), encodeFrame("x"), header(0)]));
    expect(drain(decoder).map((m) => m.length)).toEqual([0, 0, 1, 0]);
  });

  test("many frames in one chunk come out in order, each in a buffer of its own", () => {
    const messages = Array.from({ length: 5000 }, (_, i) => messageOf(i % 7, i));
    const decoder = new FrameDecoder();
    decoder.push(encodeAll(messages));
    expectMessages(drain(decoder), messages);
  });

  test("a message larger than the read buffer is assembled in an exactly-sized buffer", () => {
    const message = messageOf(100_000, 3);
    const decoder = new FrameDecoder({ bufferSize: 16 });
    const stream = encodeAll([message, messageOf(5, 4)]);
    for (let at = 0; at < stream.length; at += 999) decoder.push(stream.subarray(at, at + 999));
    expectMessages(drain(decoder), [message, messageOf(5, 4)]);
  });

  test("readTarget + commit read straight into the decoder; a big frame's target stops at its end", () => {
    const decoder = new FrameDecoder({ bufferSize: 8 });
    const stream = encodeAll([messageOf(20, 1), encodeFrame("next")]);
    let at = 0;
    const targets: number[] = [];
    while (at < stream.length) {
      const target = decoder.readTarget();
      targets.push(target.length);
      const n = Math.min(target.length, stream.length - at);
      target.set(stream.subarray(at, at + n));
      decoder.commit(n);
      at += n;
    }
    // The buffer holds 8 bytes and a header: 12 bytes fill it; the 20-byte payload then gets its
    // own buffer holding 8 of them, and the next target is exactly the 12 bytes it still needs.
    expect(targets.slice(0, 2)).toEqual([12, 12]);
    expectMessages(drain(decoder), [messageOf(20, 1), encodeFrame("next")]);
  });

  test("a message of exactly bufferSize bytes arrives in one read, header and all, with no buffer of its own", () => {
    for (const size of [4, 64, 64 * 1024]) {
      const decoder = new FrameDecoder(size === 64 * 1024 ? undefined : { bufferSize: size });
      const frame = encodeFrame(messageOf(size, size));
      const target = decoder.readTarget();
      expect(target.length).toBe(size + 4);
      target.set(frame);
      decoder.commit(frame.length);
      expectMessages(drain(decoder), [messageOf(size, size)]);
      // The next read starts at the beginning of the same buffer: nothing was set aside.
      expect(decoder.readTarget().length).toBe(size + 4);
    }
  });

  test("commit checks n against the last target", () => {
    const decoder = new FrameDecoder({ bufferSize: 8 });
    const target = decoder.readTarget();
    expect(() => decoder.commit(target.length + 1)).toThrow(RangeError);
    expect(() => decoder.commit(-1)).toThrow(RangeError);
    expect(() => decoder.commit(1.5)).toThrow(RangeError);
    expect(() => decoder.commit("1" as unknown as number)).toThrow(TypeError);
    decoder.commit(0);
    expect(decoder.bufferedBytes).toBe(0);
  });

  test("push takes only Uint8Arrays", () => {
    const decoder = new FrameDecoder();
    expect(() => decoder.push("abc" as unknown as Uint8Array)).toThrow(TypeError);
    expect(() => decoder.push(null as unknown as Uint8Array)).toThrow(TypeError);
    decoder.push(Buffer.from([0, 0, 0, 1, 9]));
    expect(decoder.next()).toEqual(new Uint8Array([9]));
  });
});

describe("FrameDecoder: the end of the stream", () => {
  test("a clean end after whole frames: ended once every message is taken", () => {
    const decoder = new FrameDecoder();
    decoder.push(encodeAll([messageOf(3, 1), messageOf(0, 2)]));
    decoder.end();
    expect(decoder.ended).toBe(false);
    expect(decoder.inputClosed).toBe(true);
    expect(decoder.next()!.length).toBe(3);
    expect(decoder.ended).toBe(false);
    expect(decoder.next()!.length).toBe(0);
    expect(decoder.ended).toBe(true);
    expect(decoder.next()).toBeNull();
    decoder.end();
    expect(decoder.ended).toBe(true);
  });

  test.each([
    ["inside the header", 2],
    ["right after the header", 4],
    ["inside the payload", 6],
  ])("an end %s is EPROTO, once, after the whole messages before it", (_where, keep) => {
    const decoder = new FrameDecoder();
    decoder.push(concat([encodeFrame("one"), encodeFrame("two"), encodeFrame("three").subarray(0, keep)]));
    decoder.end();
    expect(text(decoder.next())).toBe("one");
    expect(text(decoder.next())).toBe("two");
    expect(decoder.ended).toBe(false);
    const error = expectSystemError(() => decoder.next(), "EPROTO", "FrameDecoder.next");
    expect(error.message).toContain(`${keep} bytes into it`);
    expect(decoder.ended).toBe(true);
    expect(decoder.next()).toBeNull();
  });

  test("an end in the middle of a frame bigger than the read buffer is EPROTO too", () => {
    const decoder = new FrameDecoder({ bufferSize: 4 });
    decoder.push(encodeFrame(messageOf(50, 1)).subarray(0, 30));
    decoder.end();
    expectSystemError(() => decoder.next(), "EPROTO");
    expect(decoder.ended).toBe(true);
  });

  test("push, readTarget and commit after end are EBADF", () => {
    const decoder = new FrameDecoder();
    decoder.end();
    expectSystemError(() => decoder.push(new Uint8Array(1)), "EBADF", "FrameDecoder.push");
    expectSystemError(() => decoder.readTarget(), "EBADF", "FrameDecoder.readTarget");
    expectSystemError(() => decoder.commit(0), "EBADF", "FrameDecoder.commit");
  });
});

describe("FrameDecoder: maxMessageSize", () => {
  test("a message of exactly the limit passes; one byte more is EMSGSIZE after the messages before it", () => {
    const decoder = new FrameDecoder({ maxMessageSize: 10 });
    decoder.push(concat([encodeFrame(messageOf(10, 1)), encodeFrame("ok"), header(11), new Uint8Array(11)]));
    expect(decoder.next()!.length).toBe(10);
    expect(text(decoder.next())).toBe("ok");
    const error = expectSystemError(() => decoder.next(), "EMSGSIZE", "FrameDecoder.next");
    expect(error.message).toContain("11-byte message");
  });

  test("EMSGSIZE is thrown on every later call, later input is discarded, and ended stays false", () => {
    const decoder = new FrameDecoder({ maxMessageSize: 0 });
    decoder.push(header(1));
    expect(decoder.inputClosed).toBe(true);
    expect(decoder.readTarget().length).toBe(0);
    decoder.push(encodeFrame(""));
    expectSystemError(() => decoder.next(), "EMSGSIZE");
    expectSystemError(() => decoder.next(), "EMSGSIZE");
    decoder.end();
    expect(decoder.ended).toBe(false);
    expectSystemError(() => decoder.next(), "EMSGSIZE");
  });

  test("a header announcing 4 GiB fails before anything of that size is allocated", () => {
    Bun.gc(true);
    const before = process.memoryUsage().arrayBuffers;
    const decoder = new FrameDecoder({ maxMessageSize: 0xffffffff - 1 });
    decoder.push(header(0xffffffff));
    expectSystemError(() => decoder.next(), "EMSGSIZE");
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(1024 * 1024);
  });

  test("setMaxMessageSize applies to headers decoded afterwards", () => {
    const decoder = new FrameDecoder({ maxMessageSize: 4 });
    decoder.push(encodeFrame("four"));
    decoder.setMaxMessageSize(2);
    expect(decoder.maxMessageSize).toBe(2);
    expect(text(decoder.next())).toBe("four");
    decoder.push(encodeFrame("abc"));
    expectSystemError(() => decoder.next(), "EMSGSIZE");
  });

  test("limits and buffer sizes are validated", () => {
    expect(new FrameDecoder().maxMessageSize).toBe(16 * 1024 * 1024);
    expect(new FrameDecoder({ maxMessageSize: 0 }).maxMessageSize).toBe(0);
    expect(new FrameDecoder({ maxMessageSize: 0xffffffff }).maxMessageSize).toBe(0xffffffff);
    for (const bad of [-1, 1.5, Number.NaN, 2 ** 32, Infinity]) {
      expect(() => new FrameDecoder({ maxMessageSize: bad })).toThrow(RangeError);
      expect(() => new FrameDecoder().setMaxMessageSize(bad)).toThrow(RangeError);
    }
    for (const bad of ["1", null, {}]) {
      expect(() => new FrameDecoder({ maxMessageSize: bad as unknown as number })).toThrow(TypeError);
      expect(() => new FrameDecoder().setMaxMessageSize(bad as unknown as number)).toThrow(TypeError);
    }
    for (const bad of [0, 3, 2 ** 30 + 1, 4.5]) expect(() => new FrameDecoder({ bufferSize: bad })).toThrow(RangeError);
    expect(() => new FrameDecoder(null as unknown as undefined)).toThrow(TypeError);
  });
});

test("thrownBy fails when nothing is thrown", () => {
  expect(() => thrownBy(() => 1)).toThrow("expected a throw");
});
