/**
 * The two structs the message-queue calls take: `struct mq_attr` and the absolute
 * `struct timespec` deadline of `mq_timedsend`/`mq_timedreceive`. Each is one buffer per thread
 * (this module is instantiated per Worker), filled just before the call that reads it.
 *
 * Neither is on the hot path (`send` and `receive` pass no deadline). `mq_attr`'s fields go through
 * a DataView by their names in the ABI tables; the deadline is read and written by core/timespec.ts,
 * like every other timespec.
 *
 * @internal
 * @module
 */
import { constant, loadClock, struct, type FieldLayout } from "../../ffi/index.ts";
import { lastError } from "../core/errors.ts";
import { timeLayout, timespecNanoseconds, timespecSeconds, writeTimespecParts } from "../core/timespec.ts";

const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function readLong(view: DataView, field: FieldLayout): number {
  return field.size === 8 ? Number(view.getBigInt64(field.offset, littleEndian)) : view.getInt32(field.offset, littleEndian);
}

function writeLong(view: DataView, field: FieldLayout, value: number): void {
  if (field.size === 8) view.setBigInt64(field.offset, BigInt(value), littleEndian);
  else view.setInt32(field.offset, value, littleEndian);
}

/** What `mq_getattr` reports, as numbers. */
export interface RawAttributes {
  readonly flags: number;
  readonly maxMessages: number;
  readonly messageSize: number;
  readonly currentMessages: number;
}

interface AttrBuffer {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  readonly layout: ReturnType<typeof struct<"mq_attr">>;
}

let attr: AttrBuffer | undefined;

function attrBuffer(): AttrBuffer {
  if (attr === undefined) {
    const layout = struct("mq_attr");
    const buffer = new ArrayBuffer(layout.size);
    attr = { bytes: new Uint8Array(buffer), view: new DataView(buffer), layout };
  }
  return attr;
}

/** A zeroed `struct mq_attr` with `mq_flags`, `mq_maxmsg` and `mq_msgsize` set, for mq_open or mq_setattr. */
export function fillAttr(flags: number, maxMessages: number, messageSize: number): Uint8Array {
  const { bytes, view, layout } = attrBuffer();
  bytes.fill(0);
  writeLong(view, layout.fields.mq_flags, flags);
  writeLong(view, layout.fields.mq_maxmsg, maxMessages);
  writeLong(view, layout.fields.mq_msgsize, messageSize);
  return bytes;
}

/** A zeroed `struct mq_attr` for mq_getattr to fill. */
export function emptyAttr(): Uint8Array {
  const { bytes } = attrBuffer();
  bytes.fill(0);
  return bytes;
}

/** Decodes the buffer {@link emptyAttr} returned, after the call filled it. */
export function readAttr(): RawAttributes {
  const { view, layout } = attrBuffer();
  const { mq_flags, mq_maxmsg, mq_msgsize, mq_curmsgs } = layout.fields;
  return {
    flags: readLong(view, mq_flags),
    maxMessages: readLong(view, mq_maxmsg),
    messageSize: readLong(view, mq_msgsize),
    currentMessages: readLong(view, mq_curmsgs),
  };
}

interface Clock {
  readonly gettime: (clock: number, timespec: Uint8Array) => number;
  readonly realtime: number;
  /** The timespec, as the calls take it and as core/timespec.ts reads and writes it. */
  readonly bytes: Uint8Array;
  readonly words: Uint32Array;
}

let clock: Clock | undefined;

function realtimeClock(): Clock {
  if (clock === undefined) {
    const symbols = loadClock();
    if (symbols === undefined) throw new Error("bunix: clock_gettime is missing");
    const buffer = new ArrayBuffer(timeLayout().timespecBytes);
    clock = {
      gettime: symbols.clock_gettime,
      realtime: constant("CLOCK_REALTIME"),
      bytes: new Uint8Array(buffer),
      words: new Uint32Array(buffer),
    };
  }
  return clock;
}

const NS_PER_MS = 1_000_000;
const NS_PER_S = 1_000_000_000;

/**
 * The absolute CLOCK_REALTIME deadline `ms` milliseconds from now (fractions kept to the
 * nanosecond), as the `struct timespec` that mq_timedsend and mq_timedreceive take. POSIX fixes
 * that clock for these calls; the caller guards against it being stepped (see `timedWait`).
 */
export function deadlineAfter(ms: number): Uint8Array {
  const c = realtimeClock();
  if (c.gettime(c.realtime, c.bytes) !== 0) throw lastError("clock_gettime");
  const delta = Math.ceil(ms * NS_PER_MS);
  let sec = timespecSeconds(c.words, 0) + Math.floor(delta / NS_PER_S);
  let nsec = timespecNanoseconds(c.words, 0) + (delta % NS_PER_S);
  if (nsec >= NS_PER_S) {
    sec += 1;
    nsec -= NS_PER_S;
  }
  writeTimespecParts(c.words, 0, sec, nsec);
  return c.bytes;
}
