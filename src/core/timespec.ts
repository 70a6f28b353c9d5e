/**
 * Milliseconds (a JS number, fractions kept) to and from `struct timespec` and `struct itimerspec`,
 * with the layouts of the running platform (`ffi/`), through 32-bit words: no BigInt, no DataView.
 * Every timespec bunix hands the kernel (timerfd, kevent's timeout, the message-queue deadlines) is
 * written by {@link writeTimespecParts}.
 *
 * @internal
 * @module
 */
import { struct } from "../../ffi/index.ts";
import { invalidType, outOfRange } from "./errors.ts";
import { HIGH_WORD, LOW_WORD, readU64, writeU64 } from "./u64.ts";

/**
 * The largest time bunix passes to the kernel, in ms (about 285,000 years): its seconds stay an
 * exact integer in a double and far inside `time_t`.
 */
export const MAX_TIME_MS = Number.MAX_SAFE_INTEGER;

/**
 * The longest timer duration, in ms, whose count of microseconds is still an exact integer: a
 * kqueue timer (`Kqueue.registerTimer`) is set in microseconds, and the Poller keeps the same limit
 * on both backends.
 */
export const MAX_TIMER_MS = Math.floor(Number.MAX_SAFE_INTEGER / 1000);

const NS_PER_MS = 1e6;
const NS_PER_SECOND = 1e9;

/** Where the fields sit, in 32-bit words from the start of the struct. */
interface TimeLayout {
  /** `sizeof(struct timespec)` in bytes. */
  readonly timespecBytes: number;
  /** `sizeof(struct itimerspec)` in bytes. */
  readonly itimerspecBytes: number;
  readonly secWord: number;
  readonly nsecWord: number;
  /** Whether `tv_nsec` is 8 bytes (`long` on LP64), so its high word must be written as 0. */
  readonly nsecWide: boolean;
  readonly intervalWord: number;
  readonly valueWord: number;
}

let layout: TimeLayout | undefined;

/** The timespec and itimerspec layouts of this platform, in words; checked once. */
export function timeLayout(): TimeLayout {
  if (layout !== undefined) return layout;
  const timespec = struct("timespec");
  const itimerspec = struct("itimerspec");
  const { tv_sec, tv_nsec } = timespec.fields;
  const { it_interval, it_value } = itimerspec.fields;
  const offsets = [tv_sec.offset, tv_nsec.offset, it_interval.offset, it_value.offset, timespec.size, itimerspec.size];
  // Word access needs 4-aligned fields, and the seconds are read as a full 64-bit time_t.
  if (offsets.some((offset) => offset % 4 !== 0) || tv_sec.size !== 8 || (tv_nsec.size !== 4 && tv_nsec.size !== 8)) {
    throw new Error(`bunix: timespec layout not decodable as 32-bit words: ${JSON.stringify({ timespec, itimerspec })}`);
  }
  layout = {
    timespecBytes: timespec.size,
    itimerspecBytes: itimerspec.size,
    secWord: tv_sec.offset / 4,
    nsecWord: tv_nsec.offset / 4,
    nsecWide: tv_nsec.size === 8,
    intervalWord: it_interval.offset / 4,
    valueWord: it_value.offset / 4,
  };
  return layout;
}

/**
 * A time in ms for the kernel: a finite number from 0 to {@link MAX_TIME_MS}, fractions allowed.
 * @throws TypeError when not a number; RangeError when NaN, infinite, negative or too large.
 */
export function validateTimeMs(value: unknown, name: string): number {
  if (typeof value !== "number") throw invalidType(name, "of type number", value);
  if (!(value >= 0 && value <= MAX_TIME_MS)) {
    throw outOfRange(name, `a finite number >= 0 and <= ${MAX_TIME_MS}`, value);
  }
  return value;
}

/**
 * Writes `ms` (validated) as a timespec starting at `words[word]`, to the nanosecond (rounded to
 * the nearest). A positive time never becomes zero: for timerfd, zero means "disarm", so anything
 * below half a nanosecond is written as 1 ns.
 */
export function writeTimespec(words: Uint32Array, word: number, ms: number): void {
  const l = timeLayout();
  let seconds = Math.floor(ms / 1000);
  let rest = ms - seconds * 1000;
  // ms / 1000 can round up to the next integer when ms sits just below a multiple of 1000.
  if (rest < 0) {
    seconds -= 1;
    rest += 1000;
  }
  let nanoseconds = Math.round(rest * NS_PER_MS);
  if (nanoseconds >= NS_PER_SECOND) {
    seconds += 1;
    nanoseconds -= NS_PER_SECOND;
  }
  if (seconds === 0 && nanoseconds === 0 && ms > 0) nanoseconds = 1;
  writeTimespecParts(words, word, seconds, nanoseconds);
}

/**
 * Writes the timespec starting at `words[word]`: `seconds`, an integer from 0 to 2^53 - 1, and
 * `nanoseconds`, an integer below 10^9. The high word of a wide `tv_nsec` is written as 0.
 */
export function writeTimespecParts(words: Uint32Array, word: number, seconds: number, nanoseconds: number): void {
  const l = timeLayout();
  writeU64(words, word + l.secWord, seconds);
  if (l.nsecWide) {
    words[word + l.nsecWord + LOW_WORD] = nanoseconds;
    words[word + l.nsecWord + HIGH_WORD] = 0;
  } else {
    words[word + l.nsecWord] = nanoseconds;
  }
}

/** The `tv_sec` of the timespec starting at `words[word]`, taken as unsigned (times after 1970). */
export function timespecSeconds(words: Uint32Array, word: number): number {
  return readU64(words, word + timeLayout().secWord);
}

/** The `tv_nsec` of the timespec starting at `words[word]`. */
export function timespecNanoseconds(words: Uint32Array, word: number): number {
  const l = timeLayout();
  // tv_nsec is below 10^9, so its low word is all of it, wide or not.
  return words[word + l.nsecWord + (l.nsecWide ? LOW_WORD : 0)]!;
}

/** Reads the timespec starting at `words[word]` as ms, fractions kept (to the double's precision). */
export function readTimespecMs(words: Uint32Array, word: number): number {
  return timespecSeconds(words, word) * 1000 + timespecNanoseconds(words, word) / NS_PER_MS;
}
