// Byte-exact checks of struct kevent encoding and decoding for all three kqueue flavours. They need
// no kqueue, so they run on every platform. The expected bytes are written here with a DataView at
// the offsets docs/design/platform-abi.md §4.3 documents, not read from the ffi/ tables under test.
import { describe, expect, test } from "bun:test";
import { darwinKqueue } from "../../ffi/darwin-common.ts";
import { freebsdX64 } from "../../ffi/freebsd-x64.ts";
import { libkqueueAbi } from "../../ffi/libkqueue.ts";
import type { KqueueAbi } from "../../ffi/shape.ts";
import { KeventBuffer } from "../../src/kevent/codec.ts";

interface Entry {
  ident: number;
  filter: number;
  flags: number;
  fflags: number;
  data: number;
  udataLow: number;
  udataHigh: number;
}

// docs/design/platform-abi.md §4.3: ident u64 @0, filter i16 @8, flags u16 @10, fflags u32 @12, data i64 @16,
// udata u64 @24; FreeBSD >= 12 adds ext[4] (u64) @32, for 64 bytes.
const flavours: { name: string; abi: KqueueAbi; size: number }[] = [
  { name: "macOS (32 bytes)", abi: darwinKqueue, size: 32 },
  { name: "FreeBSD 12+ (64 bytes)", abi: freebsdX64.kqueue, size: 64 },
  { name: "libkqueue (32 bytes)", abi: libkqueueAbi, size: 32 },
];

function expectedBytes(size: number, entries: Entry[], ext?: bigint[]): string {
  const view = new DataView(new ArrayBuffer(size * entries.length));
  entries.forEach((entry, i) => {
    const at = i * size;
    view.setBigUint64(at + 0, BigInt(entry.ident), true);
    view.setInt16(at + 8, entry.filter, true);
    view.setUint16(at + 10, entry.flags, true);
    view.setUint32(at + 12, entry.fflags, true);
    view.setBigInt64(at + 16, BigInt(entry.data), true);
    view.setUint32(at + 24, entry.udataLow, true);
    view.setUint32(at + 28, entry.udataHigh, true);
    if (ext !== undefined) ext.forEach((value, k) => view.setBigUint64(at + 32 + 8 * k, value, true));
  });
  return Buffer.from(view.buffer).toString("hex");
}

const sample: Entry[] = [
  // An ident above 2^32, EVFILT_USER of FreeBSD/libkqueue, NOTE_FFOR|5, a negative data.
  { ident: 0x1_2345_6789, filter: -11, flags: 0x0071, fflags: 0x80000005, data: -5, udataLow: 7, udataHigh: 0xdeadbeef },
  // data above 2^32, the highest flag bit, an all-ones fflags.
  { ident: 3, filter: -1, flags: 0x8000, fflags: 0xffffffff, data: 2 ** 40 + 3, udataLow: 0xffffffff, udataHigh: 1 },
  // A large negative data (hi word 0xfffffffe…), filter at the int16 minimum.
  { ident: Number.MAX_SAFE_INTEGER, filter: -32768, flags: 0xffff, fflags: 0, data: -(2 ** 32 + 5), udataLow: 0, udataHigh: 0 },
  { ident: 0, filter: 0x7fff, flags: 0, fflags: 0, data: Number.MIN_SAFE_INTEGER, udataLow: 1, udataHigh: 0x80000000 },
];

for (const { name, abi, size } of flavours) {
  describe(`struct kevent codec, ${name}`, () => {
    test("the table's stride is the documented size", () => {
      expect(new KeventBuffer(abi.kevent, 3).bytes.byteLength).toBe(3 * size);
      expect(new KeventBuffer(abi.kevent, 1).entrySize).toBe(size);
    });

    test("encode writes exactly the documented bytes, zeroing everything else (FreeBSD ext[4] too)", () => {
      const buffer = new KeventBuffer(abi.kevent, sample.length);
      buffer.bytes.fill(0xaa); // garbage from an earlier use must not survive
      sample.forEach((e, i) => buffer.encode(i, e.ident, e.filter, e.flags, e.fflags, e.data, e.udataLow, e.udataHigh));
      expect(Buffer.from(buffer.bytes).toString("hex")).toBe(expectedBytes(size, sample));
    });

    test("one known entry as a hex dump", () => {
      const buffer = new KeventBuffer(abi.kevent, 1);
      buffer.encode(0, 9, -7, 0x0011, 0x2, 1500, 4, 2);
      const head =
        "0900000000000000" + // ident 9
        "f9ff" + // filter -7
        "1100" + // EV_ADD|EV_ONESHOT
        "02000000" + // fflags 2
        "dc05000000000000" + // data 1500
        "0400000002000000"; // udata: slot 4, generation 2
      expect(Buffer.from(buffer.bytes).toString("hex")).toBe(head + "00".repeat(size - 32));
    });

    test("decode reads every field back from independently written bytes, entry by entry", () => {
      const ext = size === 64 ? [0x1111n, 0x2222n, 0x3333n, 0xffffffffffffffffn] : undefined;
      const hex = expectedBytes(size, sample, ext);
      const buffer = new KeventBuffer(abi.kevent, sample.length);
      buffer.bytes.set(Buffer.from(hex, "hex"));
      sample.forEach((e, i) => {
        expect(buffer.ident(i)).toBe(e.ident);
        expect(buffer.filter(i)).toBe(e.filter);
        expect(buffer.flags(i)).toBe(e.flags);
        expect(buffer.fflags(i)).toBe(e.fflags);
        expect(buffer.data(i)).toBe(e.data);
        expect(buffer.udataLow(i)).toBe(e.udataLow);
        expect(buffer.udataHigh(i)).toBe(e.udataHigh);
      });
    });

    test("negative filters are int16, flags and fflags unsigned", () => {
      const buffer = new KeventBuffer(abi.kevent, 1);
      const view = new DataView(buffer.bytes.buffer);
      view.setUint16(8, 0xfff6, true);
      view.setUint16(10, 0xc000, true);
      view.setUint32(12, 0x80000000, true);
      expect(buffer.filter(0)).toBe(-10);
      expect(buffer.flags(0)).toBe(0xc000);
      expect(buffer.fflags(0)).toBe(0x80000000);
    });
  });
}

test("a layout the codec cannot address is refused", () => {
  const fields = { ...libkqueueAbi.kevent.fields, data: { offset: 18, size: 8 } };
  expect(() => new KeventBuffer({ size: 32, fields }, 1)).toThrow("unsupported struct kevent layout");
  const narrow = { ...libkqueueAbi.kevent.fields, udata: { offset: 24, size: 4 } };
  expect(() => new KeventBuffer({ size: 32, fields: narrow }, 1)).toThrow("udata is 4 bytes");
});
