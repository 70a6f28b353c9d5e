/**
 * Encoding frames: a 4-byte unsigned big-endian length, then the payload.
 *
 * @module
 */
import { invalidType } from "../core/errors.ts";
import { validateOptions } from "../core/validate.ts";
import { DEFAULT_MAX_MESSAGE_SIZE, HEADER_SIZE, validateMaxMessageSize } from "./frame-limits.ts";

const encoder = new TextEncoder();

/** Options of {@link encodeFrame}. */
export interface EncodeFrameOptions {
  /** The largest payload to accept, in bytes, 0 to 2^32 - 1. Default 16 MiB. */
  readonly maxMessageSize?: number;
}

/**
 * Encodes one message as a frame: its length as a 4-byte unsigned big-endian integer, then its
 * bytes (a string as UTF-8), in one new buffer. For your own transport; a
 * {@link FramedConnection} frames what it sends itself, without this copy.
 *
 * @param message - the payload; may be empty.
 * @throws TypeError when `message` is neither a Uint8Array nor a string.
 * @throws RangeError when the payload is longer than `maxMessageSize` (default 16 MiB).
 * @example
 * ```ts
 * import { encodeFrame } from "bunix";
 * const frame = encodeFrame("hi");
 * console.assert(frame.join() === "0,0,0,2,104,105");
 * ```
 */
export function encodeFrame(message: Uint8Array | string, options?: EncodeFrameOptions): Uint8Array {
  const { maxMessageSize } = validateOptions(options);
  const max = maxMessageSize === undefined ? DEFAULT_MAX_MESSAGE_SIZE : validateMaxMessageSize(maxMessageSize, "options.maxMessageSize");
  const payload = messageBytes(message);
  checkMessageSize(payload.byteLength, max);
  const frame = new Uint8Array(new ArrayBuffer(HEADER_SIZE + payload.byteLength));
  writeHeader(frame, 0, payload.byteLength);
  frame.set(payload, HEADER_SIZE);
  return frame;
}

/**
 * Writes the 4-byte big-endian `length` at `offset`. Byte by byte: a DataView per call would
 * cost an allocation on the hot path of small frames.
 * @internal
 */
export function writeHeader(target: Uint8Array, offset: number, length: number): void {
  target[offset] = length >>> 24;
  target[offset + 1] = (length >>> 16) & 0xff;
  target[offset + 2] = (length >>> 8) & 0xff;
  target[offset + 3] = length & 0xff;
}

/**
 * A message's payload bytes: the array itself, or a string's UTF-8.
 * @throws TypeError for anything else.
 * @internal
 */
export function messageBytes(message: unknown): Uint8Array {
  if (message instanceof Uint8Array) return message;
  if (typeof message === "string") return encoder.encode(message);
  throw invalidType("message", "a Uint8Array or a string", message);
}

/**
 * Throws the RangeError for a payload of `length` bytes above `max`.
 * @internal
 */
export function checkMessageSize(length: number, max: number): void {
  if (length <= max) return;
  // Shaped like the library's other range errors, but the received value is a length, not the
  // message itself, which may be megabytes.
  const error = new RangeError(
    `The value of "message" is out of range. It must be at most ${max} bytes long (maxMessageSize). Received ${length} bytes`,
  );
  (error as RangeError & { code: string }).code = "ERR_OUT_OF_RANGE";
  throw error;
}
