/**
 * `FrameDecoder`: turns a byte stream, in chunks split anywhere, back into whole messages. Pure:
 * no I/O, so {@link FramedConnection} reads into it and tests feed it directly.
 *
 * How the bytes are held, and why:
 * - A fixed read buffer (64 KiB by default, and room for one header, so that a message of that
 *   size is one read and one copy, not two reads and a buffer of its own) takes the stream.
 *   Every whole frame in it is copied out at once into its own exactly-sized message, so after
 *   each chunk the buffer holds at most one incomplete frame. Moving that remainder to the front
 *   happens only when the buffer's tail is full; each byte is moved at most once, so many small
 *   frames cost O(n), not O(n²).
 * - A frame that cannot fit the read buffer gets an exactly-sized buffer, allocated once its
 *   header has passed the limit check, and later bytes go straight into it (a
 *   {@link FrameDecoder.readTarget} never reaches past the frame's end). A peer announcing 4 GiB
 *   therefore fails with EMSGSIZE and allocates nothing.
 *
 * @module
 */
import { SystemError, invalidType } from "../core/errors.ts";
import { validateInteger, validateOptions } from "../core/validate.ts";
import { DEFAULT_MAX_MESSAGE_SIZE, HEADER_SIZE, validateMaxMessageSize } from "./frame-limits.ts";

/** The default read buffer: 64 KiB, a Unix stream socket's typical chunk. */
const DEFAULT_BUFFER_SIZE = 64 * 1024;
const MAX_BUFFER_SIZE = 1 << 30;
const noBytes = new Uint8Array(0);

/** Options of {@link FrameDecoder}. */
export interface FrameDecoderOptions {
  /**
   * The longest payload accepted, in bytes, 0 to 2^32 - 1. A header announcing more fails the
   * stream with EMSGSIZE. Default 16 MiB.
   */
  readonly maxMessageSize?: number;
  /**
   * The longest payload the read buffer takes, in bytes, 4 to 2^30; default 64 KiB. The buffer
   * has room for a header besides, so that a message of up to this size arrives in one read;
   * longer frames are assembled in a buffer of their own. Allocated on first use.
   */
  readonly bufferSize?: number;
}

let setMethod: (decoder: FrameDecoder, method: string) => void;

/**
 * A decoder whose errors name `method` (such as `"FramedConnection.receive"`) as their syscall.
 * @internal
 */
export function decoderFor(method: string, maxMessageSize: number): FrameDecoder {
  const decoder = new FrameDecoder({ maxMessageSize });
  setMethod(decoder, method);
  return decoder;
}

/**
 * An incremental decoder of length-prefixed frames (a 4-byte unsigned big-endian length, then
 * that many bytes): push bytes as they arrive, split anywhere, and take whole messages out in
 * order. Each message is a new Uint8Array that belongs to the caller.
 *
 * The stream can end three ways:
 * - cleanly: {@link FrameDecoder.end} after the last whole frame; once every message is taken,
 *   `ended` is true and `next()` returns `null`.
 * - in the middle of a frame: after every whole message before it, `next()` throws a
 *   `SystemError` EPROTO once; then `ended` is true and `next()` returns `null`.
 * - with a header above `maxMessageSize`: after every whole message before it, `next()` throws a
 *   `SystemError` EMSGSIZE, and again on every later call: the stream cannot be resynchronised.
 *   Later input is discarded; `ended` stays false.
 *
 * @example
 * ```ts
 * import { FrameDecoder, encodeFrame } from "bunix";
 * const decoder = new FrameDecoder();
 * const bytes = new Uint8Array([...encodeFrame("one"), ...encodeFrame("")]);
 * decoder.push(bytes.subarray(0, 5));    // split anywhere
 * console.assert(decoder.next() === null);
 * decoder.push(bytes.subarray(5));
 * console.assert(new TextDecoder().decode(decoder.next()!) === "one");
 * console.assert(decoder.next()!.length === 0);
 * decoder.end();
 * console.assert(decoder.ended);
 * ```
 */
export class FrameDecoder {
  static {
    setMethod = (decoder, method) => {
      decoder.#method = method;
    };
  }

  #method = "FrameDecoder.next";
  #max: number;
  readonly #bufferSize: number;
  /** The read buffer; unread bytes are [#start, #end). Null until first used and after the input closes. */
  #buffer: Uint8Array | null = null;
  #start = 0;
  #end = 0;
  /** A frame too big for the read buffer, filled up to #largeFilled. */
  #large: Uint8Array | null = null;
  #largeFilled = 0;
  /** Decoded messages not yet taken, from #head on. */
  #messages: (Uint8Array | undefined)[] = [];
  #head = 0;
  /** The length of the last readTarget(), the most commit() may claim. */
  #targetLength = 0;
  #endSeen = false;
  /** EPROTO or EMSGSIZE, thrown once every earlier message is taken. */
  #failure: SystemError | null = null;
  #failed = false;

  /**
   * @throws TypeError / RangeError for bad options.
   */
  constructor(options?: FrameDecoderOptions) {
    const opts = validateOptions(options);
    this.#max = opts.maxMessageSize === undefined ? DEFAULT_MAX_MESSAGE_SIZE : validateMaxMessageSize(opts.maxMessageSize, "options.maxMessageSize");
    this.#bufferSize = opts.bufferSize === undefined ? DEFAULT_BUFFER_SIZE : validateInteger(opts.bufferSize, "options.bufferSize", HEADER_SIZE, MAX_BUFFER_SIZE);
  }

  /** The longest payload accepted, in bytes. */
  get maxMessageSize(): number {
    return this.#max;
  }

  /**
   * Changes the limit for frames whose header has not been decoded yet; frames already decoded
   * (or being assembled) keep the limit they passed.
   * @throws TypeError / RangeError unless an integer from 0 to 2^32 - 1.
   * @example
   * ```ts
   * decoder.setMaxMessageSize(1024 * 1024);
   * ```
   */
  setMaxMessageSize(n: number): void {
    this.#max = validateMaxMessageSize(n, "n");
  }

  /**
   * True once the stream has ended (by {@link FrameDecoder.end}) and everything before the end
   * has been taken: every whole message and, if it ended mid-frame, the EPROTO error.
   */
  get ended(): boolean {
    return this.#endSeen && this.#failure === null && this.#head === this.#messages.length;
  }

  /**
   * Whether `next()` has something without more input: a whole message, or the error to throw
   * (EPROTO, EMSGSIZE).
   */
  get ready(): boolean {
    return this.#head < this.#messages.length || this.#failure !== null;
  }

  /** True when no more input is taken: after {@link FrameDecoder.end} or an EMSGSIZE failure. */
  get inputClosed(): boolean {
    return this.#endSeen || this.#failed;
  }

  /** Bytes held that are not yet part of a whole message (a frame in progress, its header included). */
  get bufferedBytes(): number {
    return this.#large === null ? this.#end - this.#start : HEADER_SIZE + this.#largeFilled;
  }

  /**
   * Copies `bytes` in and decodes every frame they complete. After an EMSGSIZE failure input is
   * discarded.
   * @throws TypeError when `bytes` is not a Uint8Array.
   * @throws SystemError EBADF after {@link FrameDecoder.end}.
   * @example
   * ```ts
   * decoder.push(new Uint8Array([0, 0, 0, 1, 42]));
   * console.assert(decoder.next()![0] === 42);
   * ```
   */
  push(bytes: Uint8Array): void {
    if (!(bytes instanceof Uint8Array)) throw invalidType("bytes", "a Uint8Array", bytes);
    this.#checkOpen("push");
    let offset = 0;
    while (offset < bytes.length && !this.#failed) {
      const target = this.readTarget();
      const n = Math.min(target.length, bytes.length - offset);
      target.set(bytes.subarray(offset, offset + n));
      offset += n;
      this.commit(n);
    }
  }

  /**
   * Where the next bytes of the stream should be written, for reading straight into the decoder
   * (a `recv` into it, then {@link FrameDecoder.commit}). Never empty while input is taken; empty
   * after an EMSGSIZE failure. Valid until the next `commit`, `push` or `end`.
   * @throws SystemError EBADF after {@link FrameDecoder.end}.
   * @example
   * ```ts
   * const got = sock.recv(decoder.readTarget());
   * if (got !== null) got.bytes === 0 ? decoder.end() : decoder.commit(got.bytes);
   * ```
   */
  readTarget(): Uint8Array {
    this.#checkOpen("readTarget");
    let target: Uint8Array;
    if (this.#failed) {
      target = noBytes;
    } else if (this.#large !== null) {
      target = this.#large.subarray(this.#largeFilled);
    } else {
      // Room for a header too, so that a message of up to bufferSize bytes arrives in one read.
      const buffer = (this.#buffer ??= new Uint8Array(new ArrayBuffer(this.#bufferSize + HEADER_SIZE)));
      if (this.#end === buffer.length) {
        // Only an incomplete frame is left, and it fits the buffer (a bigger one would be in
        // #large), so moving it to the front makes room for the rest of it.
        buffer.copyWithin(0, this.#start, this.#end);
        this.#end -= this.#start;
        this.#start = 0;
      }
      target = buffer.subarray(this.#end);
    }
    this.#targetLength = target.length;
    return target;
  }

  /**
   * Accepts `n` bytes written at the start of the last {@link FrameDecoder.readTarget}, and
   * decodes every frame they complete.
   * @throws RangeError when `n` is not an integer from 0 to that target's length.
   * @throws SystemError EBADF after {@link FrameDecoder.end}.
   */
  commit(n: number): void {
    this.#checkOpen("commit");
    validateInteger(n, "n", 0, this.#targetLength);
    this.#targetLength -= n;
    if (n === 0 || this.#failed) return;
    const large = this.#large;
    if (large !== null) {
      this.#largeFilled += n;
      if (this.#largeFilled === large.length) {
        this.#messages.push(large);
        this.#large = null;
      }
      return;
    }
    this.#end += n;
    this.#decode();
  }

  /**
   * Marks the end of the stream (the peer closed). If a frame was in progress, `next()` throws
   * EPROTO once the whole messages before it are taken. Idempotent.
   */
  end(): void {
    if (this.#endSeen) return;
    this.#endSeen = true;
    this.#targetLength = 0;
    if (!this.#failed && this.bufferedBytes > 0) {
      this.#failure = new SystemError(
        "EPROTO",
        this.#method,
        `the stream ended in the middle of a frame, ${this.bufferedBytes} bytes into it`,
      );
    }
    this.#buffer = null;
    this.#large = null;
    this.#start = this.#end = 0;
  }

  /**
   * The next whole message, or `null` until one is complete (or after the end).
   * @throws SystemError EPROTO once, after the messages before it, when the stream ended in the
   *   middle of a frame; EMSGSIZE, on this and every later call, when a header announced more
   *   than `maxMessageSize`.
   * @example
   * ```ts
   * for (let m = decoder.next(); m !== null; m = decoder.next()) handle(m);
   * ```
   */
  next(): Uint8Array | null {
    const messages = this.#messages;
    if (this.#head < messages.length) {
      const message = messages[this.#head]!;
      // Dropped here so that the queue never keeps a message the caller has let go of.
      messages[this.#head++] = undefined;
      if (this.#head === messages.length) {
        messages.length = 0;
        this.#head = 0;
      }
      return message;
    }
    const failure = this.#failure;
    if (failure === null) return null;
    // EPROTO is the end of the stream, reported once; EMSGSIZE leaves a stream that can never
    // be read again, so every call says so.
    if (!this.#failed) this.#failure = null;
    throw failure;
  }

  /** Copies out every whole frame in the read buffer; a frame too big for it moves to #large. */
  #decode(): void {
    const buffer = this.#buffer!;
    let start = this.#start;
    const end = this.#end;
    while (end - start >= HEADER_SIZE) {
      // Unsigned: `<<` would make lengths of 2 GiB and more negative.
      const length = buffer[start]! * 0x1000000 + ((buffer[start + 1]! << 16) | (buffer[start + 2]! << 8) | buffer[start + 3]!);
      if (length > this.#max) {
        this.#fail(length);
        return;
      }
      const payload = start + HEADER_SIZE;
      if (end - payload >= length) {
        this.#messages.push(buffer.slice(payload, payload + length));
        start = payload + length;
        continue;
      }
      if (HEADER_SIZE + length > buffer.length) {
        const large = new Uint8Array(new ArrayBuffer(length));
        large.set(buffer.subarray(payload, end));
        this.#large = large;
        this.#largeFilled = end - payload;
        start = end;
      }
      break;
    }
    if (start === end) {
      this.#start = this.#end = 0;
    } else {
      this.#start = start;
    }
  }

  #fail(length: number): void {
    this.#failed = true;
    this.#failure = new SystemError("EMSGSIZE", this.#method, `the peer announced a ${length}-byte message, above maxMessageSize (${this.#max})`);
    this.#buffer = null;
    this.#large = null;
    this.#start = this.#end = 0;
    this.#targetLength = 0;
  }

  #checkOpen(method: string): void {
    if (this.#endSeen) throw new SystemError("EBADF", `FrameDecoder.${method}`, "the stream has ended");
  }
}
