/**
 * `TimerFd`: a timerfd(2) timer whose expirations are read from a descriptor (Linux; FreeBSD >= 14),
 * and `TimerFd.now`, the clocks it runs on.
 *
 * @module
 */
import { constant, errno, errnoNumber, loadClock, loadCore, loadTimerfd, optionalConstant } from "../../ffi/index.ts";
import { SystemError, invalidType, invalidValue, lastError, unsupportedError } from "../core/errors.ts";
import { platform } from "../core/platform.ts";
import { FdResource } from "../core/resource.ts";
import { readTimespecMs, timeLayout, validateTimeMs, writeTimespec } from "../core/timespec.ts";
import { readU64 } from "../core/u64.ts";
import { validateBoolean, validateOptions } from "../core/validate.ts";

/**
 * The clock a {@link TimerFd} runs on:
 * - `"monotonic"` (`CLOCK_MONOTONIC`): steady, unaffected by changes of the system time; stops
 *   while the machine is suspended.
 * - `"realtime"` (`CLOCK_REALTIME`): the wall clock, ms since the Unix epoch as `Date.now()`; an
 *   absolute timer on it follows changes of the system time.
 * - `"boottime"` (`CLOCK_BOOTTIME`): like monotonic, but keeps counting during suspend (Linux
 *   >= 3.15 for timerfd).
 */
export type TimerFdClock = "monotonic" | "realtime" | "boottime";

/** Options of the {@link TimerFd} constructor. */
export interface TimerFdOptions {
  /** The clock the timer runs on; default `"monotonic"`. */
  readonly clock?: TimerFdClock;
  /** `TFD_NONBLOCK`: `read` before an expiration returns `null` instead of blocking. Default `false`. */
  readonly nonblocking?: boolean;
}

/** Options of {@link TimerFd.set}. */
export interface TimerFdSetOptions {
  /**
   * `TFD_TIMER_ABSTIME`: `initialMs` is a point on the timer's clock, not a delay. Default `false`.
   */
  readonly absolute?: boolean;
}

/** What {@link TimerFd.get} returns. */
export interface TimerFdState {
  /** Time until the next expiration, in ms (fractions kept); 0 when disarmed. Always relative. */
  readonly remainingMs: number;
  /** The period after the next expiration, in ms; 0 for a one-shot or disarmed timer. */
  readonly intervalMs: number;
}

const CLOCK_CONSTANTS: Readonly<Record<TimerFdClock, string>> = {
  monotonic: "CLOCK_MONOTONIC",
  realtime: "CLOCK_REALTIME",
  boottime: "CLOCK_BOOTTIME",
};

const COUNT_BYTES = 8;
const EAGAIN = errnoNumber("EAGAIN");
const EINTR = errnoNumber("EINTR");

/**
 * The clock id for a clock name.
 * @throws TypeError for a non-string or an unknown name; SystemError ENOTSUP (syscall `what`) when
 *   the platform has no such clock (macOS has no boottime).
 */
function clockId(value: unknown, name: string, what: string): number {
  if (typeof value !== "string") throw invalidType(name, "of type string", value);
  if (!Object.hasOwn(CLOCK_CONSTANTS, value)) {
    throw invalidValue(name, `must be one of "monotonic", "realtime" or "boottime"`, value);
  }
  const id = optionalConstant(CLOCK_CONSTANTS[value as TimerFdClock]);
  if (id === undefined) throw unsupportedError(what, `not supported with clock "${value}" on ${platform.os}`);
  return id;
}

type Core = NonNullable<ReturnType<typeof loadCore>>;
type TimerfdSymbols = NonNullable<ReturnType<typeof loadTimerfd>>;

interface TimerfdKernel {
  readonly create: TimerfdSymbols["timerfd_create"];
  readonly settime: TimerfdSymbols["timerfd_settime"];
  readonly gettime: TimerfdSymbols["timerfd_gettime"];
  readonly read: Core["read"];
  readonly absoluteFlag: number;
}

let kernel: TimerfdKernel | undefined;

function timerfdKernel(): TimerfdKernel {
  if (kernel !== undefined) return kernel;
  const symbols = platform.supports.timerfd ? loadTimerfd() : undefined;
  const core = loadCore();
  if (symbols === undefined || core === undefined) throw unsupportedError("TimerFd");
  kernel = {
    create: symbols.timerfd_create,
    settime: symbols.timerfd_settime,
    gettime: symbols.timerfd_gettime,
    read: core.read,
    absoluteFlag: constant("TFD_TIMER_ABSTIME"),
  };
  return kernel;
}

interface TimerFdSpec {
  readonly fd: number;
  readonly clock: TimerFdClock;
  readonly nonblocking: boolean;
}

/** Validates the options and opens the descriptor, before `super` takes ownership of it. */
function openTimerFd(options: TimerFdOptions | undefined): TimerFdSpec {
  const k = timerfdKernel();
  const opts = validateOptions(options);
  const clock = opts.clock === undefined ? "monotonic" : opts.clock;
  const id = clockId(clock, "options.clock", "TimerFd");
  const nonblocking = validateBoolean(opts.nonblocking, "options.nonblocking", false);
  let flags = constant("TFD_CLOEXEC");
  if (nonblocking) flags |= constant("TFD_NONBLOCK");
  const fd = k.create(id, flags);
  if (fd < 0) throw lastError("timerfd_create");
  return { fd, clock, nonblocking };
}

// TimerFd.now's buffer: one timespec per thread, made on first use.
let nowWords: Uint32Array | undefined;

/**
 * `timerfd_create(clock, TFD_CLOEXEC | …)`: a timer that counts its expirations in the kernel.
 * The descriptor is readable (epoll `IN`, kqueue `EVFILT_READ`) once the timer has expired, until
 * `read` takes the count.
 *
 * Times are milliseconds, fractions kept to the nanosecond. `set(ms)` arms a one-shot timer,
 * `set(ms, periodMs)` a periodic one, `set(0)` or `disarm()` stops it; with `{ absolute: true }`
 * the first expiration is a point on the timer's clock (see {@link TimerFd.now}).
 *
 * **Blocking.** Unless created with `nonblocking: true`, `read` blocks the calling thread until
 * the timer expires, and forever when it is disarmed. Use `nonblocking: true` with a poller on the
 * main thread.
 *
 * Linux (kernel 2.6.25; the `boottime` clock 3.15) and FreeBSD >= 14. Elsewhere the constructor
 * throws ENOTSUP; `platform.supports.timerfd` says so in advance.
 *
 * @example
 * ```ts
 * import { TimerFd } from "bunix";
 * using timer = new TimerFd();
 * timer.set(20, 20);          // first after 20 ms, then every 20 ms
 * console.log(timer.read());  // blocks about 20 ms, then 1
 * timer.disarm();
 * ```
 */
export class TimerFd extends FdResource {
  // Buffers over plain ArrayBuffers (small typed arrays move: docs/design/bun-ffi.md §3.1), made once.
  readonly #count = new Uint32Array(new ArrayBuffer(COUNT_BYTES));
  readonly #spec = new Uint32Array(new ArrayBuffer(timeLayout().itimerspecBytes));
  readonly #kernel: TimerfdKernel;
  readonly #clock: TimerFdClock;
  readonly #nonblocking: boolean;

  /**
   * `timerfd_create(clock, TFD_CLOEXEC | TFD_NONBLOCK?)`: a new, disarmed timer.
   *
   * @param options - `clock` (default `"monotonic"`), `nonblocking` (default `false`).
   * @throws SystemError ENOTSUP (syscall `"TimerFd"`) where the platform has no timerfd or not that
   *   clock; EINVAL from `timerfd_create` when the kernel does not take the clock for timers
   *   (boottime before Linux 3.15); EMFILE, ENFILE, ENODEV or ENOMEM.
   * @throws TypeError when `options` is not an object, `clock` not one of the names, or
   *   `nonblocking` not a boolean.
   *
   * @example
   * ```ts
   * using timer = new TimerFd({ clock: "boottime", nonblocking: true });
   * console.log(timer.clock, timer.read()); // "boottime" null
   * ```
   */
  constructor(options?: TimerFdOptions) {
    const spec = openTimerFd(options);
    super(spec.fd, "TimerFd");
    this.#kernel = timerfdKernel();
    this.#clock = spec.clock;
    this.#nonblocking = spec.nonblocking;
  }

  /**
   * `clock_gettime(2)`: the current time of `clock` in ms, fractions kept, on the scale
   * `set(…, { absolute: true })` takes. For `"realtime"` it is ms since the Unix epoch, as
   * `Date.now()` but finer; for `"monotonic"` and `"boottime"` ms since an unspecified start
   * (usually boot), which `performance.now()` does not share.
   *
   * Works wherever `clock_gettime` has the clock, including macOS (no `"boottime"` there).
   *
   * @param clock - default `"monotonic"`.
   * @throws SystemError ENOTSUP (syscall `"TimerFd.now"`) when the platform lacks the clock.
   * @throws TypeError when `clock` is not one of the names.
   *
   * @example
   * ```ts
   * using timer = new TimerFd();
   * timer.set(TimerFd.now("monotonic") + 50, 0, { absolute: true }); // 50 ms from now
   * ```
   */
  static now(clock: TimerFdClock = "monotonic"): number {
    const id = clockId(clock, "clock", "TimerFd.now");
    const symbols = loadClock();
    if (symbols === undefined) throw unsupportedError("TimerFd.now");
    const words = (nowWords ??= new Uint32Array(new ArrayBuffer(timeLayout().timespecBytes)));
    if (symbols.clock_gettime(id, words) < 0) throw lastError("clock_gettime");
    return readTimespecMs(words, 0);
  }

  /** The clock this timer runs on. */
  get clock(): TimerFdClock {
    return this.#clock;
  }

  /** Whether this timer was created with `nonblocking: true` (`TFD_NONBLOCK`). */
  get nonblocking(): boolean {
    return this.#nonblocking;
  }

  /**
   * `timerfd_settime(2)`: arms the timer, or disarms it when `initialMs` is 0.
   *
   * The first expiration comes after `initialMs` (a delay), or with `absolute: true` when the
   * timer's clock reaches `initialMs` (a point in the past expires at once). Then, if
   * `intervalMs` is above 0, every `intervalMs`. Fractions are kept to the nanosecond, and a
   * positive time never rounds to 0: `set(0.0001)` arms a timer 100 ns away. Expirations not yet
   * read are discarded, so the next `read` counts from this call.
   *
   * @param initialMs - delay or point of the first expiration in ms; 0 disarms (and the interval
   *   is then ignored).
   * @param intervalMs - period after that, in ms; default 0, one-shot.
   * @param options - `absolute` (default `false`).
   * @throws SystemError EBADF (syscall `"TimerFd.set"`) when closed; EINVAL from `timerfd_settime`.
   * @throws TypeError when a time is not a number or `options` is malformed.
   * @throws RangeError when a time is negative, NaN, infinite, or above `Number.MAX_SAFE_INTEGER`.
   *
   * @example
   * ```ts
   * timer.set(1.5);                                            // once, in 1.5 ms
   * timer.set(100, 100);                                       // every 100 ms
   * timer.set(Date.now() + 1000, 0, { absolute: true });      // on a "realtime" timer: in a second
   * timer.set(0);                                              // disarmed
   * ```
   */
  set(initialMs: number, intervalMs?: number, options?: TimerFdSetOptions): void {
    const fd = this.openFd("set");
    const initial = validateTimeMs(initialMs, "initialMs");
    const interval = intervalMs === undefined ? 0 : validateTimeMs(intervalMs, "intervalMs");
    const absolute = validateBoolean(validateOptions(options).absolute, "options.absolute", false);
    // Linux keeps the interval of a timer disarmed this way and reports it from timerfd_gettime;
    // it is never used, so it is cleared, and get() reads { 0, 0 } for every disarmed timer.
    this.#settime(fd, initial, initial === 0 ? 0 : interval, absolute ? this.#kernel.absoluteFlag : 0);
  }

  /**
   * `timerfd_settime(2)` with zero: stops the timer, and discards expirations not yet read.
   *
   * @throws SystemError EBADF (syscall `"TimerFd.disarm"`) when closed.
   *
   * @example
   * ```ts
   * timer.set(10);
   * timer.disarm();
   * console.log(timer.get()); // { remainingMs: 0, intervalMs: 0 }
   * ```
   */
  disarm(): void {
    this.#settime(this.openFd("disarm"), 0, 0, 0);
  }

  /**
   * `timerfd_gettime(2)`: the time to the next expiration and the period, in ms.
   *
   * `remainingMs` is relative even for a timer set with `absolute: true`, and 0 once a one-shot
   * timer has expired or when disarmed.
   *
   * @throws SystemError EBADF (syscall `"TimerFd.get"`) when closed.
   *
   * @example
   * ```ts
   * timer.set(1000, 250);
   * const { remainingMs, intervalMs } = timer.get(); // remainingMs a little under 1000, intervalMs 250
   * ```
   */
  get(): TimerFdState {
    const fd = this.openFd("get");
    const spec = this.#spec;
    if (this.#kernel.gettime(fd, spec) < 0) throw lastError("timerfd_gettime");
    const l = timeLayout();
    return { remainingMs: readTimespecMs(spec, l.valueWord), intervalMs: readTimespecMs(spec, l.intervalWord) };
  }

  /**
   * `read(2)` of the expiration count: how many times the timer has expired since it was set or
   * last read, which resets the count.
   *
   * Before the first expiration, blocks the thread (forever when disarmed; see the class notes),
   * or returns `null` when nonblocking. A count above `Number.MAX_SAFE_INTEGER` would come back as
   * the nearest double (2^53 expirations: 104 days unread at a 1 ns period, 285 years at 1 µs).
   * Interrupted reads (EINTR) are retried.
   *
   * @returns the expiration count (at least 1), or `null` when nonblocking and none is pending.
   * @throws SystemError EBADF (syscall `"TimerFd.read"`) when closed; a failure of `read` other than
   *   EINTR and EAGAIN (syscall `"read"`).
   *
   * @example
   * ```ts
   * using timer = new TimerFd({ nonblocking: true });
   * timer.set(10, 10);
   * await Bun.sleep(35);
   * console.log(timer.read()); // 3 (or more on a busy machine)
   * ```
   */
  read(): number | null {
    const fd = this.openFd("read");
    const read = this.#kernel.read;
    const count = this.#count;
    for (;;) {
      if (read(fd, count, COUNT_BYTES) >= 0) return readU64(count, 0);
      const code = errno();
      if (code === EAGAIN) return null;
      if (code !== EINTR) throw SystemError.fromErrno(code, "read");
    }
  }

  #settime(fd: number, initial: number, interval: number, flags: number): void {
    const spec = this.#spec;
    const l = timeLayout();
    writeTimespec(spec, l.valueWord, initial);
    writeTimespec(spec, l.intervalWord, interval);
    if (this.#kernel.settime(fd, flags, spec, null) < 0) throw lastError("timerfd_settime");
  }
}
