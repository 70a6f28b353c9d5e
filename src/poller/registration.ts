/**
 * The record a `Poller` keeps for each thing it watches, and the bit sets backends and `PollEvents`
 * exchange. A record is the user data the backend's own class (`Epoll`, `Kqueue`) stores behind its
 * generation-tagged token, so an event resolves to its record without any lookup of the Poller's.
 *
 * @internal
 * @module
 */
import type { PidFd } from "../sources/pidfd.ts";
import type { TimerFd } from "../sources/timerfd.ts";

/** What a record watches. */
export const SOURCE_FD = 0;
export const SOURCE_TIMER = 1;
export const SOURCE_PROCESS = 2;
/** The epoll backend's waker eventfd: drained and never reported. */
export const SOURCE_WAKER = 3;

/** Interest bits, as `Interest` exports them. */
export const INTEREST_READABLE = 1;
export const INTEREST_WRITABLE = 2;
export const INTEREST_PRIORITY = 4;
export const INTEREST_ALL = INTEREST_READABLE | INTEREST_WRITABLE | INTEREST_PRIORITY;

/** Readiness bits of one reported entry. */
export const READY_READABLE = 1;
export const READY_WRITABLE = 2;
export const READY_HANGUP = 4;
export const READY_ERROR = 8;
export const READY_PRIORITY = 16;

/** Triggering modes. */
export const MODE_LEVEL = 0;
export const MODE_EDGE = 1;
export const MODE_ONESHOT = 2;

/**
 * One registration: an fd, a timer, a process watch (or the epoll waker). Every field is set in
 * the constructor so that all records share one shape and the hot accessors stay monomorphic.
 */
export class Registration<T> {
  /** False once deleted, cancelled, released or closed: its entries in a batch then read as stale. */
  live = true;
  /** A one-shot source (timer, process) whose event has been delivered; released at the next wait. */
  done = false;
  /** The data given by the user; `modify` replaces it in place, so a batch sees the new value. */
  data: T | undefined;
  /** `INTEREST_*` bits (fd records). */
  interest: number;
  /** `MODE_*` (fd records). */
  mode: number;
  /** A repeating timer. */
  repeat = false;
  /** kqueue: the timer's ident or the pid (the kevent ident of a source). */
  ident = 0;
  /** epoll: the TimerFd or PidFd the backend opened for a timer or process watch. */
  source: TimerFd | PidFd | undefined = undefined;
  /** kqueue merge pass: the batch this record was last seen in, and its entry there. */
  stamp = 0;
  entry = 0;

  /**
   * @param kind - `SOURCE_*`.
   * @param fd - the watched descriptor, or -1 for timers and processes.
   */
  constructor(
    readonly kind: number,
    readonly fd: number,
    data: T | undefined,
    interest: number,
    mode: number,
  ) {
    this.data = data;
    this.interest = interest;
    this.mode = mode;
  }
}

/**
 * Marks a one-shot source delivered in this batch (a timer, a process) as done and queues it on
 * `finished`, where the Poller releases it at the start of the next wait. Once per record.
 */
export function finishRegistration<T>(record: Registration<T>, finished: Registration<T>[]): void {
  if (record.done) return;
  record.done = true;
  finished.push(record);
}
