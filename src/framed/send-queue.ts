/**
 * The outgoing side of a {@link FramedConnection}: frames queued as a list of byte segments and
 * written with gathered sends, resuming after a partial write at any byte.
 *
 * Why it is laid out this way:
 * - Headers, and payloads of at most {@link COPY_LIMIT} bytes, are copied into an arena; a frame
 *   that follows another in the arena extends the same segment, so a burst of small messages
 *   goes out as one segment instead of two per frame, written with a plain send(2) (no msghdr to
 *   fill). The arena is reused once everything is written, so steady small traffic allocates
 *   nothing.
 * - Larger payloads are queued as they are (no copy) between arena segments.
 * - One sendmsg takes at most {@link BATCH} segments: far below IOV_MAX (1024 on Linux, macOS and
 *   FreeBSD), beyond which sendmsg fails instead of sending less.
 *
 * @internal
 * @module
 */
import { checkMessageSize, messageBytes, writeHeader } from "./frame-encoder.ts";
import { HEADER_SIZE } from "./frame-limits.ts";

/** Payloads up to this size are copied next to their header rather than queued by reference. */
const COPY_LIMIT = 512;
const ARENA_SIZE = 16 * 1024;
const BATCH = 64;
/** Past this many written segments at the front, the segment list is trimmed. */
const TRIM_AT = 1024;

const encoder = new TextEncoder();

/**
 * What the queue writes to: a stream socket's send, of one segment or of several gathered, `null`
 * when it would block.
 */
export interface SegmentWriter {
  send(data: Uint8Array | readonly Uint8Array[]): number | null;
}

/** Frames waiting to be written. */
export class SendQueue {
  #segments: Uint8Array[] = [];
  /** The first segment not fully written, and how much of it is. */
  #head = 0;
  #headOffset = 0;
  #pending = 0;
  #arena = newArena();
  #arenaUsed = 0;
  /** Where the last segment starts in the arena, when it is an arena segment that can grow; else -1. */
  #tailStart = -1;
  readonly #batch: Uint8Array[] = [];

  /** Bytes queued and not yet written, headers included. */
  get pendingBytes(): number {
    return this.#pending;
  }

  /**
   * Queues one frame of `message` (a string as UTF-8).
   * @throws TypeError for a message of another type; RangeError when longer than `max`, and then
   *   nothing is queued.
   */
  enqueue(message: Uint8Array | string, max: number): void {
    if (typeof message === "string") {
      if (message.length * 3 <= COPY_LIMIT) {
        this.#enqueueSmallString(message, max);
        return;
      }
      // Every UTF-16 unit takes at least one UTF-8 byte: a string this long is refused without
      // first encoding all of it.
      if (message.length > max) checkMessageSize(Buffer.byteLength(message, "utf8"), max);
    }
    const payload = messageBytes(message);
    const length = payload.byteLength;
    checkMessageSize(length, max);
    const copied = length <= COPY_LIMIT;
    const at = this.#reserve(HEADER_SIZE + (copied ? length : 0));
    writeHeader(this.#arena, at, length);
    if (copied) {
      this.#arena.set(payload, at + HEADER_SIZE);
      this.#grow(at, HEADER_SIZE + length);
    } else {
      this.#grow(at, HEADER_SIZE);
      this.#segments.push(payload);
      this.#tailStart = -1;
    }
    this.#pending += HEADER_SIZE + length;
  }

  /**
   * Writes as much as `writer` takes. Returns true when the queue is empty, false when the writer
   * would block with bytes still queued.
   * @throws whatever `writer.send` throws (EPIPE, ECONNRESET, …); the queue is left as it was
   *   before that call.
   */
  flush(writer: SegmentWriter): boolean {
    while (this.#pending > 0) {
      const count = Math.min(BATCH, this.#segments.length - this.#head);
      // One segment (small frames share one) goes out alone: a plain send(2), no msghdr to fill.
      const sent = count === 1 ? writer.send(this.#unwrittenHead()) : this.#sendGathered(writer, count);
      // A stream socket never reports 0 for a nonempty send; treating it as "would block"
      // keeps a misbehaving writer from spinning this loop.
      if (sent === null || sent === 0) return false;
      this.#advance(sent);
    }
    return true;
  }

  /** What is left to write of the first segment. */
  #unwrittenHead(): Uint8Array {
    const head = this.#segments[this.#head]!;
    return this.#headOffset > 0 ? head.subarray(this.#headOffset) : head;
  }

  /** One gathered send of the first `count` segments (sendmsg(2)). */
  #sendGathered(writer: SegmentWriter, count: number): number | null {
    const batch = this.#batch;
    const segments = this.#segments;
    batch.length = count;
    for (let i = 0; i < count; i++) batch[i] = segments[this.#head + i]!;
    batch[0] = this.#unwrittenHead();
    try {
      return writer.send(batch);
    } finally {
      // The batch must not keep payloads alive after they are written.
      batch.length = 0;
    }
  }

  /** Drops everything queued. */
  clear(): void {
    this.#segments = [];
    this.#head = this.#headOffset = this.#pending = this.#arenaUsed = 0;
    this.#tailStart = -1;
  }

  #enqueueSmallString(message: string, max: number): void {
    // UTF-8 takes at most 3 bytes per UTF-16 code unit, so 3 × length is always room enough.
    const at = this.#reserve(HEADER_SIZE + message.length * 3);
    const { written } = encoder.encodeInto(message, this.#arena.subarray(at + HEADER_SIZE, at + HEADER_SIZE + message.length * 3));
    // Bytes written into the arena beyond #arenaUsed are simply overwritten later if this throws.
    checkMessageSize(written, max);
    writeHeader(this.#arena, at, written);
    this.#grow(at, HEADER_SIZE + written);
    this.#pending += HEADER_SIZE + written;
  }

  /** The arena offset of `bytes` free bytes, starting a new arena when the current one is full. */
  #reserve(bytes: number): number {
    if (this.#arenaUsed + bytes > this.#arena.length) {
      // Queued segments still point into the old arena; it is freed once they are written.
      this.#arena = newArena();
      this.#arenaUsed = 0;
      this.#tailStart = -1;
    }
    return this.#arenaUsed;
  }

  /** Claims `bytes` at arena offset `at` (from #reserve) as the end of the queue. */
  #grow(at: number, bytes: number): void {
    const end = at + bytes;
    if (this.#tailStart >= 0) {
      this.#segments[this.#segments.length - 1] = this.#arena.subarray(this.#tailStart, end);
    } else {
      this.#segments.push(this.#arena.subarray(at, end));
      this.#tailStart = at;
    }
    this.#arenaUsed = end;
  }

  /** Marks `sent` bytes from the front as written. */
  #advance(sent: number): void {
    this.#pending -= sent;
    if (this.#pending === 0) {
      this.clear();
      return;
    }
    const segments = this.#segments;
    let left = sent + this.#headOffset;
    let head = this.#head;
    while (left >= segments[head]!.length) {
      left -= segments[head]!.length;
      // Written payloads are released now, not when the whole queue empties.
      segments[head] = undefined as unknown as Uint8Array;
      head++;
    }
    this.#head = head;
    this.#headOffset = left;
    if (head >= TRIM_AT && head * 2 >= segments.length) {
      this.#segments = segments.slice(head);
      this.#head = 0;
    }
  }
}

function newArena(): Uint8Array {
  // ArrayBuffer-backed from the start, so its address is fixed for the iovecs that point into it.
  return new Uint8Array(new ArrayBuffer(ARENA_SIZE));
}
