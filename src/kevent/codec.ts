/**
 * `struct kevent` arrays in JS memory: encodes change entries and decodes returned events for one
 * kqueue flavour's layout, byte for byte, without BigInt.
 *
 * The layout comes from the flavour's `KqueueAbi` table in `ffi/` (macOS: 32 bytes; FreeBSD 12+:
 * 64 bytes with `ext[4]` after `udata`; libkqueue: 32 bytes). Nothing here knows an offset of its
 * own: the table's byte offsets are turned into indexes of 32-bit and 16-bit views over one
 * `ArrayBuffer`, created once. 64-bit fields are read and written as two little-endian 32-bit
 * halves (every target is little-endian): `ident` unsigned, `data` signed (`hi * 2^32 + lo`, with
 * `hi` as an `int32`), and `udata` kept as its two halves, which are the handle map's slot index
 * (low) and generation (high).
 *
 * @internal
 * @module
 */
import type { KqueueAbi } from "../../ffi/index.ts";

/** `struct kevent` as a `KqueueAbi` table describes it. */
export type KeventLayout = KqueueAbi["kevent"];

const TWO_32 = 4294967296;

/**
 * A fixed-size array of `struct kevent` entries over a plain `ArrayBuffer`, with typed views made
 * once. Pass {@link KeventBuffer.words} (the typed array itself, never a cached `ptr()`) as the
 * `kevent(2)` changelist or eventlist argument.
 */
export class KeventBuffer {
  /** The number of entries. */
  readonly capacity: number;
  /** `sizeof(struct kevent)` of the layout. */
  readonly entrySize: number;
  /** The whole array as 32-bit words: the view to hand to `kevent(2)`. */
  readonly words: Uint32Array;
  /** The whole array as bytes. */
  readonly bytes: Uint8Array;
  readonly #signedHalves: Int16Array;
  readonly #halves: Uint16Array;
  // Strides and field positions in units of their view.
  readonly #strideWords: number;
  readonly #strideHalves: number;
  readonly #identWord: number;
  readonly #filterHalf: number;
  readonly #flagsHalf: number;
  readonly #fflagsWord: number;
  readonly #dataWord: number;
  readonly #udataWord: number;

  /**
   * @param layout - the flavour's `struct kevent`.
   * @param capacity - how many entries to hold (at least 1).
   * @throws Error when the layout is not one this codec can address (a bug in an `ffi/` table):
   *   a 64-bit field not 4-byte aligned or not 8 bytes wide, and so on.
   */
  constructor(layout: KeventLayout, capacity: number) {
    checkLayout(layout);
    const { fields, size } = layout;
    this.capacity = capacity;
    this.entrySize = size;
    const buffer = new ArrayBuffer(size * capacity);
    this.words = new Uint32Array(buffer);
    this.bytes = new Uint8Array(buffer);
    this.#signedHalves = new Int16Array(buffer);
    this.#halves = new Uint16Array(buffer);
    this.#strideWords = size / 4;
    this.#strideHalves = size / 2;
    this.#identWord = fields.ident.offset / 4;
    this.#filterHalf = fields.filter.offset / 2;
    this.#flagsHalf = fields.flags.offset / 2;
    this.#fflagsWord = fields.fflags.offset / 4;
    this.#dataWord = fields.data.offset / 4;
    this.#udataWord = fields.udata.offset / 4;
  }

  /**
   * Writes entry `i` as `EV_SET` does: the whole entry is zeroed first (FreeBSD's `ext[4]`
   * included), then every field is stored. Arguments are trusted: callers validate them.
   * @param ident - an integer in [0, 2^53).
   * @param filter - an `int16`.
   * @param flags - a `uint16`.
   * @param fflags - a `uint32`.
   * @param data - a safe integer, negative allowed.
   * @param udataLow - the low 32 bits of `udata` (the handle map's slot index).
   * @param udataHigh - the high 32 bits of `udata` (the slot's generation).
   */
  encode(
    i: number,
    ident: number,
    filter: number,
    flags: number,
    fflags: number,
    data: number,
    udataLow: number,
    udataHigh: number,
  ): void {
    const words = this.words;
    const base = i * this.#strideWords;
    words.fill(0, base, base + this.#strideWords);
    words[base + this.#identWord] = ident >>> 0;
    words[base + this.#identWord + 1] = Math.floor(ident / TWO_32) >>> 0;
    const halfBase = i * this.#strideHalves;
    this.#signedHalves[halfBase + this.#filterHalf] = filter;
    this.#halves[halfBase + this.#flagsHalf] = flags;
    words[base + this.#fflagsWord] = fflags >>> 0;
    words[base + this.#dataWord] = data >>> 0;
    words[base + this.#dataWord + 1] = Math.floor(data / TWO_32) >>> 0;
    words[base + this.#udataWord] = udataLow >>> 0;
    words[base + this.#udataWord + 1] = udataHigh >>> 0;
  }

  /** `ident` of entry `i`, unsigned (exact below 2^53). */
  ident(i: number): number {
    const at = i * this.#strideWords + this.#identWord;
    return this.words[at + 1]! * TWO_32 + this.words[at]!;
  }

  /** `filter` of entry `i`, signed (`EVFILT_*` are negative). */
  filter(i: number): number {
    return this.#signedHalves[i * this.#strideHalves + this.#filterHalf]!;
  }

  /** `flags` of entry `i`, unsigned 16-bit. */
  flags(i: number): number {
    return this.#halves[i * this.#strideHalves + this.#flagsHalf]!;
  }

  /** `fflags` of entry `i`, unsigned 32-bit. */
  fflags(i: number): number {
    return this.words[i * this.#strideWords + this.#fflagsWord]!;
  }

  /** `data` of entry `i`, signed 64-bit as a number (exact within ±2^53). */
  data(i: number): number {
    const at = i * this.#strideWords + this.#dataWord;
    return (this.words[at + 1]! | 0) * TWO_32 + this.words[at]!;
  }

  /** The low 32 bits of `udata` of entry `i`: a token's slot index. */
  udataLow(i: number): number {
    return this.words[i * this.#strideWords + this.#udataWord]!;
  }

  /** The high 32 bits of `udata` of entry `i`: a token's generation. */
  udataHigh(i: number): number {
    return this.words[i * this.#strideWords + this.#udataWord + 1]!;
  }
}

function checkLayout(layout: KeventLayout): void {
  const { size, fields } = layout;
  const problems: string[] = [];
  if (!(size > 0 && size % 8 === 0)) problems.push(`size ${size} is not a positive multiple of 8`);
  const want = (name: keyof KeventLayout["fields"], width: number, align: number) => {
    const field = fields[name];
    if (field.size !== width) problems.push(`${name} is ${field.size} bytes, not ${width}`);
    if (field.offset % align !== 0) problems.push(`${name} at ${field.offset} is not ${align}-byte aligned`);
    if (field.offset + field.size > size) problems.push(`${name} ends past the struct`);
  };
  want("ident", 8, 4);
  want("filter", 2, 2);
  want("flags", 2, 2);
  want("fflags", 4, 4);
  want("data", 8, 4);
  want("udata", 8, 4);
  if (problems.length > 0) throw new Error(`bunix: unsupported struct kevent layout: ${problems.join("; ")}`);
}
