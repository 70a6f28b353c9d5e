// Properties of FrameDecoder over random messages and random splits of their byte stream. A
// failure prints fast-check's seed and the shrunk counterexample; rerun with that seed in
// fc.assert's options to reproduce it.
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { SystemError } from "../../src/index.ts";
import { FrameDecoder } from "../../src/framed/index.ts";
import { emulated } from "../helpers/env.ts";
import { collect, concat, drain, encodeAll, expectMessages, expectSystemError, header, messageOf, splitAt } from "./helpers.ts";

const runs = emulated ? 25 : 150;

/** Sizes from 0 to about 70 KiB, mostly small, some either side of the 64 KiB read buffer. */
const size = fc.oneof(
  { arbitrary: fc.integer({ min: 0, max: 8 }), weight: 4 },
  { arbitrary: fc.integer({ min: 0, max: 700 }), weight: 3 },
  { arbitrary: fc.integer({ min: 65_520, max: 70 * 1024 }), weight: 1 },
);

/** A list of messages, as sizes plus a seed for their content. */
const messageList = (sizes: fc.Arbitrary<number>, maxLength: number) =>
  fc.record({ sizes: fc.array(sizes, { maxLength }), seed: fc.nat() }).map(({ sizes: list, seed }) => list.map((n, i) => messageOf(n, seed + i)));

/** null: the default 64 KiB read buffer; else a tiny one, so small messages take the big-frame path too. */
const bufferSize = fc.option(fc.integer({ min: 4, max: 80 }), { nil: undefined });

describe("FrameDecoder properties", () => {
  test("any split of any message list decodes to exactly those messages, in order", () => {
    fc.assert(
      fc.property(messageList(size, 12), fc.array(fc.nat(), { maxLength: 40 }), bufferSize, (messages, cuts, buffer) => {
        const decoder = new FrameDecoder({ bufferSize: buffer });
        const out: Uint8Array[] = [];
        for (const chunk of splitAt(encodeAll(messages), cuts)) {
          decoder.push(chunk);
          out.push(...drain(decoder));
        }
        decoder.end();
        out.push(...drain(decoder));
        expectMessages(out, messages);
        expect(decoder.ended).toBe(true);
      }),
      { numRuns: runs },
    );
  });

  test("fed one byte at a time, each message appears exactly when its last byte arrives", () => {
    fc.assert(
      fc.property(messageList(fc.integer({ min: 0, max: 24 }), 8), bufferSize, (messages, buffer) => {
        const stream = encodeAll(messages);
        // The stream offsets at which each frame is complete.
        const ends: number[] = [];
        let at = 0;
        for (const m of messages) ends.push((at += 4 + m.length));
        const decoder = new FrameDecoder({ bufferSize: buffer });
        const out: Uint8Array[] = [];
        for (let i = 0; i < stream.length; i++) {
          decoder.push(stream.subarray(i, i + 1));
          out.push(...drain(decoder));
          expect(out.length).toBe(ends.filter((e) => e <= i + 1).length);
        }
        expectMessages(out, messages);
      }),
      { numRuns: runs },
    );
  });

  test("every single cut point of a small stream, through readTarget and commit", () => {
    fc.assert(
      fc.property(messageList(fc.integer({ min: 0, max: 12 }), 5), bufferSize, (messages, buffer) => {
        const stream = encodeAll(messages);
        for (let cut = 0; cut <= stream.length; cut++) {
          const decoder = new FrameDecoder({ bufferSize: buffer });
          for (const chunk of [stream.subarray(0, cut), stream.subarray(cut)]) {
            for (let offset = 0; offset < chunk.length; ) {
              const target = decoder.readTarget();
              const n = Math.min(target.length, chunk.length - offset);
              target.set(chunk.subarray(offset, offset + n));
              decoder.commit(n);
              offset += n;
            }
          }
          expectMessages(drain(decoder), messages);
        }
      }),
      { numRuns: emulated ? 10 : 60 },
    );
  });

  test("the whole stream in one chunk decodes at once", () => {
    fc.assert(
      fc.property(messageList(size, 40), (messages) => {
        const decoder = new FrameDecoder();
        decoder.push(encodeAll(messages));
        expectMessages(drain(decoder), messages);
        expect(decoder.bufferedBytes).toBe(0);
      }),
      { numRuns: runs },
    );
  });

  test("a stream cut inside its last frame gives every earlier message, then EPROTO, then the end", () => {
    fc.assert(
      fc.property(
        messageList(size, 6),
        fc.integer({ min: 0, max: 70 * 1024 }),
        fc.nat(),
        fc.array(fc.nat(), { maxLength: 10 }),
        bufferSize,
        (messages, lastSize, keepSeed, cuts, buffer) => {
          const last = encodeAll([messageOf(lastSize, 99)]);
          // Keep 1 to length - 1 bytes of the last frame: never none of it, never all of it.
          const partial = last.subarray(0, 1 + (keepSeed % (last.length - 1)));
          const decoder = new FrameDecoder({ bufferSize: buffer });
          const out: Uint8Array[] = [];
          for (const chunk of splitAt(concat([encodeAll(messages), partial]), cuts)) {
            decoder.push(chunk);
            expect(collect(decoder, out)).toBeNull();
          }
          decoder.end();
          const failure = collect(decoder, out);
          expectMessages(out, messages);
          expect(failure).toBeInstanceOf(SystemError);
          expect((failure as SystemError).code).toBe("EPROTO");
          expect(decoder.ended).toBe(true);
          expect(decoder.next()).toBeNull();
        },
      ),
      { numRuns: runs },
    );
  });

  test("a header above the limit gives every earlier message, then EMSGSIZE on every call", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1000 }),
        fc.array(fc.integer({ min: 0, max: 1000 }), { maxLength: 8 }),
        fc.nat(),
        fc.integer({ min: 1, max: 0xffffffff }),
        fc.uint8Array({ maxLength: 64 }),
        fc.array(fc.nat(), { maxLength: 10 }),
        (max, sizes, seed, excess, trailing, cuts) => {
          const messages = sizes.map((n, i) => messageOf(Math.min(n, max), seed + i));
          const announced = Math.min(max + excess, 0xffffffff);
          const decoder = new FrameDecoder({ maxMessageSize: max });
          const out: Uint8Array[] = [];
          let failure: unknown = null;
          for (const chunk of splitAt(concat([encodeAll(messages), header(announced), trailing]), cuts)) {
            decoder.push(chunk);
            failure = collect(decoder, out);
            if (failure !== null) break;
          }
          expectMessages(out, messages);
          expect(failure).toBeInstanceOf(SystemError);
          expect((failure as SystemError).code).toBe("EMSGSIZE");
          expectSystemError(() => decoder.next(), "EMSGSIZE");
          expect(decoder.ended).toBe(false);
        },
      ),
      { numRuns: runs },
    );
  });
});
