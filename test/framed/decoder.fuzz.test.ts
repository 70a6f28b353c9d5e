// A seeded fuzz run of FrameDecoder over random input: whatever arrives, it throws nothing but
// its documented errors and never asks for a buffer above its limit (or its read buffer).
import { expect, test } from "bun:test";
import { SystemError } from "../../src/index.ts";
import { FrameDecoder } from "../../src/framed/index.ts";
import { emulated } from "../helpers/env.ts";
import { collect, header, messageOf } from "./helpers.ts";

const SEED = 0x5eed_f00d;
const INPUTS = emulated ? 2_000 : 10_000;
const TIME_BOUND_MS = emulated ? 40_000 : 8_000;

/** mulberry32: small, seeded, and the same on every platform, so a failure can be replayed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Input that is sometimes noise and sometimes nearly right: valid frames, headers near the limit. */
function fuzzInput(next: () => number, max: number): Uint8Array {
  const int = (n: number) => Math.floor(next() * n);
  const parts: Uint8Array[] = [];
  const count = int(8);
  for (let i = 0; i < count; i++) {
    switch (int(5)) {
      case 0:
        parts.push(messageOf(int(96), int(1 << 30)));
        break;
      case 1: {
        const length = int(Math.min(max, 3000) + 1);
        parts.push(header(length), messageOf(length, i));
        break;
      }
      case 2:
        parts.push(header(Math.max(0, max - 2 + int(5))));
        break;
      case 3:
        parts.push(header(int(2) === 0 ? 0xffffffff : Math.floor(next() * 0x1_0000_0000)));
        break;
      default:
        parts.push(header(0));
    }
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

test(`${INPUTS} seeded random inputs: only EMSGSIZE or EPROTO, messages within the limit, no allocation above it`, () => {
  const next = random(SEED);
  const int = (n: number) => Math.floor(next() * n);
  const Original = globalThis.ArrayBuffer;
  let largestRequest = 0;
  // Every buffer the decoder allocates itself goes through `new ArrayBuffer`; watch the sizes.
  globalThis.ArrayBuffer = class extends Original {
    constructor(length: number, options?: { maxByteLength?: number }) {
      largestRequest = Math.max(largestRequest, length);
      super(length, options);
    }
  } as ArrayBufferConstructor;
  const started = performance.now();
  const codes = new Map<string, number>();
  let runs = 0;
  let bigFrames = 0;
  try {
    for (; runs < INPUTS && performance.now() - started < TIME_BOUND_MS; runs++) {
      const max = int(4) === 0 ? int(16) : int(4096);
      const bufferSize = int(2) === 0 ? 4 + int(64) : 4096;
      const input = fuzzInput(next, max);
      largestRequest = 0;
      const decoder = new FrameDecoder({ maxMessageSize: max, bufferSize });
      const out: Uint8Array[] = [];
      let failure: unknown = null;
      for (let at = 0; at < input.length && failure === null; ) {
        const n = 1 + int(Math.min(input.length - at, 700));
        if (int(2) === 0) {
          decoder.push(input.subarray(at, at + n));
          at += n;
        } else {
          const target = decoder.readTarget();
          const m = Math.min(n, target.length);
          target.set(input.subarray(at, at + m));
          decoder.commit(m);
          at += m;
          // A failed decoder takes nothing more, and says so.
          if (target.length === 0) break;
        }
        failure = collect(decoder, out);
      }
      if (failure === null && int(2) === 0) {
        decoder.end();
        failure = collect(decoder, out);
      }
      if (failure !== null) {
        if (!(failure instanceof SystemError) || (failure.code !== "EMSGSIZE" && failure.code !== "EPROTO")) {
          throw new Error(`input ${runs} (seed ${SEED}) threw an undocumented error: ${String(failure)}`);
        }
        codes.set(failure.code, (codes.get(failure.code) ?? 0) + 1);
      }
      for (const m of out) expect(m.length).toBeLessThanOrEqual(max);
      // The read buffer itself is bufferSize bytes and room for one header.
      if (largestRequest > bufferSize + 4) bigFrames++;
      if (largestRequest > Math.max(max, bufferSize + 4)) {
        throw new Error(`input ${runs} (seed ${SEED}): a ${largestRequest}-byte allocation with maxMessageSize ${max}`);
      }
    }
  } finally {
    globalThis.ArrayBuffer = Original;
  }
  expect(runs).toBeGreaterThan(Math.min(INPUTS, 500));
  // The generator reaches every ending and the big-frame allocation (so the spy saw it), or the
  // run proves little.
  expect(bigFrames).toBeGreaterThan(0);
  expect(codes.get("EMSGSIZE") ?? 0).toBeGreaterThan(0);
  expect(codes.get("EPROTO") ?? 0).toBeGreaterThan(0);
});
