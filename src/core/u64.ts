/**
 * Unsigned 64-bit values as a pair of 32-bit words, so that the common path (an eventfd counter, a
 * timer's expiration count, a timespec's seconds) never creates a BigInt (docs/design/bun-ffi.md §2: BigInt
 * paths cost 6 to 55 ns per field).
 *
 * @internal
 * @module
 */

// Which word of a 64-bit value holds its low half: index 0 on a little-endian host (every platform
// bunix has tables for: x64 and arm64), computed rather than assumed so a big-endian port reads right.
const probe = new Uint8Array(new Uint32Array([1]).buffer);
/** Index (0 or 1) of the low 32-bit word of a 64-bit value, relative to its first word. */
export const LOW_WORD = probe[0] === 1 ? 0 : 1;
/** Index (0 or 1) of the high 32-bit word of a 64-bit value, relative to its first word. */
export const HIGH_WORD = 1 - LOW_WORD;

const TWO_32 = 0x1_0000_0000;

/**
 * The u64 at `words[index]` (two words) as a number. Exact up to `Number.MAX_SAFE_INTEGER`; above
 * that, the nearest double.
 */
export function readU64(words: Uint32Array, index: number): number {
  return words[index + HIGH_WORD]! * TWO_32 + words[index + LOW_WORD]!;
}

/** Stores `value`, an integer in [0, 2^64), at `words[index]` (two words). Exact for any such double. */
export function writeU64(words: Uint32Array, index: number, value: number): void {
  // Both steps are exact for an integral double: division by a power of two and floor lose nothing,
  // and the remainder is below 2^32.
  const high = Math.floor(value / TWO_32);
  words[index + HIGH_WORD] = high;
  words[index + LOW_WORD] = value - high * TWO_32;
}

/** The u64 at `words[index]` (two words) as an exact bigint. */
export function readU64BigInt(words: Uint32Array, index: number): bigint {
  return (BigInt(words[index + HIGH_WORD]!) << 32n) | BigInt(words[index + LOW_WORD]!);
}

/** Stores `value`, a bigint in [0, 2^64), at `words[index]` (two words). */
export function writeU64BigInt(words: Uint32Array, index: number, value: bigint): void {
  words[index + HIGH_WORD] = Number(value >> 32n);
  words[index + LOW_WORD] = Number(value & 0xffff_ffffn);
}
