/**
 * `EventFd`: an eventfd(2) counter, the kernel's cheapest wake-up object (Linux; FreeBSD >= 13).
 *
 * @module
 */
import { constant, errno, errnoNumber, loadCore, loadEventfd } from "../../ffi/index.ts";
import { SystemError, invalidType, lastError, outOfRange, unsupportedError } from "../core/errors.ts";
import { platform } from "../core/platform.ts";
import { FdResource } from "../core/resource.ts";
import { readU64, readU64BigInt, writeU64, writeU64BigInt } from "../core/u64.ts";
import { validateBoolean, validateInteger, validateOptions } from "../core/validate.ts";

/** Options of the {@link EventFd} constructor. */
export interface EventFdOptions {
  /**
   * `EFD_SEMAPHORE`: each `read` takes 1 from the counter and returns 1, instead of taking the
   * whole counter. Default `false`.
   */
  readonly semaphore?: boolean;
  /** `EFD_NONBLOCK`: `read` of a zero counter returns `null`, and a `write` that would overflow returns `false`. Default `false`. */
  readonly nonblocking?: boolean;
}

// The largest value the counter holds: 2^64 - 2 (the kernel refuses a write of 2^64 - 1).
const COUNTER_MAX = 0xffff_ffff_ffff_fffen;
// As a bound for numbers: every integral double below 2^64 is at most 2^64 - 2048 <= COUNTER_MAX.
const TWO_64 = 2 ** 64;
const COUNTER_BYTES = 8;
const EAGAIN = errnoNumber("EAGAIN");
const EINTR = errnoNumber("EINTR");

type Core = NonNullable<ReturnType<typeof loadCore>>;
type EventfdSymbols = NonNullable<ReturnType<typeof loadEventfd>>;

interface EventfdKernel {
  readonly eventfd: EventfdSymbols["eventfd"];
  readonly read: Core["read"];
  readonly write: Core["write"];
}

let kernel: EventfdKernel | undefined;

function eventfdKernel(): EventfdKernel {
  if (kernel !== undefined) return kernel;
  const symbols = platform.supports.eventfd ? loadEventfd() : undefined;
  const core = loadCore();
  if (symbols === undefined || core === undefined) throw unsupportedError("EventFd");
  kernel = { eventfd: symbols.eventfd, read: core.read, write: core.write };
  return kernel;
}

interface EventFdSpec {
  readonly fd: number;
  readonly semaphore: boolean;
  readonly nonblocking: boolean;
}

/** Validates the arguments and opens the descriptor, before `super` takes ownership of it. */
function openEventFd(initial: unknown, options: EventFdOptions | undefined): EventFdSpec {
  const k = eventfdKernel();
  // eventfd's initval is an unsigned int; a larger start needs a write after construction.
  const initval = initial === undefined ? 0 : validateInteger(initial, "initial", 0, 0xffff_ffff);
  const opts = validateOptions(options);
  const semaphore = validateBoolean(opts.semaphore, "options.semaphore", false);
  const nonblocking = validateBoolean(opts.nonblocking, "options.nonblocking", false);
  let flags = constant("EFD_CLOEXEC");
  if (semaphore) flags |= constant("EFD_SEMAPHORE");
  if (nonblocking) flags |= constant("EFD_NONBLOCK");
  const fd = k.eventfd(initval, flags);
  if (fd < 0) throw lastError("eventfd");
  return { fd, semaphore, nonblocking };
}

/**
 * `eventfd(initial, EFD_CLOEXEC | …)`: a 64-bit counter in the kernel that `write` adds to and
 * `read` takes from. The descriptor is readable (epoll `IN`, kqueue `EVFILT_READ`) while the
 * counter is above zero and writable while one more can be added, which makes it the usual way
 * to wake a thread blocked in `epoll_wait` or `kevent`.
 *
 * The counter is unsigned 64-bit. `read()` returns a number, exact up to
 * `Number.MAX_SAFE_INTEGER` (2^53 - 1); above that it returns the nearest double, and
 * `readBigInt()` returns the exact value. Neither creates a BigInt for the other.
 *
 * **Blocking.** Unless created with `nonblocking: true`, `read` of a zero counter and a `write`
 * that would overflow block the calling thread until another thread or process changes the
 * counter: on Bun's main thread, with nothing else to change it, that is forever. Use
 * `nonblocking: true` with a poller on the main thread.
 *
 * Linux (kernel 2.6.27; `semaphore` 2.6.30) and FreeBSD >= 13. Elsewhere the constructor throws
 * ENOTSUP; `platform.supports.eventfd` says so in advance.
 *
 * @example
 * ```ts
 * import { EventFd } from "bunix";
 * using counter = new EventFd(0, { nonblocking: true });
 * counter.write(2);
 * counter.write(3);
 * console.log(counter.read()); // 5: the whole counter, which is now 0
 * console.log(counter.read()); // null: would block
 * ```
 */
export class EventFd extends FdResource {
  /** The largest value the counter holds, 2^64 - 2 (`0xfffffffffffffffen`): the kernel refuses 2^64 - 1. */
  static readonly MAX: bigint = COUNTER_MAX;

  // One 8-byte buffer over a plain ArrayBuffer (small typed arrays move: docs/design/bun-ffi.md §3.1), made once.
  readonly #words = new Uint32Array(new ArrayBuffer(COUNTER_BYTES));
  readonly #kernel: EventfdKernel;
  readonly #semaphore: boolean;
  readonly #nonblocking: boolean;

  /**
   * `eventfd(initial, EFD_CLOEXEC | EFD_SEMAPHORE? | EFD_NONBLOCK?)`: a new counter.
   *
   * @param initial - the counter's first value, an integer from 0 to 2^32 - 1 (eventfd's `unsigned
   *   int`); default 0.
   * @param options - `semaphore`, `nonblocking` (both default `false`).
   * @throws SystemError ENOTSUP (syscall `"EventFd"`) where the platform has no eventfd; EMFILE,
   *   ENFILE, ENODEV or ENOMEM from `eventfd`.
   * @throws TypeError when `initial` is not a number or an option has the wrong type.
   * @throws RangeError when `initial` is not an integer from 0 to 2^32 - 1.
   *
   * @example
   * ```ts
   * using tokens = new EventFd(3, { semaphore: true, nonblocking: true });
   * console.log(tokens.read(), tokens.read(), tokens.read(), tokens.read()); // 1 1 1 null
   * ```
   */
  constructor(initial?: number, options?: EventFdOptions) {
    const spec = openEventFd(initial, options);
    super(spec.fd, "EventFd");
    this.#kernel = eventfdKernel();
    this.#semaphore = spec.semaphore;
    this.#nonblocking = spec.nonblocking;
  }

  /** Whether this counter was created with `semaphore: true` (`EFD_SEMAPHORE`). */
  get semaphore(): boolean {
    return this.#semaphore;
  }

  /** Whether this counter was created with `nonblocking: true` (`EFD_NONBLOCK`). */
  get nonblocking(): boolean {
    return this.#nonblocking;
  }

  /**
   * `read(2)` of the counter: returns it and resets it to 0, or in semaphore mode returns 1 and
   * takes 1 from it.
   *
   * A zero counter blocks the thread until a `write` (see the class notes), or returns `null` when
   * nonblocking. Values above `Number.MAX_SAFE_INTEGER` come back as the nearest double (the
   * counter is consumed all the same): use {@link EventFd.readBigInt} where they can occur.
   * Interrupted reads (EINTR) are retried.
   *
   * @returns the value taken, or `null` when nonblocking and the counter is 0.
   * @throws SystemError EBADF (syscall `"EventFd.read"`) when closed; a failure of `read` other
   *   than EINTR and EAGAIN (syscall `"read"`).
   *
   * @example
   * ```ts
   * using wake = new EventFd(0, { nonblocking: true });
   * wake.write(1);
   * console.log(wake.read(), wake.read()); // 1 null
   * ```
   */
  read(): number | null {
    return this.#take(this.openFd("read")) ? readU64(this.#words, 0) : null;
  }

  /**
   * `read(2)` of the counter, as {@link EventFd.read}, but exact for any 64-bit value.
   *
   * @returns the value taken as a bigint, or `null` when nonblocking and the counter is 0.
   * @throws SystemError as {@link EventFd.read} (syscall `"EventFd.readBigInt"` when closed).
   *
   * @example
   * ```ts
   * using big = new EventFd(0, { nonblocking: true });
   * big.write(2n ** 60n + 1n);
   * console.log(big.readBigInt()); // 1152921504606846977n
   * ```
   */
  readBigInt(): bigint | null {
    return this.#take(this.openFd("readBigInt")) ? readU64BigInt(this.#words, 0) : null;
  }

  /**
   * `write(2)` to the counter: adds `value` to it.
   *
   * `value` is checked before any system call: an integer (number or bigint) from 0 to
   * 2^64 - 2 ({@link EventFd.MAX}). Adding 0 is allowed and changes nothing. When the sum would pass
   * 2^64 - 2, the write blocks until a `read` makes room (see the class notes), or returns `false`
   * when nonblocking and adds nothing. Interrupted writes (EINTR) are retried.
   *
   * @param value - how much to add.
   * @returns `true` when added; `false` when nonblocking and the counter would overflow.
   * @throws SystemError EBADF (syscall `"EventFd.write"`) when closed; a failure of `write` other
   *   than EINTR and EAGAIN (syscall `"write"`).
   * @throws TypeError when `value` is neither a number nor a bigint.
   * @throws RangeError when `value` is negative, not an integer, NaN, or above 2^64 - 2.
   *
   * @example
   * ```ts
   * using full = new EventFd(0, { nonblocking: true });
   * console.log(full.write(0xffff_ffff_ffff_fffen)); // true: the counter is at its maximum
   * console.log(full.write(1));                      // false: it would overflow
   * ```
   */
  write(value: number | bigint): boolean {
    const fd = this.openFd("write");
    const words = this.#words;
    if (typeof value === "number") {
      if (!(Number.isInteger(value) && value >= 0 && value < TWO_64)) throw outOfRangeValue(value);
      writeU64(words, 0, value);
    } else if (typeof value === "bigint") {
      if (value < 0n || value > COUNTER_MAX) throw outOfRangeValue(value);
      writeU64BigInt(words, 0, value);
    } else {
      throw invalidType("value", "of type number or bigint", value);
    }
    const write = this.#kernel.write;
    for (;;) {
      if (write(fd, words, COUNTER_BYTES) >= 0) return true;
      const code = errno();
      if (code === EAGAIN) return false;
      if (code !== EINTR) throw SystemError.fromErrno(code, "write");
    }
  }

  /** Reads the counter into the buffer; `false` when nonblocking and it is 0. */
  #take(fd: number): boolean {
    const read = this.#kernel.read;
    const words = this.#words;
    for (;;) {
      if (read(fd, words, COUNTER_BYTES) >= 0) return true;
      const code = errno();
      if (code === EAGAIN) return false;
      if (code !== EINTR) throw SystemError.fromErrno(code, "read");
    }
  }
}

function outOfRangeValue(value: number | bigint): RangeError {
  return outOfRange("value", "an integer >= 0 and <= 0xfffffffffffffffe", value);
}
