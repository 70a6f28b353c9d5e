/**
 * `watchFd()`: a callback on Bun's event loop whenever a descriptor is readable or writable, for
 * any pollable descriptor (a tty or serial port, a pty, a FIFO, a socket, an eventfd, an inotify
 * or device descriptor from another library), the way libuv's `uv_poll_t` does it.
 *
 * @module
 */
import { SystemError, invalidType, outOfRange } from "../core/errors.ts";
import { validateBoolean, validateFd, validateOptions } from "../core/validate.ts";
import { Interest } from "../poller/options.ts";
import { watchHub, type WatchRecord } from "./hub.ts";

/** What to watch for: at least one of the two. */
export interface WatchInterest {
  /** Call back while a read would not block (data, end of file, or an error to collect). */
  readonly readable?: boolean;
  /** Call back while a write would not block. */
  readonly writable?: boolean;
}

/** What a watch callback is told. Hang-ups and errors are reported whatever the interest. */
export interface WatchReadiness {
  /** A read would not block. */
  readonly readable: boolean;
  /** A write would not block. */
  readonly writable: boolean;
  /** The other end closed (end of file, a pty whose other side went, a reader gone). */
  readonly hangup: boolean;
  /**
   * An error is pending on the descriptor; or, with every other flag false, the descriptor was
   * closed (or its number reused) while watched, and this is the watch's last call.
   */
  readonly error: boolean;
}

/** The callback of {@link watchFd}. */
export type WatchCallback = (ready: WatchReadiness) => void;

/** Options of {@link watchFd}. */
export interface WatchOptions {
  /** Let the process exit while this watch is open, as `timer.unref()` does. Default false. */
  readonly unref?: boolean;
}

function readInterest(interest: unknown, name: string): number {
  if (interest === undefined) throw invalidType(name, "of type object", interest);
  const { readable, writable } = validateOptions(interest as WatchInterest | undefined, name);
  let bits = 0;
  if (validateBoolean(readable, `${name}.readable`, false)) bits |= Interest.READABLE;
  if (validateBoolean(writable, `${name}.writable`, false)) bits |= Interest.WRITABLE;
  if (bits === 0) throw outOfRange(name, "at least one of readable and writable set to true", interest);
  return bits;
}

let create: (record: WatchRecord) => FdWatch;

/**
 * One descriptor watched by {@link watchFd}. It does not own the descriptor: `close()` stops the
 * callbacks and leaves the descriptor open; closing the descriptor is yours to do, after (or
 * before: the watch then ends itself).
 */
export class FdWatch implements Disposable {
  static {
    create = (record) => new FdWatch(record);
  }

  readonly #record: WatchRecord;

  private constructor(record: WatchRecord) {
    this.#record = record;
  }

  /** The watched descriptor, or -1 once the watch is closed (by `close()` or by its descriptor's end). */
  get fd(): number {
    return this.#record.open ? this.#record.fd : -1;
  }

  /** Whether the watch has ended: `close()` was called, or its descriptor was closed or reused. */
  get closed(): boolean {
    return !this.#record.open;
  }

  /**
   * Changes what is watched (`epoll_ctl(EPOLL_CTL_MOD)` or the kqueue changes). Takes effect from
   * the next turn of the event loop; a callback already due in the current batch still comes.
   *
   * @throws SystemError EBADF (syscall `"FdWatch.update"`) when the watch is closed, or when its
   *   descriptor was closed meanwhile (the watch then ends, with its error callback); the kernel's
   *   error otherwise. TypeError / RangeError for a bad `interest`.
   * @example
   * ```ts
   * const watch = watchFd(fd, { readable: true }, onReady);
   * watch.update({ readable: true, writable: true });   // also tell me when I can write
   * ```
   */
  update(interest: WatchInterest): void {
    const bits = readInterest(interest, "interest");
    if (!this.#record.open) throw new SystemError("EBADF", "FdWatch.update", "the watch is closed");
    watchHub().update(this.#record, bits);
  }

  /**
   * Stops watching; the descriptor stays open. No callback comes after it returns, not even one
   * already due in the current batch. Idempotent.
   */
  close(): void {
    watchHub().remove(this.#record);
  }

  /** Stops watching, so that `using` works. */
  [Symbol.dispose](): void {
    this.close();
  }
}

/**
 * Calls `callback` on the event loop whenever `fd` is ready for what `interest` asks, until the
 * watch is closed: the callback form of readiness, as libuv's `uv_poll_t` gives it.
 *
 * - **Level-triggered.** The callback comes again on each turn of the event loop for as long as
 *   the condition holds and it does not consume it (read the data, or stop asking for
 *   `writable`). It is always called from the event loop, never inside another JS call.
 * - **Cheap.** Every watch of a thread shares one `Poller` and one pending wait: a thousand
 *   watches cost a thousand registrations, not a thread or a wait each.
 * - **Not owning.** `close()` stops the watch and leaves the descriptor open.
 * - **Closed descriptors.** A descriptor closed while watched ends its watch with one callback
 *   whose `error` is true (and every other flag false); it never delivers another file's events
 *   after its number is reused. It is noticed at its next event, or within about a quarter of a
 *   second. Close the watch before the descriptor when you can. (A number reused by another
 *   eventfd, timerfd, signalfd, epoll or inotify descriptor cannot be told from the old one, as
 *   Linux gives them all one inode.)
 * - **Alive.** An open watch keeps the process alive, unless `unref: true`.
 * - **Exceptions** thrown by a callback surface like any uncaught exception of an event handler
 *   (`process.on("uncaughtException")`, or the process ends) and do not stop the other watches.
 *
 * A nonblocking descriptor suits best: read until the read would block, then return. (epoll
 * refuses regular files with EPERM: they are always ready; read them directly.)
 *
 * @param fd - the descriptor to watch; it stays yours.
 * @param interest - `{ readable?, writable? }`, at least one true.
 * @param callback - called with `{ readable, writable, hangup, error }`.
 * @param options - `unref`.
 * @returns the watch: `update`, `close`, `fd`, `closed`, and `using` support.
 * @throws SystemError EEXIST (syscall `"watchFd"`) when `fd` is already watched on this thread;
 *   EBADF when it is not open; EPERM (epoll) for a descriptor that cannot be polled.
 * @throws TypeError / RangeError for bad arguments (an interest with neither flag is a RangeError).
 * @example
 * ```ts
 * import { openSync, readSync } from "node:fs";
 * import { watchFd } from "bunix";
 * const port = openSync("/dev/ttyUSB0", "r+");   // or a pty, a FIFO, a socket, …
 * const buffer = Buffer.alloc(4096);
 * const watch = watchFd(port, { readable: true }, ({ readable, hangup, error }) => {
 *   if (readable) console.log(buffer.subarray(0, readSync(port, buffer)).toString());
 *   if (hangup || error) watch.close();
 * });
 * ```
 */
export function watchFd(fd: number, interest: WatchInterest, callback: WatchCallback, options?: WatchOptions): FdWatch {
  validateFd(fd);
  const bits = readInterest(interest, "interest");
  if (typeof callback !== "function") throw invalidType("callback", "a function", callback);
  const unref = validateBoolean(validateOptions(options).unref, "options.unref", false);
  return create(watchHub().add(fd, bits, callback, !unref));
}
