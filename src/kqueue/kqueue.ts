/**
 * `Kqueue<T>`: kqueue(2) and kevent(2) on macOS and FreeBSD, and on Linux through libkqueue.
 *
 * Two rules shape the class, both written for BSD semantics and harmless there, and both needed
 * for libkqueue (docs/design/libkqueue.md §8):
 *
 * - Every change goes to the kernel in its own `kevent()` call with `EV_RECEIPT` and one result
 *   slot (nevents == nchanges), separate from the waiting call. So each change reports its own
 *   error at the method that made it, nothing is applied or dropped silently, and no receipt is
 *   mixed into a wait's events. (libkqueue with a larger event list waits for events and throws
 *   away the receipts it wrote.)
 * - A registration is known by (ident, filter) and carries one udata token for its whole life.
 *   Every change to it resends that token and its stored fflags and data, because the kernels
 *   overwrite them on any change (FreeBSD even on EV_ENABLE/EV_DISABLE; macOS and libkqueue on a
 *   bare NOTE_TRIGGER).
 *
 * @module
 */
import { existsSync } from "node:fs";
import { errno, errnoNumber, hostOs } from "../../ffi/index.ts";
import { KeventHelper, kqueueWatch } from "../async/index.ts";
import { type ReadinessWatch, readinessWatch } from "../async/watch.ts";
import { AsyncWaiter, type WaitAsyncOptions } from "../async/wait-async.ts";
import { SystemError, invalidType, lastError, outOfRange, unsupportedError } from "../core/errors.ts";
import { closeDescriptor, isCloseOnExec, setCloseOnExec } from "../core/fd.ts";
import { KeventBuffer } from "../kevent/codec.ts";
import { type KeventCall, type KqueueFunctions, kqueueFunctions, validateLibrary } from "../kevent/library.ts";
import { submitWithReceipt } from "../kevent/receipt.ts";
import { KeventList, setKeventListLength } from "./kevent-list.ts";
import { hostKqueueAbi, kqueueConstant } from "../kevent/constants.ts";
import { KqueueRegistrations } from "./registrations.ts";
import { LOST_EXIT_ERRNO, isChildOfThisProcess, pauseAfterEmptyReturns } from "./lost-exits.ts";
import { FdResource } from "../core/resource.ts";
import { openRecordingLibraryFds } from "../core/library-fds.ts";
import { continueTimedWait, validateTimeout } from "../core/timeout.ts";
import { MAX_TIMER_MS, timeLayout, writeTimespec } from "../core/timespec.ts";
import { validateInteger, validateOptions } from "../core/validate.ts";

export { EventFilter, EventFlags, Note, type EventFilters, type EventFlagBits, type NoteFlags } from "../kevent/constants.ts";
export { KeventList, type Kevent } from "./kevent-list.ts";

/** Options of {@link Kqueue}. */
export interface KqueueOptions {
  /**
   * The most events one `wait` returns (the size of the event buffer), from 1 to 65536.
   * Default 1024. libkqueue returns at most 512 per call; the rest come with the next `wait`.
   */
  readonly maxEvents?: number;
  /**
   * A kqueue implementation to load instead of the C library's, by path: on Linux, libkqueue
   * (`/usr/local/lib/libkqueue.so.0`, say). Linux has no kqueue of its own, so there `Kqueue`
   * needs this option. The constants (`EventFilter`, `EventFlags`, `Note`) and the
   * `struct kevent` layout are those of the platform's kqueue flavour: libkqueue's on Linux, the
   * native ones elsewhere.
   */
  readonly library?: string;
}

const DEFAULT_MAX_EVENTS = 1024;
const MAX_MAX_EVENTS = 65536;
const INT16_MIN = -0x8000;
const INT16_MAX = 0x7fff;
const UINT16_MAX = 0xffff;
// Timers made by registerTimer get idents from here up; see registerTimer.
const FIRST_TIMER_IDENT = 2 ** 32;
const EINTR = errnoNumber("EINTR");
// The most events a waitAsync helper thread collects per kevent() (see [readinessWatch]).
const HELPER_MAX_EVENTS = 1024;

const EV_ADD = kqueueConstant("EV_ADD");
const EV_DELETE = kqueueConstant("EV_DELETE");
const EV_ENABLE = kqueueConstant("EV_ENABLE");
const EV_DISABLE = kqueueConstant("EV_DISABLE");
const EV_ONESHOT = kqueueConstant("EV_ONESHOT");
const EV_RECEIPT = kqueueConstant("EV_RECEIPT");
const EV_EOF = kqueueConstant("EV_EOF");
const EV_ERROR = kqueueConstant("EV_ERROR");
const EVFILT_READ = kqueueConstant("EVFILT_READ");
const EVFILT_WRITE = kqueueConstant("EVFILT_WRITE");
const EVFILT_PROC = kqueueConstant("EVFILT_PROC");
const EVFILT_TIMER = kqueueConstant("EVFILT_TIMER");
const EVFILT_USER = kqueueConstant("EVFILT_USER");
const NOTE_EXIT = kqueueConstant("NOTE_EXIT");
const NOTE_TRIGGER = kqueueConstant("NOTE_TRIGGER");

/**
 * A kqueue: register interest in descriptors, processes, signals, timers, files and user events,
 * then wait for them, each with any JS value attached as its udata.
 *
 * Changes (`register`, `registerTimer`, `unregister`, `trigger`) are applied at once, each in its
 * own `kevent(2)` call with `EV_RECEIPT`, so a change the kernel refuses throws a `SystemError`
 * (syscall `"kevent"`) at the call that made it: `EBADF` for a descriptor that is not open,
 * `ENOENT` for a change to something never registered, `ESRCH` for a process that does not exist.
 * `wait` then collects events in a separate call.
 *
 * udata is kept in a handle map: the kernel only sees a token (slot index in the low 32 bits of
 * `udata`, a generation count in the high 32 bits), so an event never delivers another
 * registration's data. The udata of a registration is released at `unregister`, at `close`, and
 * after its event is delivered when the kernel drops the registration by itself (one-shot events
 * and process exits): in that case the event still delivers the udata in the batch that holds it,
 * and the slot is released at the start of the next `wait` (or at `close`).
 *
 * Platforms: macOS (32-byte `struct kevent`), FreeBSD 12+ (64-byte `struct kevent`), and Linux with
 * libkqueue (`new Kqueue({ library })`), whose constants follow FreeBSD except the timer units,
 * which follow macOS. libkqueue differs from BSD in a few places the methods below note; it opens
 * about ten descriptors and two threads of its own with the first kqueue of a process. Its kqueue
 * descriptor is the write end of a pipe: it cannot be watched by epoll or another kqueue.
 *
 * `wait` blocks the calling JS thread (docs/design/bun-ffi.md §5): prefer bounded timeouts on the main
 * thread.
 *
 * @typeParam T - the type of the udata values.
 *
 * @example
 * ```ts
 * import { EventFilter, EventFlags, Kqueue } from "bunix";
 * using kq = new Kqueue<{ name: string }>();          // Linux: new Kqueue({ library: "/usr/local/lib/libkqueue.so.0" })
 * const client = { name: "client" };
 * kq.register(fd, EventFilter.Read, EventFlags.ADD | EventFlags.ENABLE, client);
 * const events = kq.wait(1000);
 * for (let i = 0; i < events.length; i++) {
 *   if (events.udata(i) === client) console.log(events.data(i), "bytes to read on", events.ident(i));
 * }
 * ```
 */
export class Kqueue<T = unknown> extends FdResource {
  readonly #kevent: KeventCall;
  readonly #registrations = new KqueueRegistrations<T>();
  readonly #change: KeventBuffer;
  readonly #receipt: KeventBuffer;
  readonly #events: KeventBuffer;
  readonly #list: KeventList<T>;
  readonly #maxEvents: number;
  // struct timespec for the wait's timeout, and an all-zero one for change calls and polls.
  readonly #timeout: Uint32Array;
  readonly #zeroTimeout: Uint32Array;
  readonly #timerMicroseconds: number;
  readonly #noteExitStatus: number;
  #nextTimerIdent = FIRST_TIMER_IDENT;
  /** The `library` option: where `kevent` came from (a helper thread loads it from there too). */
  readonly #library: string | undefined;
  /** The `waitAsync` machinery, made on first use. */
  #async: AsyncWaiter<KeventList<T>> | undefined;
  /** With a `library` kqueue: the helper thread that calls kevent() for `waitAsync`. */
  #helper: KeventHelper | undefined;
  /** Readiness watches made for async waiters (this instance's own, a Poller's): released at close. */
  readonly #watches: ReadinessWatch[] = [];
  /**
   * `library` kqueue: process watches whose exit was lost (lost-exits.ts), removed from the
   * library and not yet reported: [pid, slot, generation, …].
   */
  readonly #lostExits: number[] = [];
  /** `library` kqueue: early empty returns in a row that no lost exit explained, in this wait. */
  #emptyStreak = 0;

  /**
   * kqueue(2): creates a kqueue, close-on-exec.
   *
   * @param options - `maxEvents` (default 1024) and `library` (a kqueue implementation to load,
   *   required on Linux).
   * @throws SystemError `ENOTSUP` (syscall `"Kqueue"`) on Linux without `library`, and on a
   *   platform without kqueue; `ENOENT` (syscall `"Kqueue"`) when `library` names a file that does
   *   not exist; `ENOTSUP` when it cannot be loaded or lacks `kqueue`/`kevent`; `EMFILE`,
   *   `ENFILE`, `ENOMEM` from kqueue(2).
   * @throws TypeError when `options` or `library` has the wrong type; RangeError for a
   *   `maxEvents` that is not an integer from 1 to 65536.
   *
   * @example
   * ```ts
   * import { Kqueue, platform } from "bunix";
   * const kq = platform.supports.kqueue ? new Kqueue() : new Kqueue({ library: "/usr/local/lib/libkqueue.so.0" });
   * kq.close();
   * ```
   */
  constructor(options?: KqueueOptions) {
    const { maxEvents: maxOption, library: libraryOption } = validateOptions(options);
    const maxEvents =
      maxOption === undefined ? DEFAULT_MAX_EVENTS : validateInteger(maxOption, "options.maxEvents", 1, MAX_MAX_EVENTS);
    const library = validateLibrary(libraryOption);
    const symbols = openBackend(library);
    // A library's first kqueue() opens descriptors of its own: recorded for the fd-leak guard.
    const fd = library === undefined ? symbols.kqueue() : openRecordingLibraryFds(library, () => symbols.kqueue());
    if (fd < 0) throw lastError("kqueue");
    try {
      // macOS and FreeBSD kqueues are not inherited across fork() anyway; the flag keeps exec'd
      // children clean in every case. libkqueue's descriptor already has it.
      if (!isCloseOnExec(fd)) setCloseOnExec(fd);
    } catch (error) {
      closeDescriptor(fd);
      throw error;
    }
    super(fd, "Kqueue");
    this.#library = library;
    this.#kevent = symbols.kevent;
    this.#maxEvents = maxEvents;
    this.#change = new KeventBuffer(hostKqueueAbi.kevent, 1);
    this.#receipt = new KeventBuffer(hostKqueueAbi.kevent, 1);
    this.#events = new KeventBuffer(hostKqueueAbi.kevent, maxEvents);
    this.#list = new KeventList(this.#events, this.#registrations.handles);
    const timespecBytes = timeLayout().timespecBytes;
    this.#timeout = new Uint32Array(new ArrayBuffer(timespecBytes));
    this.#zeroTimeout = new Uint32Array(new ArrayBuffer(timespecBytes));
    this.#timerMicroseconds = hostKqueueAbi.timerMicrosecondsFlag;
    this.#noteExitStatus = hostKqueueAbi.noteExitStatus;
  }

  /**
   * kevent(2) with one change, `EV_RECEIPT`: adds, modifies, enables or disables the event
   * (ident, filter), with `udata` attached.
   *
   * - `ident`: a descriptor for `Read`/`Write`/`Vnode`, a pid for `Proc`, a signal number for
   *   `Signal`, any number of your choice for `Timer` and `User`.
   * - `flags`: `EventFlags` bits. `ADD` registers or modifies, `ENABLE`/`DISABLE` switch delivery,
   *   `ONESHOT`, `CLEAR`, `DISPATCH` as in kevent(2). `RECEIPT` is added for you. `DELETE` does
   *   what {@link Kqueue.unregister} does.
   * - `udata`: given, it replaces the registration's udata; omitted, a new registration has none
   *   and an existing one keeps its own. The token the kernel holds never changes while the
   *   registration exists, so events already returned resolve to the new value.
   * - `fflags`, `data`: filter flags and data (`Note` bits; a `Timer` period in its unit, a low
   *   water mark, …). Omitted, a new registration gets 0 and an existing one keeps what it had.
   *
   * `Proc` with `Note.EXIT`: the event's `data` is the wait status of the process (`data >> 8` is
   * its exit code). On macOS that takes `NOTE_EXITSTATUS`, which is added for you. The process
   * must be a child of this one on macOS and libkqueue (there another pid is refused: `ECHILD`,
   * syscall `"Kqueue.register"`), and nobody may reap it before the event is collected. Bun reaps
   * the children it spawned (`Bun.spawn`, `child_process`) in its event loop, so register the pid
   * and block in `wait` *before any `await`* (or keep the child from exiting until you have
   * registered) to get the status. On libkqueue an exit reaped first cannot be read: the next
   * `wait` (or `waitAsync`) reports it anyway, as `Note.EXIT` with `EventFlags.EOF | ERROR` and
   * `data` ECHILD (10 on Linux) instead of a status, and the registration is gone.
   *
   * Platform notes:
   * - libkqueue: re-adding an existing `Read`/`Write` registration fails there with a stale
   *   errno, so for those two filters a second `ADD` is sent as `DELETE` then `ADD`. `ADD` with
   *   `DISABLE` in one change is not honoured there, so it is sent as `ADD` then `DISABLE`.
   *   A change carrying `EV_RECEIPT` is also treated there as a modify, which would reset a
   *   timer, process or file watch, so a bare `ENABLE` (without `ADD`, `DELETE` or `DISABLE`) is
   *   sent without `EV_RECEIPT` in a call that has no event list, which reports its error the
   *   same way. All of these are equivalent on macOS and FreeBSD.
   * - libkqueue: only `Note.EXIT` is delivered for `Proc`; `Note.FORK`/`EXEC` are accepted but
   *   never reported. Close descriptors only after unregistering them: libkqueue keeps the
   *   registration of a closed descriptor (BSD drops it).
   * - libkqueue: `Read` on a regular file reports the bytes left to end of file, and once the
   *   file has been read to the end it never fires again, not even when another process appends
   *   (BSD reports the new bytes). To follow a growing file there, watch it with `Vnode` and
   *   `Note.WRITE | Note.EXTEND` and read on those events.
   *
   * @param ident - an integer from 0 to 2^53 - 1.
   * @param filter - an `EventFilter` value (an int16).
   * @param flags - `EventFlags` bits (a uint16).
   * @param udata - any JS value, returned with each event of this registration.
   * @param fflags - `Note` bits (a uint32; a negative int32, as `Note.EXIT | Note.FORK` gives, is
   *   taken as its bit pattern).
   * @param data - filter-specific data (a safe integer).
   * @throws SystemError (syscall `"kevent"`): `EBADF` for a descriptor that is not open, `ENOENT`
   *   for a change without `ADD` to something not registered, `ESRCH` for a process that does not
   *   exist, `EINVAL` for bad fflags/data or `ONESHOT` with `DISPATCH`, `ENOSYS`/`EINVAL` for a
   *   filter the kqueue lacks; `EBADF` (syscall `"Kqueue.register"`) when the kqueue is closed.
   * @throws TypeError or RangeError for arguments of the wrong type or out of range.
   *
   * @example
   * ```ts
   * using kq = new Kqueue<string>();
   * kq.register(sock.fd, EventFilter.Read, EventFlags.ADD | EventFlags.ENABLE, "peer");
   * kq.register(sock.fd, EventFilter.Read, EventFlags.DISABLE);      // keeps "peer"
   * kq.register(sock.fd, EventFilter.Read, EventFlags.ENABLE);
   * const child = Bun.spawn(["sleep", "0.1"]);
   * kq.register(child.pid, EventFilter.Proc, EventFlags.ADD, "sleeper", Note.EXIT);
   * const events = kq.wait(5000);                                     // no await before this
   * ```
   */
  register(ident: number, filter: number, flags: number, udata?: T, fflags?: number, data?: number): void {
    const fd = this.openFd("register");
    validateInteger(ident, "ident", 0, Number.MAX_SAFE_INTEGER);
    validateInteger(filter, "filter", INT16_MIN, INT16_MAX);
    validateInteger(flags, "flags", 0, UINT16_MAX);
    if (fflags !== undefined) fflags = validateFflags(fflags);
    if (data !== undefined) validateInteger(data, "data", Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
    if ((flags & EV_DELETE) !== 0) {
      this.#delete(fd, ident, filter);
      return;
    }
    const registrations = this.#registrations;
    const droppable = (flags & EV_ONESHOT) !== 0 || filter === EVFILT_PROC;
    const slot = registrations.find(ident, filter);
    if (slot === -1) {
      const newFflags = this.#withExitStatus(filter, fflags ?? 0);
      const newData = data ?? 0;
      if ((flags & EV_ADD) === 0) {
        // Nothing of ours to change: the kernel answers (ENOENT on every kqueue), with a token
        // that resolves to nothing.
        throwIfFailed(this.#submit(fd, ident, filter, flags, newFflags, newData, 0, 0));
        return;
      }
      const created = registrations.create(ident, filter, udata, flags, storedFflags(filter, newFflags), newData);
      // Marked before the kernel sees it: a refused add releases the slot, which unmarks it.
      if (droppable) registrations.markDroppable(created);
      const error = this.#add(fd, ident, filter, flags, newFflags, newData, created);
      if (error !== 0) {
        registrations.release(created);
        throwIfFailed(Math.abs(error));
      }
      // libkqueue accepts any live pid but can report the exit of an unreaped child only; any
      // other would be lost and make every later wait return at once (lost-exits.ts). Checked
      // after the add, so that a pid that does not exist stays ESRCH.
      if (filter === EVFILT_PROC && this.#library !== undefined && !isChildOfThisProcess(ident)) {
        this.#submit(fd, ident, filter, EV_DELETE, newFflags, newData, created, registrations.generation(created));
        registrations.release(created);
        throw new SystemError(
          "ECHILD",
          "Kqueue.register",
          `process ${ident} is not a child of this one (or was reaped already): the kqueue library cannot report its exit`,
        );
      }
      return;
    }
    if (droppable) registrations.markDroppable(slot);
    const nextFflags = fflags === undefined ? registrations.fflags(slot) : this.#withExitStatus(filter, fflags);
    const nextData = data ?? registrations.data(slot);
    if ((flags & EV_ADD) !== 0) {
      if (filter === EVFILT_READ || filter === EVFILT_WRITE) {
        // libkqueue 2.7: re-EV_ADD of a READ/WRITE knote without EV_CLEAR fails with a stale
        // errno and changes nothing (docs/design/libkqueue.md §8); delete and add again. Its
        // result is ignored: on BSD the registration of a closed descriptor is already gone.
        this.#submit(fd, ident, filter, EV_DELETE, nextFflags, nextData, slot, registrations.generation(slot));
        const error = this.#add(fd, ident, filter, flags, nextFflags, nextData, slot);
        if (error !== 0) {
          registrations.release(slot);
          throwIfFailed(Math.abs(error));
        }
      } else {
        const error = this.#add(fd, ident, filter, flags, nextFflags, nextData, slot);
        // A refused modify leaves the registration as it was; a failed DISABLE step removed it.
        if (error < 0) registrations.release(slot);
        throwIfFailed(Math.abs(error));
      }
      registrations.update(slot, flags, storedFflags(filter, nextFflags), nextData);
    } else {
      throwIfFailed(this.#submit(fd, ident, filter, flags, nextFflags, nextData, slot, registrations.generation(slot)));
      registrations.update(slot, registrations.flags(slot), storedFflags(filter, nextFflags), nextData);
    }
    if (udata !== undefined) registrations.handles.set(slot, udata);
  }

  /**
   * kevent(2) with one `EVFILT_TIMER` change: starts a timer of `durationMs` milliseconds and
   * returns its ident. With `EventFlags.ADD` it is periodic (each event's `data` is the number of
   * expirations since the last one, at least 1); with `ADD | ONESHOT` it fires once and its udata
   * is released after that event. `ADD` is implied. Unregister a periodic timer with
   * `unregister(ident, EventFilter.Timer)`.
   *
   * Any duration works: fractions of a millisecond are kept to the microsecond (the timer is set
   * in the platform's microsecond unit: `NOTE_USECONDS`, 2 on macOS and libkqueue, 4 on FreeBSD).
   * A duration of 0 fires at once; it is set as 1 µs, because libkqueue never fires a timer of 0.
   *
   * Idents come from a private counter that starts at 2^32 and skips any ident registered on this
   * kqueue for the `Timer` filter, so they never clash with `Timer` idents you register yourself
   * with `register`, as long as you choose those below 2^32.
   *
   * @param durationMs - the period or delay in ms: a finite number >= 0.
   * @param flags - `EventFlags` bits: `ADD` (implied), `ONESHOT`, `DISABLE`, `DISPATCH`.
   * @param udata - any JS value, returned with each event of this timer.
   * @returns the timer's ident, as events report it.
   * @throws SystemError (syscall `"kevent"`) when the kernel refuses the timer (`EINVAL`;
   *   `ENOMEM`/`EMFILE` on libkqueue, which uses a timerfd per timer); `EBADF` (syscall
   *   `"Kqueue.registerTimer"`) when the kqueue is closed.
   * @throws TypeError when `durationMs` is not a number; RangeError when it is negative, NaN,
   *   infinite or above 2^53 / 1000, or when `flags` holds `DELETE` or is not a uint16.
   *
   * @example
   * ```ts
   * using kq = new Kqueue<string>();
   * const tick = kq.registerTimer(20, EventFlags.ADD, "tick");              // every 20 ms
   * kq.registerTimer(0.5, EventFlags.ADD | EventFlags.ONESHOT, "soon");    // once, after 500 µs
   * for (const { ident, data, udata } of kq.wait(1000)) console.log(udata, ident === tick ? data : 1);
   * kq.unregister(tick, EventFilter.Timer);
   * ```
   */
  registerTimer(durationMs: number, flags: number, udata?: T): number {
    this.openFd("registerTimer");
    if (typeof durationMs !== "number") throw invalidType("durationMs", "of type number", durationMs);
    if (!(durationMs >= 0 && durationMs <= MAX_TIMER_MS)) {
      throw outOfRange("durationMs", `a finite number >= 0 and <= ${MAX_TIMER_MS}`, durationMs);
    }
    validateInteger(flags, "flags", 0, UINT16_MAX);
    if ((flags & EV_DELETE) !== 0) throw outOfRange("flags", "without EventFlags.DELETE (use unregister)", flags);
    // libkqueue never fires a timer whose data is 0 (docs/design/libkqueue.md §4); 1 µs is
    // "at once" everywhere.
    const microseconds = Math.max(1, Math.round(durationMs * 1000));
    let ident = this.#nextTimerIdent;
    while (this.#registrations.has(ident, EVFILT_TIMER)) ident++;
    this.register(ident, EVFILT_TIMER, flags | EV_ADD, udata, this.#timerMicroseconds, microseconds);
    this.#nextTimerIdent = ident + 1;
    return ident;
  }

  /**
   * kevent(2) with one `EV_DELETE` change: removes the event (ident, filter) and releases its
   * udata. The udata is released even when the kernel reports an error (the registration is gone
   * either way): events of it still in the current batch read `undefined` from then on.
   *
   * A one-shot registration is gone once its event was delivered, so unregistering it then is
   * `ENOENT`, as on BSD. On libkqueue, unregister a descriptor before closing it (BSD drops the
   * registration of a closed descriptor itself; libkqueue keeps it).
   *
   * @param ident - as given to `register`, or returned by `registerTimer`.
   * @param filter - the `EventFilter` it was registered with.
   * @throws SystemError (syscall `"kevent"`): `ENOENT` when (ident, filter) is not registered,
   *   `EBADF` on BSD for a descriptor closed since; `EBADF` (syscall `"Kqueue.unregister"`) when
   *   the kqueue is closed.
   * @throws TypeError or RangeError for arguments of the wrong type or out of range.
   *
   * @example
   * ```ts
   * using kq = new Kqueue<string>();
   * kq.register(fd, EventFilter.Read, EventFlags.ADD, "peer");
   * kq.unregister(fd, EventFilter.Read);
   * ```
   */
  unregister(ident: number, filter: number): void {
    const fd = this.openFd("unregister");
    validateInteger(ident, "ident", 0, Number.MAX_SAFE_INTEGER);
    validateInteger(filter, "filter", INT16_MIN, INT16_MAX);
    this.#delete(fd, ident, filter);
  }

  /**
   * kevent(2) with one `EVFILT_USER` change carrying `NOTE_TRIGGER`: triggers the user event
   * `ident`, which must have been registered with `register(ident, EventFilter.User, …)`. The
   * next `wait` returns it (with `EventFlags.CLEAR` once; without, until it is cleared).
   *
   * The change resends the registration's udata token: a bare trigger overwrites the stored udata
   * on macOS and libkqueue.
   *
   * @param ident - the user event's ident.
   * @param fflags - optional `Note.FFAND`/`FFOR`/`FFCOPY` control with 24 user bits, applied to
   *   the event's fflags (`Note.FFOR | 5`, say). `Note.TRIGGER` is added for you.
   * @throws SystemError (syscall `"kevent"`) `ENOENT` when `ident` is not a registered user
   *   event; `EBADF` (syscall `"Kqueue.trigger"`) when the kqueue is closed.
   * @throws TypeError or RangeError for arguments of the wrong type or out of range.
   *
   * @example
   * ```ts
   * using kq = new Kqueue<string>();
   * kq.register(1, EventFilter.User, EventFlags.ADD | EventFlags.CLEAR, "wake");
   * kq.trigger(1);
   * console.log(kq.wait(0).udata(0));   // "wake"
   * ```
   */
  trigger(ident: number, fflags = 0): void {
    const fd = this.openFd("trigger");
    validateInteger(ident, "ident", 0, Number.MAX_SAFE_INTEGER);
    const registrations = this.#registrations;
    const slot = registrations.find(ident, EVFILT_USER);
    const change = (NOTE_TRIGGER | validateFflags(fflags)) >>> 0;
    if (slot === -1) throwIfFailed(this.#submit(fd, ident, EVFILT_USER, 0, change, 0, 0, 0));
    else throwIfFailed(this.#submit(fd, ident, EVFILT_USER, 0, change, registrations.data(slot), slot, registrations.generation(slot)));
  }

  /**
   * kevent(2) with an event list and no changes: waits until events are ready or the timeout
   * passes, and returns them in this instance's reusable {@link KeventList} (valid until the next
   * `wait` or `close`; empty after a timeout).
   *
   * EINTR is retried with the time left. An early empty return (libkqueue has spurious ones) is
   * waited out until the deadline; on a `library` kqueue it is first checked for process exits the
   * library lost (see `register`), and a run of unexplained ones is paced by short sleeps, so a
   * wait never spins. Udata of one-shot events delivered by the previous `wait` is
   * released when this one starts. On a `library` kqueue that has used `waitAsync`, events its
   * helper thread collected and no wait has delivered yet come first, without another kevent()
   * call (the helper is brought out of kevent() before this one runs).
   *
   * This call blocks the JS thread while it waits.
   *
   * @param timeoutMs - ms like `setTimeout`: -1, `Infinity` or omitted waits forever, 0 polls,
   *   fractions round up.
   * @throws SystemError (syscall `"kevent"`) when kevent(2) fails (libkqueue reports a kqueue
   *   descriptor closed behind the object's back as `ENOENT`, BSD as `EBADF`); `EBADF` (syscall
   *   `"Kqueue.wait"`) when the kqueue is closed.
   * @throws TypeError when `timeoutMs` is not a number; RangeError for NaN or a negative value
   *   other than -1.
   *
   * @example
   * ```ts
   * using kq = new Kqueue<string>();
   * kq.registerTimer(10, EventFlags.ADD | EventFlags.ONESHOT, "done");
   * const events = kq.wait(1000);
   * console.log(events.length, events.udata(0));   // 1 "done"
   * ```
   */
  wait(timeoutMs?: number): KeventList<T> {
    this.openFd("wait");
    const timeout = validateTimeout(timeoutMs);
    const list = this.#list;
    setKeventListLength(list, 0);
    const registrations = this.#registrations;
    registrations.flushRetired();
    // Events a waitAsync helper thread collected and nobody received yet come first (and the
    // helper is brought out of kevent() before this thread calls it).
    let count = this.#helper === undefined ? 0 : this.#helper.take(this.#events.words);
    // Lost exits a waitAsync helper's empty return uncovered come next (`library` kqueues only).
    if (count === 0 && this.#lostExits.length > 0) count = this.#deliverLostExits();
    if (count === 0) {
      const startedAt = timeout > 0 ? performance.now() : 0;
      // A `library` kqueue's waits go through the guard against empty early returns.
      const call = this.#library === undefined ? this.#waitOnce : this.#waitGuarded;
      this.#emptyStreak = 0;
      count = call(timeout);
      if (count < 0 || (count === 0 && timeout !== 0)) {
        count = continueTimedWait(timeout, startedAt, count, count < 0 ? errno() : 0, call, "kevent");
      }
    }
    setKeventListLength(list, count);
    // Retire registrations the kernel dropped with this delivery. Their udata stays readable
    // through this batch. Only a registration marked droppable can be dropped, so without one
    // there is nothing to scan.
    if (registrations.droppable === 0) return list;
    const events = this.#events;
    const handles = registrations.handles;
    for (let i = 0; i < count; i++) {
      const slot = events.udataLow(i);
      if (!handles.has(slot, events.udataHigh(i))) continue;
      const dropped =
        (events.flags(i) & EV_ONESHOT) !== 0 ||
        (registrations.flags(slot) & EV_ONESHOT) !== 0 ||
        (events.filter(i) === EVFILT_PROC && (events.fflags(i) & NOTE_EXIT) !== 0);
      if (dropped && registrations.find(events.ident(i), events.filter(i)) === slot) registrations.retire(slot);
    }
    return list;
  }

  /**
   * kevent(2) without blocking the JS thread: resolves with this instance's reusable
   * {@link KeventList} when events are ready, or when the timeout passes (then empty). The rules
   * (timeout, abort, close, one wait at a time, keeping the process alive, errors) are those of
   * every `waitAsync`: see {@link WaitAsyncOptions}.
   *
   * How it waits depends on where the kqueue comes from:
   *
   * - The native kqueue (macOS, FreeBSD): Bun's own event loop, kqueue-based there, watches a
   *   close-on-exec duplicate of this kqueue's descriptor while a wait is pending (a kqueue
   *   descriptor is readable while events are pending, and watching it takes none): one thread
   *   wake-up per event. Should Bun's loop refuse it, a helper thread (one per JS thread, started
   *   on first use and stopped after 100 ms without waits) sleeps in `kevent` on a private kqueue
   *   in which this kqueue's descriptor is registered `EVFILT_READ | EV_ONESHOT`.
   * - A kqueue from `library` (libkqueue on Linux), whose descriptor cannot be watched: a helper
   *   thread of this instance's own calls `kevent` on it directly, into shared memory, and hands
   *   what it got to this thread's next `wait` or `waitAsync`. Nothing is lost if the wait was
   *   aborted meanwhile. A synchronous `wait` (and `close`) first wakes that helper out of
   *   `kevent` with a private user event (ident `UINTPTR_MAX`, which `register` cannot name; it
   *   never shows in results) and waits for it, typically microseconds. Each waiting libkqueue
   *   `Kqueue` costs one thread; it stops after 100 ms without waits.
   *
   * Either way nothing busy-polls and udata resolves on this thread. Expect the wake-up latency of
   * Bun's own sockets on the native kqueue and a few tens of microseconds through a helper thread,
   * or pass `{ busyPoll: true }` for a few microseconds at the cost of a core. Besides the errors of
   * `kevent`, setting up the watch of a native kqueue can fail with EMFILE (the duplicate).
   *
   * @param timeoutMs - how long to wait, in ms; default forever.
   * @param options - `signal` to abort; `busyPoll` to poll on every event-loop turn instead of
   *   sleeping (100 % of a core while pending).
   * @returns this instance's result, with `length` 0 after a timeout.
   *
   * @example
   * ```ts
   * using kq = new Kqueue<string>();          // Linux: new Kqueue({ library: "/usr/local/lib/libkqueue.so.0" })
   * kq.registerTimer(10, EventFlags.ADD | EventFlags.ONESHOT, "done");
   * const events = await kq.waitAsync(1000);
   * console.log(events.length, events.udata(0));   // 1 "done"
   * ```
   */
  waitAsync(timeoutMs?: number, options?: WaitAsyncOptions): Promise<KeventList<T>> {
    return this.#waiter().waitAsync(timeoutMs, options);
  }

  /**
   * The loop form of {@link Kqueue.waitAsync}: each iteration yields this instance's reusable
   * {@link KeventList} with the next batch, and the watch stays armed between iterations. The rules
   * (ending the loop, abort, close, EBUSY, keeping the process alive) are those of
   * {@link WaitAsyncOptions}, written once there.
   *
   * @param options - `signal` to end the loop; `busyPoll` as for `waitAsync`.
   * @returns an async iterator over the results.
   *
   * @example
   * ```ts
   * for await (const list of kq.batches({ signal: AbortSignal.timeout(60_000) })) {
   *   for (let i = 0; i < list.length; i++) console.log(list.udata(i));
   * }
   * ```
   */
  batches(options?: WaitAsyncOptions): AsyncIterableIterator<KeventList<T>> {
    return this.#waiter().batches(options);
  }

  #waiter(): AsyncWaiter<KeventList<T>> {
    return (this.#async ??= new AsyncWaiter("Kqueue", this, (onReady, onError) => this[readinessWatch](onReady, onError)));
  }

  /**
   * The watch that reports this kqueue's readiness to an async waiter (the table in
   * src/async/index.ts): its descriptor in the shared readiness thread's outer kqueue (native),
   * or a helper thread that calls kevent() on it and leaves what it got for the next `wait` (a
   * `library` kqueue). For `waitAsync` and the `Poller`; one per instance.
   * @internal
   */
  [readinessWatch](onReady: () => void, onError: (error: unknown) => void): ReadinessWatch {
    const fd = this.openFd("waitAsync");
    // The helper's stash is drained by this instance's wait(): there can be only one.
    if (this.#helper !== undefined) throw new Error("bunix: this Kqueue already has a readiness watch");
    // libkqueue returns at most 512 events per call anyway; more would only be memory.
    const capacity = Math.min(this.#maxEvents, HELPER_MAX_EVENTS);
    // An empty return of the helper's kevent() may be a lost process exit (lost-exits.ts).
    const onEmpty = () => void this.#findLostExits();
    const options = { fd, library: this.#library, kevent: this.#kevent, capacity, owner: this, onEmpty };
    const watch = kqueueWatch(options, onReady, onError);
    if (watch instanceof KeventHelper) this.#helper = watch;
    this.#watches.push(watch);
    return watch;
  }

  /** Forgets every registration and empties the list, just before the descriptor is closed. */
  protected override releaseResources(): void {
    // First: a pending waitAsync rejects, and a helper thread leaves kevent() before the close.
    this.#async?.close();
    for (const watch of this.#watches.splice(0)) watch.dispose();
    this.#helper = undefined;
    setKeventListLength(this.#list, 0);
    this.#registrations.clear();
  }

  // One waiting kevent() call: no changes, the whole event buffer, `ms` as a timespec (or NULL
  // for -1, forever). A field, so continueTimedWait gets the same function every time. A poll
  // passes the zeroed timespec of the change calls: wait(0) is the hot path, and needs no encoding.
  readonly #waitOnce = (ms: number): number => {
    if (ms < 0) return this.#kevent(this.fd, null, 0, this.#events.words, this.#maxEvents, null);
    if (ms === 0) return this.#kevent(this.fd, null, 0, this.#events.words, this.#maxEvents, this.#zeroTimeout);
    writeTimespec(this.#timeout, 0, ms);
    return this.#kevent(this.fd, null, 0, this.#events.words, this.#maxEvents, this.#timeout);
  };

  // A `library` kqueue's waiting call: an empty return before the timeout is checked for lost
  // process exits, which are then reported instead; an unexplained run of them is paced
  // (lost-exits.ts), so that no wait spins.
  readonly #waitGuarded = (ms: number): number => {
    const startedAt = ms === 0 ? 0 : performance.now();
    const count = this.#waitOnce(ms);
    // Events, a failure (errno is read next, so nothing may run before), or a poll.
    if (count !== 0 || ms === 0) return count;
    const elapsed = performance.now() - startedAt;
    if (ms > 0 && elapsed >= ms) return 0;
    if (this.#findLostExits() > 0) return this.#deliverLostExits();
    pauseAfterEmptyReturns(++this.#emptyStreak, ms < 0 ? -1 : Math.ceil(ms - elapsed));
    return 0;
  };

  /**
   * `library` kqueue: finds the process watches whose exit was lost (the process is no unreaped
   * child of ours any more, so the library cannot report it), removes them from the library, and
   * queues their reports for the next `wait`. Returns how many reports are queued. Called when a
   * wait came back early with nothing (here, or in a `waitAsync` helper thread).
   */
  #findLostExits(): number {
    const registrations = this.#registrations;
    const pids = registrations.idents(EVFILT_PROC);
    const lost = this.#lostExits;
    if (this.closed || pids === undefined) return lost.length / 3;
    for (const pid of pids) {
      const slot = registrations.find(pid, EVFILT_PROC);
      const generation = registrations.generation(slot);
      if (isQueued(lost, pid) || isChildOfThisProcess(pid)) continue;
      this.#submit(this.fd, pid, EVFILT_PROC, EV_DELETE, registrations.fflags(slot), 0, slot, generation);
      lost.push(pid, slot, generation);
    }
    return lost.length / 3;
  }

  /**
   * Writes the queued lost exits into the event buffer as exit events whose status is gone:
   * `NOTE_EXIT` with `EV_EOF | EV_ERROR` and `data` ECHILD. A watch unregistered meanwhile is
   * skipped. Returns how many were written (the rest wait for the next `wait`).
   */
  #deliverLostExits(): number {
    const lost = this.#lostExits;
    const registrations = this.#registrations;
    let count = 0;
    let i = 0;
    for (; i < lost.length && count < this.#maxEvents; i += 3) {
      const pid = lost[i]!;
      const slot = lost[i + 1]!;
      const generation = lost[i + 2]!;
      if (!registrations.handles.has(slot, generation) || registrations.find(pid, EVFILT_PROC) !== slot) continue;
      this.#events.encode(count++, pid, EVFILT_PROC, EV_ONESHOT | EV_EOF | EV_ERROR, NOTE_EXIT, LOST_EXIT_ERRNO, slot, generation);
    }
    lost.splice(0, i);
    return count;
  }

  /**
   * Submits one change and returns 0 or the errno it failed with. Changes carry EV_RECEIPT and
   * get one receipt slot, so the call never waits for events and the receipt reports this change
   * alone. A bare EV_ENABLE goes without EV_RECEIPT and without an event list: libkqueue 2.7 runs
   * any change carrying EV_RECEIPT through the filter's modify hook, which resets a timer's period
   * or a process watch's fflags and fails on READ/WRITE knotes; with no event list every kqueue
   * reports a failing change as -1 and errno instead.
   */
  #submit(
    fd: number,
    ident: number,
    filter: number,
    flags: number,
    fflags: number,
    data: number,
    udataLow: number,
    udataHigh: number,
  ): number {
    const change = this.#change;
    if ((flags & (EV_ADD | EV_DELETE | EV_DISABLE)) === 0 && (flags & EV_ENABLE) !== 0) {
      change.encode(0, ident, filter, flags & ~EV_RECEIPT, fflags, data, udataLow, udataHigh);
      for (;;) {
        if (this.#kevent(fd, change.words, 1, null, 0, this.#zeroTimeout) >= 0) return 0;
        const code = errno();
        if (code !== EINTR) return code;
      }
    }
    change.encode(0, ident, filter, flags | EV_RECEIPT, fflags, data, udataLow, udataHigh);
    return submitWithReceipt(this.#kevent, fd, change, this.#receipt, this.#zeroTimeout);
  }

  /**
   * Submits an EV_ADD change. libkqueue 2.7 does not honour EV_ADD|EV_DISABLE in one change on
   * descriptor filters (the knote stays enabled; docs/design/libkqueue.md §8), so that goes as
   * ADD then DISABLE. Returns 0, the errno of a refused ADD, or minus the errno of a failed
   * DISABLE step, after which the registration has been deleted.
   */
  #add(fd: number, ident: number, filter: number, flags: number, fflags: number, data: number, slot: number): number {
    const generation = this.#registrations.generation(slot);
    const disable = flags & EV_DISABLE;
    const error = this.#submit(fd, ident, filter, flags & ~disable, fflags, data, slot, generation);
    if (error !== 0 || disable === 0) return error;
    const disableError = this.#submit(fd, ident, filter, EV_DISABLE, fflags, data, slot, generation);
    if (disableError === 0) return 0;
    this.#submit(fd, ident, filter, EV_DELETE, fflags, data, slot, generation);
    return -disableError;
  }

  /** EV_DELETE of (ident, filter); its slot is released whatever the kernel answers. */
  #delete(fd: number, ident: number, filter: number): void {
    const registrations = this.#registrations;
    const slot = registrations.find(ident, filter);
    if (slot === -1) {
      throwIfFailed(this.#submit(fd, ident, filter, EV_DELETE, 0, 0, 0, 0));
      return;
    }
    const error = this.#submit(
      fd,
      ident,
      filter,
      EV_DELETE,
      registrations.fflags(slot),
      registrations.data(slot),
      slot,
      registrations.generation(slot),
    );
    registrations.release(slot);
    throwIfFailed(error);
  }

  /** macOS reports a process's wait status only with NOTE_EXITSTATUS beside NOTE_EXIT. */
  #withExitStatus(filter: number, fflags: number): number {
    if (filter !== EVFILT_PROC || this.#noteExitStatus === 0 || (fflags & NOTE_EXIT) === 0) return fflags;
    return (fflags | this.#noteExitStatus) >>> 0;
  }
}

/**
 * The fflags to resend with later changes of a registration. A user event's fflags are control
 * operations (NOTE_FFCOPY, NOTE_TRIGGER), not state: replaying them on an EV_DISABLE would
 * re-trigger or overwrite the event's bits, so nothing is stored for it.
 */
function storedFflags(filter: number, fflags: number): number {
  return filter === EVFILT_USER ? 0 : fflags;
}

/**
 * fflags as a uint32. Negative int32 values are taken as their bit pattern, because combining
 * high-bit constants with `|` in JS gives one (`Note.FFOR | 5` is negative).
 */
function validateFflags(fflags: unknown): number {
  return validateInteger(fflags, "fflags", -0x80000000, 0xffffffff) >>> 0;
}

/** Whether `pid` is in a [pid, slot, generation, …] list. */
function isQueued(list: readonly number[], pid: number): boolean {
  for (let i = 0; i < list.length; i += 3) if (list[i] === pid) return true;
  return false;
}

function throwIfFailed(code: number): void {
  if (code !== 0) throw SystemError.fromErrno(code, "kevent");
}

/** The kqueue and kevent functions: the C library's, or those of `library`. */
function openBackend(library: string | undefined): KqueueFunctions {
  let symbols: KqueueFunctions | undefined;
  try {
    symbols = kqueueFunctions(library);
  } catch (cause) {
    throw libraryError(library!, cause); // only loading a library by path throws
  }
  if (symbols === undefined) {
    throw unsupportedError(
      "Kqueue",
      `not supported on ${hostOs} without a kqueue library: pass { library } naming one, such as libkqueue.so.0`,
    );
  }
  return symbols;
}

function libraryError(library: string, cause: unknown): SystemError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  const missing = (library.includes("/") && !existsSync(library)) || /No such file/i.test(reason);
  const error = missing
    ? new SystemError("ENOENT", "Kqueue", "cannot load the kqueue library: no such file", library)
    : new SystemError("ENOTSUP", "Kqueue", `cannot load the kqueue library: ${reason}`, library);
  error.cause = cause;
  return error;
}
