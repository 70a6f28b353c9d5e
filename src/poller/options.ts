/**
 * The options and flags of `Poller`, and their checks: bad arguments never reach a backend.
 *
 * @module
 */
import { SystemError, invalidType, invalidValue, outOfRange, unsupportedError } from "../core/errors.ts";
import { hostOs } from "../../ffi/index.ts";
import { platform } from "../core/platform.ts";
import { MAX_TIMER_MS } from "../core/timespec.ts";
import { validateBoolean, validateInteger, validateOptions } from "../core/validate.ts";
import { validateLibrary } from "../kevent/library.ts";
import type { PollerBackendName } from "./backend.ts";
import {
  INTEREST_ALL,
  INTEREST_PRIORITY,
  INTEREST_READABLE,
  INTEREST_WRITABLE,
  MODE_EDGE,
  MODE_LEVEL,
  MODE_ONESHOT,
} from "./registration.ts";

/**
 * The interest bits of `Poller.add` and `Poller.modify`, as epoll(7) `EPOLLIN`/`EPOLLOUT`/`EPOLLPRI`
 * and kqueue(2) `EVFILT_READ`/`EVFILT_WRITE` spell them; combine with `|`.
 *
 * - `READABLE`: epoll `EPOLLIN | EPOLLRDHUP`, kqueue `EVFILT_READ`.
 * - `WRITABLE`: epoll `EPOLLOUT`, kqueue `EVFILT_WRITE`.
 * - `PRIORITY`: epoll `EPOLLPRI` (out-of-band data, sysfs and cgroup notifications). The kqueue
 *   backend has no portable equivalent: `add` or `modify` with it there throws a `SystemError` with
 *   code `ENOTSUP`. Check `poller.backend` (or `platform.backend`) first.
 *
 * @example
 * ```ts
 * import { Interest, Poller } from "bunix";
 * using poller = new Poller();
 * poller.add(fd, Interest.READABLE | Interest.WRITABLE, "socket");
 * if (poller.backend === "epoll") poller.add(sysfsFd, Interest.PRIORITY, "gpio");
 * ```
 */
export const Interest = Object.freeze({
  /** The descriptor has data to read, end of file, or an error. */
  READABLE: INTEREST_READABLE,
  /** The descriptor can be written without blocking. */
  WRITABLE: INTEREST_WRITABLE,
  /** Priority (out-of-band) data: epoll only. */
  PRIORITY: INTEREST_PRIORITY,
});

/**
 * How a registration reports readiness:
 * - `"level"` (default): every `wait` reports the descriptor while it is ready.
 * - `"edge"`: a change to ready is reported once (epoll `EPOLLET`, kqueue `EV_CLEAR`); read or
 *   write until it would block before waiting again.
 * - `"oneshot"`: reported once, then the registration stays but is disarmed until `modify` re-arms
 *   it (epoll `EPOLLONESHOT`, kqueue `EV_DISPATCH`; on kqueue the direction that did not fire is
 *   disarmed too, as epoll does).
 */
export type PollMode = "level" | "edge" | "oneshot";

/** Options of `Poller.add` and `Poller.modify`. */
export interface PollerAddOptions {
  /** The triggering mode; `add` defaults to `"level"`, `modify` keeps the registration's. */
  readonly mode?: PollMode;
}

/** Options of `Poller.addTimer`. */
export interface TimerOptions {
  /** Fire every `ms` (on a fixed grid) instead of once. Default `false`. */
  readonly repeat?: boolean;
}

/** Options of the `Poller` constructor. */
export interface PollerOptions {
  /**
   * The kernel object to use: `"epoll"` (Linux) or `"kqueue"` (macOS, FreeBSD; Linux with
   * `library`). Default: `"kqueue"` when `library` is given, else what the platform has
   * (`platform.backend`: epoll on Linux, kqueue elsewhere).
   */
  readonly backend?: PollerBackendName;
  /**
   * A kqueue implementation to load (kqueue backend only), as `Kqueue`'s option: on Linux the path
   * of libkqueue (`/usr/local/lib/libkqueue.so.0`), for tests and for code written against kqueue.
   */
  readonly library?: string;
  /**
   * The most kernel events one `wait` collects, 1 to 65536; default 1024. On kqueue one descriptor
   * ready both ways takes two of them (merged into one entry). More are not lost: they come with
   * the next `wait`.
   */
  readonly maxEvents?: number;
}

/** The backend a constructor call asks for, checked against what the platform has. @internal */
export interface BackendChoice {
  readonly name: PollerBackendName;
  readonly library: string | undefined;
  readonly maxEvents: number | undefined;
}

/** @internal */
export function chooseBackend(options: PollerOptions | undefined): BackendChoice {
  const { backend, library: libraryOption, maxEvents } = validateOptions(options);
  if (backend !== undefined && typeof backend !== "string") throw invalidType("options.backend", "of type string", backend);
  if (backend !== undefined && backend !== "epoll" && backend !== "kqueue") {
    throw invalidValue("options.backend", `must be "epoll" or "kqueue"`, backend);
  }
  const library = validateLibrary(libraryOption);
  if (library !== undefined && backend === "epoll") {
    throw invalidValue("options.library", `applies to the "kqueue" backend only`, library);
  }
  const max = maxEvents === undefined ? undefined : validateInteger(maxEvents, "options.maxEvents", 1, 65536);
  const name: PollerBackendName | "none" = backend ?? (library !== undefined ? "kqueue" : platform.backend);
  if (name === "epoll" && !platform.supports.epoll) throw unsupportedError("Poller", `not supported with backend "epoll" on ${hostOs}`);
  if (name === "kqueue" && library === undefined && !platform.supports.kqueue) {
    throw unsupportedError("Poller", `not supported with backend "kqueue" on ${hostOs} without a kqueue library: pass { library }`);
  }
  if (name === "none") throw unsupportedError("Poller");
  return { name, library, maxEvents: max };
}

/**
 * An interest mask: a non-empty combination of the `Interest` bits. `PRIORITY` where the backend
 * lacks it is ENOTSUP naming `Poller.<method>`.
 * @internal
 */
export function validateInterest(value: unknown, supportsPriority: boolean, backend: PollerBackendName, method: string): number {
  if (typeof value !== "number") throw invalidType("interest", "of type number", value);
  if (!Number.isInteger(value) || value < 1 || value > INTEREST_ALL) {
    throw outOfRange("interest", "a non-empty combination of Interest.READABLE, WRITABLE and PRIORITY (1 to 7)", value);
  }
  if (value & INTEREST_PRIORITY && !supportsPriority) {
    throw new SystemError("ENOTSUP", `Poller.${method}`, `Interest.PRIORITY is not supported by the ${backend} backend`);
  }
  return value;
}

/** The `MODE_*` of `options.mode`, or `fallback` when omitted. @internal */
export function readMode(options: PollerAddOptions | undefined, fallback: number): number {
  const { mode } = validateOptions(options);
  if (mode === undefined) return fallback;
  if (typeof mode !== "string") throw invalidType("options.mode", "of type string", mode);
  if (mode === "level") return MODE_LEVEL;
  if (mode === "edge") return MODE_EDGE;
  if (mode === "oneshot") return MODE_ONESHOT;
  throw invalidValue("options.mode", `must be "level", "edge" or "oneshot"`, mode);
}

/** A timer's `ms` and `repeat`, checked. @internal */
export function readTimer(ms: unknown, options: TimerOptions | undefined): { ms: number; repeat: boolean } {
  if (typeof ms !== "number") throw invalidType("ms", "of type number", ms);
  if (!(ms >= 0 && ms <= MAX_TIMER_MS)) throw outOfRange("ms", `a finite number >= 0 and <= ${MAX_TIMER_MS}`, ms);
  const repeat = validateBoolean(validateOptions(options).repeat, "options.repeat", false);
  if (repeat && ms === 0) throw outOfRange("ms", "a number > 0 for a repeating timer", ms);
  return { ms, repeat };
}
