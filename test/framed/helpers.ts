/**
 * Helpers for the framed-message tests: deterministic message bytes, encoding a list of
 * messages, splitting a stream, draining a decoder, and catching the library's errors.
 * @module
 */
import { expect } from "bun:test";
import { FrameDecoder, FramedConnection, encodeFrame } from "../../src/framed/index.ts";
import { emulated } from "../helpers/env.ts";

export { expectSystemError, thrownBy } from "../helpers/errors.ts";

/** How long an integration loop may spin before the test calls it stuck. */
export const LOOP_DEADLINE_MS = emulated ? 30_000 : 5_000;

/** `size` bytes that differ with `seed` and position, so a message shifted or swapped shows. */
export function messageOf(size: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(size);
  let x = (seed * 0x9e3779b1 + 1) >>> 0;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    bytes[i] = x & 0xff;
  }
  return bytes;
}

/** The frames of `messages`, back to back. */
export function encodeAll(messages: readonly Uint8Array[], maxMessageSize?: number): Uint8Array {
  const frames = messages.map((m) => encodeFrame(m, maxMessageSize === undefined ? undefined : { maxMessageSize }));
  return concat(frames);
}

/** `chunks` joined into one array. */
export function concat(chunks: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** A 4-byte big-endian header announcing `length`. */
export function header(length: number): Uint8Array {
  const h = new Uint8Array(4);
  new DataView(h.buffer).setUint32(0, length);
  return h;
}

/** `bytes` cut at the sorted, deduplicated `cuts` (each taken modulo the length + 1). */
export function splitAt(bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let from = 0;
  for (const p of points) {
    chunks.push(bytes.subarray(from, p));
    from = p;
  }
  chunks.push(bytes.subarray(from));
  return chunks;
}

/** Every message the decoder has ready, until `next()` returns null. */
export function drain(decoder: FrameDecoder): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let m = decoder.next(); m !== null; m = decoder.next()) out.push(m);
  return out;
}

/**
 * Moves every ready message into `out` until `next()` returns null or throws; returns what it
 * threw, or null.
 */
export function collect(decoder: FrameDecoder, out: Uint8Array[]): unknown {
  try {
    for (let m = decoder.next(); m !== null; m = decoder.next()) out.push(m);
    return null;
  } catch (error) {
    return error;
  }
}

/** Asserts that `actual` holds exactly `expected`, in order, each in a buffer of its own. */
export function expectMessages(actual: readonly Uint8Array[], expected: readonly Uint8Array[]): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const m = actual[i]!;
    // Each message owns exactly its bytes: not a view of a shared read buffer.
    expect(m.byteOffset).toBe(0);
    expect(m.buffer.byteLength).toBe(m.length);
    if (!Buffer.from(m.buffer, m.byteOffset, m.length).equals(Buffer.from(expected[i]!))) {
      throw new Error(`message ${i} differs: ${m.length} bytes received, ${expected[i]!.length} expected`);
    }
  }
}


/**
 * Flushes `from` and receives on `to` in turns until `count` messages have arrived (or the
 * deadline passes), the way an event loop would interleave them.
 */
export function pump(from: FramedConnection, to: FramedConnection, count: number): Uint8Array[] {
  const received: Uint8Array[] = [];
  const deadline = performance.now() + LOOP_DEADLINE_MS;
  while (received.length < count) {
    if (performance.now() > deadline) throw new Error(`stuck after ${received.length} of ${count} messages`);
    from.flush();
    for (let m = to.receive(); m !== null; m = to.receive()) received.push(m);
  }
  return received;
}
