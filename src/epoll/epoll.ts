/**
 * `Epoll<T>`: a complete wrapper of one Linux epoll instance, with user data of any type, and the
 * `EpollFlags` it takes.
 *
 * The kernel never sees a JS value. Each registration's data lives in a handle map; the kernel's
 * 64-bit `epoll_data` holds a token (low 32 bits: slot index, high 32 bits: generation) that the
 * result resolves when it is read. An event therefore never delivers another registration's data:
 * a deleted or replaced registration's token goes stale and reads as fd `-1`, data `undefined`.
 *
 * @module
 */
import { constant, errno, errnoNumber, loadEpoll, optionalConstant, struct } from "../../ffi/index.ts";
import { epollWatch } from "../async/index.ts";
import { type ReadinessWatch, readinessWatch } from "../async/watch.ts";
import { AsyncWaiter, type WaitAsyncOptions } from "../async/wait-async.ts";
import { EpollEvents, setEventsLength } from "./epoll-events.ts";
import { SystemError, lastError, unsupportedError } from "../core/errors.ts";
import { FdSlotTable } from "./fd-slot-table.ts";
import { HandleMap } from "../core/handle-map.ts";
import { platform } from "../core/platform.ts";
import { FdResource } from "../core/resource.ts";
import { continueTimedWait, kernelTimeout, validateTimeout } from "../core/timeout.ts";
import { validateFd, validateInteger, validateOptions } from "../core/validate.ts";

// A flag's value on this platform, as an unsigned 32-bit number. Where the platform has no epoll,
// the names still exist (importing bunix never fails) and read 0; no Epoll can be made there.
function epollFlag(name: string): number {
  return (optionalConstant(name) ?? 0) >>> 0;
}

/**
 * The `EPOLL*` event flags of epoll(7), with the kernel's values as unsigned 32-bit numbers, for
 * `Epoll.add`, `Epoll.modify` and `EpollEvents.events`.
 *
 * Combine them with `|`. JavaScript's `|` yields a signed 32-bit number, so
 * `EpollFlags.IN | EpollFlags.ET` is negative; `add` and `modify` read any mask as its unsigned
 * 32-bit value, and the masks bunix returns are always unsigned (`ET` is `0x80000000`).
 * On a platform without epoll every value is 0.
 *
 * @example
 * ```ts
 * import { Epoll, EpollFlags } from "bunix";
 * using epoll = new Epoll();
 * epoll.add(fd, EpollFlags.IN | EpollFlags.RDHUP | EpollFlags.ET);
 * const events = epoll.wait(0);
 * if (events.length > 0 && events.events(0) & EpollFlags.RDHUP) console.log("peer shut down writing");
 * ```
 */
export const EpollFlags = Object.freeze({
  /** `EPOLLIN`: readable (data, a connection to accept, or end of file). */
  IN: epollFlag("EPOLLIN"),
  /** `EPOLLPRI`: an exceptional condition (out-of-band data, a cgroup or sysfs event). */
  PRI: epollFlag("EPOLLPRI"),
  /** `EPOLLOUT`: writable. */
  OUT: epollFlag("EPOLLOUT"),
  /** `EPOLLERR`: an error is pending. Always reported; no need to ask for it. */
  ERR: epollFlag("EPOLLERR"),
  /** `EPOLLHUP`: hang-up (the pipe's other end closed, a socket shut down both ways). Always reported. */
  HUP: epollFlag("EPOLLHUP"),
  /** `EPOLLRDHUP`: a stream socket's peer closed or shut down its writing half. */
  RDHUP: epollFlag("EPOLLRDHUP"),
  /**
   * `EPOLLEXCLUSIVE` (Linux >= 4.5): wake only one of the epoll instances that wait on the same
   * file. Allowed with `add` only, and only with IN, OUT, ERR, HUP, WAKEUP and ET (else EINVAL).
   */
  EXCLUSIVE: epollFlag("EPOLLEXCLUSIVE"),
  /** `EPOLLWAKEUP`: hold a wake lock while the event is pending; ignored without CAP_BLOCK_SUSPEND. */
  WAKEUP: epollFlag("EPOLLWAKEUP"),
  /** `EPOLLONESHOT`: report once, then disable the registration until `modify` re-arms it. */
  ONESHOT: epollFlag("EPOLLONESHOT"),
  /** `EPOLLET`: edge-triggered: report a change of readiness once, not the state on every wait. `0x80000000`. */
  ET: epollFlag("EPOLLET"),
  /** `EPOLLRDNORM`: normal data readable (as poll(2) spells it; the kernel sets it beside IN for most files). */
  RDNORM: epollFlag("EPOLLRDNORM"),
  /** `EPOLLRDBAND`: priority band data readable. */
  RDBAND: epollFlag("EPOLLRDBAND"),
  /** `EPOLLWRNORM`: writable (as poll(2) spells it; set beside OUT for most files). */
  WRNORM: epollFlag("EPOLLWRNORM"),
  /** `EPOLLWRBAND`: priority data writable. */
  WRBAND: epollFlag("EPOLLWRBAND"),
  /** `EPOLLMSG`: unused by Linux; listed because the kernel defines it. */
  MSG: epollFlag("EPOLLMSG"),
});

/** Options of the {@link Epoll} constructor. */
export interface EpollOptions {
  /**
   * The most entries one `wait` returns, 1 to 65536; default 1024. More ready descriptors are not
   * lost: they come with the next `wait`, and the kernel rotates through them so none starves.
   */
  readonly maxEvents?: number;
}

const DEFAULT_MAX_EVENTS = 1024;
const MAX_MAX_EVENTS = 65536;

type EpollSymbols = NonNullable<ReturnType<typeof loadEpoll>>;

/** What every instance on this thread shares: the bound calls, the operations, the layout. */
interface EpollKernel {
  readonly symbols: EpollSymbols;
  readonly cloexec: number;
  readonly ctlAdd: number;
  readonly ctlMod: number;
  readonly ctlDel: number;
  /** `sizeof(struct epoll_event)` in bytes and in 32-bit words. */
  readonly entryBytes: number;
  readonly entryWords: number;
  /** `offsetof(struct epoll_event, data)` in 32-bit words: the token's slot; the generation follows. */
  readonly dataWord: number;
}

let kernel: EpollKernel | undefined;

/** The epoll calls and layout of this platform, looked up once per thread. */
function epollKernel(): EpollKernel {
  if (kernel !== undefined) return kernel;
  const symbols = platform.supports.epoll ? loadEpoll() : undefined;
  if (symbols === undefined) throw unsupportedError("Epoll");
  const layout = struct("epoll_event");
  const { events, data } = layout.fields;
  // The decoding reads whole 32-bit words: every ABI so far has them 4-aligned (x64 packs the
  // struct to 12 bytes with data at 4; arm64 pads it to 16 with data at 8).
  if (layout.size % 4 !== 0 || events.offset !== 0 || data.offset % 4 !== 0 || data.size !== 8) {
    throw new Error(`bunix: epoll_event layout not decodable as 32-bit words: ${JSON.stringify(layout)}`);
  }
  kernel = {
    symbols,
    cloexec: constant("EPOLL_CLOEXEC"),
    ctlAdd: constant("EPOLL_CTL_ADD"),
    ctlMod: constant("EPOLL_CTL_MOD"),
    ctlDel: constant("EPOLL_CTL_DEL"),
    entryBytes: layout.size,
    entryWords: layout.size / 4,
    dataWord: data.offset / 4,
  };
  return kernel;
}

/** Opens the epoll descriptor for a new instance (before `super`, which takes ownership of it). */
function createEpollFd(options: EpollOptions | undefined): number {
  const k = epollKernel();
  readMaxEvents(options);
  const fd = k.symbols.epoll_create1(k.cloexec);
  if (fd < 0) throw lastError("epoll_create1");
  return fd;
}

function readMaxEvents(options: EpollOptions | undefined): number {
  const { maxEvents } = validateOptions(options);
  if (maxEvents === undefined) return DEFAULT_MAX_EVENTS;
  return validateInteger(maxEvents, "options.maxEvents", 1, MAX_MAX_EVENTS);
}

/** An event mask: any integer whose unsigned 32-bit value is meant (`IN | ET` is negative in JS). */
function validateEvents(value: unknown): number {
  return validateInteger(value, "events", -0x80000000, 0xffffffff) >>> 0;
}

const EINTR = errnoNumber("EINTR");

/**
 * `epoll_create1(EPOLL_CLOEXEC)`: a Linux epoll instance whose registrations carry data of type
 * `T`.
 *
 * `add`, `modify` and `delete` are `epoll_ctl(2)`; `wait` is `epoll_wait(2)` and returns the
 * instance's one reusable {@link EpollEvents}. Errors are the kernel's, as `SystemError`s with
 * `syscall` `"epoll_ctl"` or `"epoll_wait"`. The descriptor is close-on-exec; `close()` (or
 * `using`) releases it and every registration's data.
 *
 * **Descriptors closed without `delete`.** The kernel keys a registration by the open file *and*
 * the descriptor number, and drops it by itself only when the file's last descriptor closes. So:
 *
 * - A descriptor closed without `delete`, and with no duplicate (`dup`, `fork`, `SCM_RIGHTS`) open
 *   anywhere, is gone from the kernel's interest list; its data stays here until you `delete` its
 *   number (which then throws EBADF or ENOENT, and still releases the data) or `add` the number
 *   again.
 * - If a duplicate stays open, the registration stays alive in the kernel and keeps reporting the
 *   file's readiness, under the closed number. Until that number is added again its events carry
 *   the old data and fd. `delete` of the number cannot reach it any more (EBADF while the number is
 *   free, or it removes the *new* registration once the number is reused).
 * - When the number is reused for a new file and added again, the `add` succeeds and replaces the
 *   old data: the old registration's events from then on read as stale (fd `-1`, data `undefined`)
 *   while the new one's read normally. Stale entries stay in the batch (they also take room in
 *   `maxEvents`) and keep coming, level-triggered, for as long as the old file is ready. The only
 *   ways to end them are to close every duplicate of the old file, or to close this instance.
 *
 * Always `delete` before `close`-ing a descriptor you may have duplicated.
 *
 * A `wait` with a timeout other than 0 blocks the JS thread (like `Atomics.wait`); use it in a
 * Worker or with bounded timeouts on the main thread.
 *
 * @example
 * ```ts
 * import { Epoll, EpollFlags } from "bunix";
 * using epoll = new Epoll<{ name: string }>({ maxEvents: 64 });
 * epoll.add(socketFd, EpollFlags.IN | EpollFlags.RDHUP, { name: "client" });
 * const events = epoll.wait(1000);
 * for (let i = 0; i < events.length; i++) {
 *   const data = events.data(i);
 *   if (data !== undefined && events.events(i) & EpollFlags.IN) console.log(data.name, "readable");
 * }
 * epoll.delete(socketFd);
 * ```
 */
export class Epoll<T = unknown> extends FdResource {
  // The hot path reads only private fields set once here: one FFI call, no allocation.
  readonly #epollWait: EpollSymbols["epoll_wait"];
  readonly #epollCtl: EpollSymbols["epoll_ctl"];
  readonly #kernel: EpollKernel;
  readonly #maxEvents: number;
  /** The `epoll_wait` buffer: `maxEvents` entries over a plain ArrayBuffer (never a small typed array). */
  readonly #words: Uint32Array;
  /** One `struct epoll_event` for `epoll_ctl`. */
  readonly #request: Uint32Array;
  readonly #handles = new HandleMap<T | undefined>();
  /** Descriptor number → its slot in `#handles`. */
  readonly #slots = new FdSlotTable();
  readonly #events: EpollEvents<T>;
  /** The `waitAsync` machinery, made on first use. */
  #async: AsyncWaiter<EpollEvents<T>> | undefined;
  /** Readiness watches made for async waiters (this instance's own, a Poller's): released at close. */
  readonly #watches: ReadinessWatch[] = [];

  /**
   * `epoll_create1(EPOLL_CLOEXEC)`: opens a new epoll instance.
   *
   * @param options - `maxEvents`: the most entries one `wait` returns (1 to 65536, default 1024).
   * @throws SystemError ENOTSUP (syscall `"Epoll"`) on a platform without epoll; EMFILE, ENFILE or
   *   ENOMEM from `epoll_create1`.
   * @throws TypeError when `options` is not an object or `maxEvents` not a number.
   * @throws RangeError when `maxEvents` is not an integer from 1 to 65536.
   *
   * @example
   * ```ts
   * using epoll = new Epoll<string>({ maxEvents: 256 });
   * console.log(epoll.fd >= 0, epoll.closed); // true false
   * ```
   */
  constructor(options?: EpollOptions) {
    super(createEpollFd(options), "Epoll");
    const k = epollKernel();
    this.#kernel = k;
    this.#epollWait = k.symbols.epoll_wait;
    this.#epollCtl = k.symbols.epoll_ctl;
    this.#maxEvents = readMaxEvents(options);
    this.#words = new Uint32Array(new ArrayBuffer(this.#maxEvents * k.entryBytes));
    this.#request = new Uint32Array(new ArrayBuffer(k.entryBytes));
    this.#events = new EpollEvents<T>(this.#words, this.#handles, k.entryWords, k.dataWord);
  }

  /** The most entries one `wait` returns, as given to the constructor. */
  get maxEvents(): number {
    return this.#maxEvents;
  }

  /**
   * How many descriptors hold data here: added and not yet deleted. A descriptor closed without
   * `delete` still counts until its number is deleted or added again; 0 after `close()`.
   */
  get size(): number {
    return this.#slots.size;
  }

  /**
   * `epoll_ctl(EPOLL_CTL_ADD)`: registers `fd` for `events`, with `data` to read back from each of
   * its events.
   *
   * `events` is a mask of {@link EpollFlags}; a negative number (as `IN | ET` gives) is read as its
   * unsigned 32-bit value. If this instance still holds data for the number (it was closed without
   * `delete` and the number has been reused), the kernel accepts the new registration and the old
   * data is released: events of an old registration still alive in the kernel read as stale.
   * When the kernel refuses, nothing is stored.
   *
   * @param fd - the descriptor to watch.
   * @param events - `EpollFlags` bits.
   * @param data - any value; `events.data(i)` returns it.
   * @throws SystemError (syscall `"epoll_ctl"`): EEXIST when the kernel already has this descriptor
   *   (file and number) registered here; EBADF when `fd` is not open; EPERM when it does not support
   *   epoll (a regular file, a directory); EINVAL when `fd` is this instance itself or the flags are
   *   refused (EXCLUSIVE with ONESHOT, say); ELOOP when nesting epoll instances would loop; ENOSPC
   *   at `/proc/sys/fs/epoll/max_user_watches`. EBADF (syscall `"Epoll.add"`) when this instance is
   *   closed.
   * @throws TypeError / RangeError for an `fd` or `events` of the wrong type or range.
   *
   * @example
   * ```ts
   * using epoll = new Epoll<string>();
   * epoll.add(fd, EpollFlags.IN, "reader");
   * try { epoll.add(fd, EpollFlags.IN, "again"); } catch (e) { console.log((e as SystemError).code); } // EEXIST
   * ```
   */
  add(fd: number, events: number, data?: T): void {
    const epfd = this.openFd("add");
    validateFd(fd);
    const mask = validateEvents(events);
    const handles = this.#handles;
    const slot = handles.insert(data, fd);
    if (this.#control(epfd, this.#kernel.ctlAdd, fd, mask, slot) < 0) {
      const error = lastError("epoll_ctl");
      handles.remove(slot);
      throw error;
    }
    const previous = this.#slots.get(fd);
    if (previous >= 0) handles.remove(previous);
    this.#slots.set(fd, slot);
  }

  /**
   * `epoll_ctl(EPOLL_CTL_MOD)`: changes the events `fd` is registered for, and re-arms a one-shot
   * registration.
   *
   * `data` replaces the registration's data; omitted or `undefined`, the old data stays (to clear
   * it, `delete` and `add` again). Events of the registration already in a batch keep resolving,
   * to the new data. When the kernel refuses, nothing changes.
   *
   * @param fd - a descriptor added before.
   * @param events - `EpollFlags` bits (not EXCLUSIVE).
   * @param data - the new data, or `undefined` to keep the old.
   * @throws SystemError (syscall `"epoll_ctl"`): ENOENT when `fd` is not registered here; EBADF when
   *   it is not open; EINVAL for EXCLUSIVE, or on a registration made with EXCLUSIVE. EBADF (syscall
   *   `"Epoll.modify"`) when this instance is closed.
   * @throws TypeError / RangeError for an `fd` or `events` of the wrong type or range.
   *
   * @example
   * ```ts
   * epoll.add(fd, EpollFlags.IN | EpollFlags.ONESHOT, "job");
   * epoll.wait(-1);                                      // reported once, then disabled
   * epoll.modify(fd, EpollFlags.IN | EpollFlags.ONESHOT); // re-armed, data still "job"
   * ```
   */
  modify(fd: number, events: number, data?: T): void {
    const epfd = this.openFd("modify");
    validateFd(fd);
    const mask = validateEvents(events);
    const handles = this.#handles;
    const known = this.#slots.get(fd);
    // A number unknown here may still be registered in the kernel (it was deleted while closed,
    // then a duplicate took the number back): give it a fresh slot, kept only if the kernel agrees.
    const slot = known >= 0 ? known : handles.insert(data, fd);
    if (this.#control(epfd, this.#kernel.ctlMod, fd, mask, slot) < 0) {
      const error = lastError("epoll_ctl");
      if (known < 0) handles.remove(slot);
      throw error;
    }
    if (known < 0) this.#slots.set(fd, slot);
    else if (data !== undefined) handles.set(slot, data);
  }

  /**
   * `epoll_ctl(EPOLL_CTL_DEL)`: stops watching `fd` and releases its data.
   *
   * The data is released even when the kernel then reports an error (the descriptor was closed
   * behind this instance's back, and the kernel had already dropped it): the error is still thrown,
   * and nothing is left behind. Entries of `fd` in the current batch read as stale from now on.
   *
   * @param fd - a descriptor added before.
   * @throws SystemError (syscall `"epoll_ctl"`): ENOENT when `fd` is not registered here; EBADF when
   *   it is not open. EBADF (syscall `"Epoll.delete"`) when this instance is closed.
   * @throws TypeError / RangeError for an `fd` of the wrong type or range.
   *
   * @example
   * ```ts
   * epoll.delete(fd);
   * closeMyDescriptor(fd); // delete first, then close
   * ```
   */
  delete(fd: number): void {
    const epfd = this.openFd("delete");
    validateFd(fd);
    const slot = this.#slots.get(fd);
    if (slot >= 0) {
      this.#slots.delete(fd);
      this.#handles.remove(slot);
    }
    if (this.#epollCtl(epfd, this.#kernel.ctlDel, fd, this.#request) < 0) throw lastError("epoll_ctl");
  }

  /**
   * `epoll_wait(2)`: waits until registered descriptors are ready, or the timeout passes, and
   * returns them in this instance's reusable {@link EpollEvents} (valid until the next `wait`).
   *
   * `timeoutMs` is milliseconds: `0` polls, `-1`, `Infinity` or omitted wait forever, fractions
   * round up. An interrupted wait (EINTR: a signal handler ran on this thread) is retried with the
   * time that is left, so `wait` returns only with events or after the whole timeout. At most
   * `maxEvents` entries come back; further ready descriptors come with the next call. A wait other
   * than `wait(0)` blocks the JS thread: timers, promises and signal handlers run after it returns.
   *
   * `wait(0)` is the hot path: one system call, no allocation, no clock read.
   *
   * In a Worker, `worker.terminate()` does not interrupt a wait in progress: the thread stays
   * blocked in the kernel and the instance's descriptor stays open. Register a descriptor for
   * waking it (an eventfd), make it ready, let the wait return and close the instance, then
   * terminate.
   *
   * @param timeoutMs - how long to wait, in ms; default forever.
   * @returns the instance's result, with `length` 0 after a timeout.
   * @throws SystemError EBADF (syscall `"Epoll.wait"`) when this instance is closed; any failure of
   *   `epoll_wait` but EINTR (syscall `"epoll_wait"`).
   * @throws TypeError when `timeoutMs` is not a number; RangeError when it is NaN or negative other
   *   than -1.
   *
   * @example
   * ```ts
   * const events = epoll.wait(100);
   * let total = 0;
   * for (let i = 0; i < events.length; i++) total += events.data(i) ?? 0;
   * ```
   */
  wait(timeoutMs?: number): EpollEvents<T> {
    const epfd = this.openFd("wait");
    const result = this.#events;
    if (timeoutMs === 0) {
      const count = this.#epollWait(epfd, this.#words, this.#maxEvents, 0);
      setEventsLength(result, count >= 0 ? count : this.#pollAgain(epfd, errno()));
      return result;
    }
    const timeout = validateTimeout(timeoutMs);
    const startedAt = timeout > 0 ? performance.now() : 0;
    const count = this.#epollWait(epfd, this.#words, this.#maxEvents, kernelTimeout(timeout) | 0);
    setEventsLength(result, count > 0 ? count : this.#finishWait(epfd, timeout, startedAt, count, count < 0 ? errno() : 0));
    return result;
  }

  /**
   * `epoll_wait(2)` without blocking the JS thread: resolves with this instance's reusable
   * {@link EpollEvents} when registered descriptors are ready, or when the timeout passes (then
   * empty). The rules (timeout, abort, close, one wait at a time, keeping the process alive,
   * errors) are those of every `waitAsync`: see {@link WaitAsyncOptions}.
   *
   * How it waits (an epoll descriptor is readable while it has events, and watching it takes
   * none): the kernel relays this instance's readiness to a socket that Bun's own event loop keeps
   * reading, one per JS thread (an io_uring poll linked to an 8-byte send, submitted with one
   * `io_uring_enter` per wait; no thread, no descriptor handed to Bun per wait), so one thread
   * wake-up per event and no busy polling. Where io_uring is missing or forbidden (seccomp,
   * `kernel.io_uring_disabled`, qemu-user), a close-on-exec duplicate of the descriptor sits in
   * Bun's loop while a wait is pending (Bun sets `O_NONBLOCK` on the open file, which `epoll_wait`
   * ignores); should Bun's loop refuse the instance (it holds Bun's own loop epoll, say), a helper
   * thread watches it (one per JS thread, started on first use, stopped after 100 ms without
   * waits). Expect about the wake-up latency of Bun's own sockets (benchmark
   * `wake-latency-async`), or `{ busyPoll: true }` for a few microseconds at the cost of a core.
   * Besides those of `epoll_wait`, the errors of setting up the watch are those of
   * `io_uring_enter` (rare: the ring is set up once per thread), EMFILE (the duplicate) and those
   * of `epoll_ctl` (ELOOP when this instance holds epoll instances nested too deep, ENOMEM,
   * ENOSPC).
   *
   * @param timeoutMs - how long to wait, in ms; default forever.
   * @param options - `signal` to abort; `busyPoll` to poll on every event-loop turn instead of
   *   sleeping (100 % of a core while pending).
   * @returns this instance's result, with `length` 0 after a timeout.
   *
   * @example
   * ```ts
   * using epoll = new Epoll<string>();
   * epoll.add(socketFd, EpollFlags.IN, "client");
   * const events = await epoll.waitAsync(1000, { signal: AbortSignal.timeout(5000) });
   * for (const { data } of events) console.log(data, "readable");
   * ```
   */
  waitAsync(timeoutMs?: number, options?: WaitAsyncOptions): Promise<EpollEvents<T>> {
    return this.#waiter().waitAsync(timeoutMs, options);
  }

  /**
   * The loop form of {@link Epoll.waitAsync}: each iteration yields this instance's reusable
   * {@link EpollEvents} with the next batch, and the watch stays armed between iterations. The rules
   * (ending the loop, abort, close, EBUSY, keeping the process alive) are those of
   * {@link WaitAsyncOptions}, written once there.
   *
   * @param options - `signal` to end the loop; `busyPoll` as for `waitAsync`.
   * @returns an async iterator over the results.
   *
   * @example
   * ```ts
   * const controller = new AbortController();
   * for await (const events of epoll.batches({ signal: controller.signal })) {
   *   for (const { data } of events) console.log(data, "ready");
   * }
   * ```
   */
  batches(options?: WaitAsyncOptions): AsyncIterableIterator<EpollEvents<T>> {
    return this.#waiter().batches(options);
  }

  #waiter(): AsyncWaiter<EpollEvents<T>> {
    return (this.#async ??= new AsyncWaiter("Epoll", this, (onReady, onError) => this[readinessWatch](onReady, onError)));
  }

  /**
   * The watch that reports this instance's readiness to an async waiter (the first row of the
   * table in src/async/index.ts). For `waitAsync` and the `Poller`.
   * @internal
   */
  [readinessWatch](onReady: () => void, onError: (error: unknown) => void): ReadinessWatch {
    const watch = epollWatch(this.openFd("waitAsync"), onReady, onError);
    this.#watches.push(watch);
    return watch;
  }

  /** Drops every registration's data (their events read as stale) and empties the result. */
  protected override releaseResources(): void {
    // First: a pending waitAsync rejects, and the helper's registration goes before the fd does.
    this.#async?.close();
    for (const watch of this.#watches.splice(0)) watch.dispose();
    this.#handles.clear();
    this.#slots.clear();
    setEventsLength(this.#events, 0);
  }

  /** `epoll_ctl` with the token of `slot`. Returns what the call returned; read errno next if negative. */
  #control(epfd: number, op: number, fd: number, mask: number, slot: number): number {
    const request = this.#request;
    const dataWord = this.#kernel.dataWord;
    request[0] = mask;
    request[dataWord] = slot;
    request[dataWord + 1] = this.#handles.generation(slot);
    return this.#epollCtl(epfd, op, fd, request);
  }

  /** A poll (`wait(0)`) that failed: retried while EINTR, as a poll takes no time to finish. */
  #pollAgain(epfd: number, code: number): number {
    for (;;) {
      if (code !== EINTR) throw SystemError.fromErrno(code, "epoll_wait");
      const count = this.#epollWait(epfd, this.#words, this.#maxEvents, 0);
      if (count >= 0) return count;
      code = errno();
    }
  }

  /** A timed wait whose first call failed or came back empty: EINTR and long waits (timeout.ts). */
  #finishWait(epfd: number, timeout: number, startedAt: number, first: number, code: number): number {
    const words = this.#words;
    const maxEvents = this.#maxEvents;
    const epollWait = this.#epollWait;
    return continueTimedWait(timeout, startedAt, first, code, (ms) => epollWait(epfd, words, maxEvents, ms | 0), "epoll_wait");
  }
}
