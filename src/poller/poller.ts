/**
 * `Poller<T>`: the portable front door over epoll (Linux) and kqueue (macOS, FreeBSD; Linux with
 * libkqueue). The bookkeeping lives here once (the fd and pid maps, argument checks, the Waker's
 * shared state, the release of one-shot sources); backends only talk to the kernel (backend.ts).
 *
 * @module
 */
import { AsyncWaiter, type WaitAsyncOptions } from "../async/wait-async.ts";
import { SystemError, closedError } from "../core/errors.ts";
import { log } from "../core/log.ts";
import { validateFd, validateInteger } from "../core/validate.ts";
import type { PollerBackendName, PollerBackend } from "./backend.ts";
import { EpollBackend } from "./epoll-backend.ts";
import { KqueueBackend } from "./kqueue-backend.ts";
import {
  type PollerAddOptions,
  type PollerOptions,
  type TimerOptions,
  chooseBackend,
  readMode,
  readTimer,
  validateInterest,
} from "./options.ts";
import { PollEvents, setPollEventsLength } from "./poll-events.ts";
import { MODE_LEVEL, Registration, SOURCE_FD, SOURCE_PROCESS, SOURCE_TIMER } from "./registration.ts";
import { type Timer, newTimer } from "./timer.ts";
import { STATE_BYTES, type Waker, markWakerClosed, openWaker, shutDownWaker, wakerState } from "./waker.ts";

/** What the safety net needs: never the Poller itself. */
interface LeakRecord {
  readonly backend: PollerBackendName;
  wakerState: Int32Array | undefined;
}

// The backend's own classes close their descriptors when collected; this tells transferred Wakers
// (and the log) that a Poller went away unclosed.
const leakRegistry = new FinalizationRegistry<LeakRecord>((record) => {
  if (record.wakerState !== undefined) markWakerClosed(record.wakerState);
  log("warn", `a Poller (${record.backend}) was garbage-collected without close(); its descriptors were closed`, {
    backend: record.backend,
  });
});

/**
 * A portable readiness poller: descriptors, timers, process exits and a cross-thread waker in one
 * `wait`, on epoll (Linux) or kqueue (macOS, FreeBSD).
 *
 * - **Backend.** `new Poller()` uses what the platform has (`platform.backend`): epoll on Linux,
 *   kqueue elsewhere. `new Poller({ backend: "kqueue", library })` runs on libkqueue on Linux (for
 *   tests, or code written against kqueue). `poller.backend` says which is in use.
 * - **Registrations.** `add` a descriptor with an `Interest` mask, data of any type and a mode
 *   (`"level"`, `"edge"`, `"oneshot"`); `modify` and `delete` it. The Poller keeps its own
 *   fd → registration map, so a second `add` is a `SystemError` EEXIST and `modify`/`delete` of an
 *   fd never added ENOENT, with `syscall` `"Poller.add"` (…`modify`, …`delete`), identical on every
 *   backend, before any system call. Kernel failures keep the kernel's `syscall` (`"epoll_ctl"`,
 *   `"kevent"`) and errno name (EBADF for a descriptor that is not open, on both).
 * - **Timers** (`addTimer`) and **process exits** (`addProcess`) report entries with `fd` `-1`.
 * - **`waker()`** ends a blocking `wait` from any thread, and never appears as an entry.
 * - **`wait`** returns the Poller's one reusable {@link PollEvents}, one entry per registration
 *   (readable and writable readiness of one descriptor merged, on kqueue too).
 *
 * Delete a descriptor **before** closing it. Closed without `delete`, the Poller still holds its
 * number (a later `add` of the reused number is EEXIST until you `delete` it; `delete` then
 * succeeds); on libkqueue the kernel side stays too; and on epoll a duplicate of the descriptor
 * kept open elsewhere keeps reporting stale entries.
 *
 * Resource rules as elsewhere in bunix: `fd` is the backend's descriptor (the epoll or kqueue),
 * `close()` is idempotent and closes everything the Poller opened (never your descriptors), `using`
 * works, and a Poller garbage-collected unclosed has its descriptors closed by a safety net that
 * logs a warning. `wait` with a timeout other than 0 blocks the JS thread.
 *
 * @typeParam T - the type of the data attached to registrations.
 *
 * @example
 * ```ts
 * import { Interest, Poller } from "bunix";
 * using poller = new Poller<string>();
 * poller.add(socketFd, Interest.READABLE, "client");
 * poller.addTimer(1000, { repeat: true }, "tick");
 * for (;;) {
 *   const events = poller.wait(-1);
 *   for (let i = 0; i < events.length; i++) {
 *     if (events.data(i) === "tick") console.log("a second passed");
 *     else if (events.readable(i)) console.log("data on", events.fd(i));
 *   }
 * }
 * ```
 */
export class Poller<T = unknown> implements Disposable {
  readonly #backend: PollerBackend<T>;
  readonly #events: PollEvents<T>;
  readonly #fds = new Map<number, Registration<T>>();
  readonly #processes = new Map<number, Registration<T>>();
  readonly #timers = new Set<Registration<T>>();
  /** One-shot sources delivered by the last wait, released (descriptors closed) at the next. */
  readonly #finished: Registration<T>[] = [];
  readonly #leakRecord: LeakRecord;
  #waker: Waker | undefined;
  #closed = false;
  /** The `waitAsync` machinery, made on first use. */
  #async: AsyncWaiter<PollEvents<T>> | undefined;

  /**
   * `epoll_create1(EPOLL_CLOEXEC)` or `kqueue(2)`: a new Poller.
   *
   * @param options - `backend` (`"epoll"` or `"kqueue"`), `library` (a kqueue library such as
   *   libkqueue on Linux; implies `backend: "kqueue"`), `maxEvents` (1 to 65536, default 1024).
   * @throws SystemError ENOTSUP (syscall `"Poller"`) when the platform lacks the backend (epoll off
   *   Linux; kqueue on Linux without `library`); what `Epoll` or `Kqueue` throw (EMFILE, ENFILE,
   *   ENOMEM; ENOENT or ENOTSUP for a `library` that cannot be loaded).
   * @throws TypeError for options of the wrong type, an unknown `backend`, or `library` with
   *   `backend: "epoll"`; RangeError for a `maxEvents` out of range.
   *
   * @example
   * ```ts
   * using poller = new Poller();
   * console.log(poller.backend);  // "epoll" on Linux, "kqueue" on macOS
   * using onLibkqueue = new Poller({ backend: "kqueue", library: "/usr/local/lib/libkqueue.so.0" });
   * ```
   */
  constructor(options?: PollerOptions) {
    const choice = chooseBackend(options);
    this.#backend =
      choice.name === "epoll" ? new EpollBackend<T>(choice.maxEvents) : new KqueueBackend<T>(choice.maxEvents, choice.library);
    this.#events = new PollEvents<T>(this.#backend);
    this.#leakRecord = { backend: choice.name, wakerState: undefined };
    leakRegistry.register(this, this.#leakRecord, this);
  }

  /** Which kernel object this Poller uses: `"epoll"` or `"kqueue"`. */
  get backend(): PollerBackendName {
    return this.#backend.name;
  }

  /** The epoll or kqueue descriptor, or -1 once closed. (libkqueue's cannot be polled itself.) */
  get fd(): number {
    return this.#closed ? -1 : this.#backend.fd;
  }

  /** Whether `close()` has been called. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * `epoll_ctl(EPOLL_CTL_ADD)`, or `kevent(2)` with `EV_ADD` for `EVFILT_READ` and/or
   * `EVFILT_WRITE`: watches `fd` for `interest`, with `data` to read back from its entries.
   *
   * A FIFO (named pipe) whose writers have all closed reports `hangup` (and `readable`) on every
   * `wait` from then on, on both backends, until it is removed with `delete` (or a writer opens
   * it again): delete it when you see the hang-up, or the Poller keeps waking for it.
   *
   * @param fd - an open descriptor (socket, pipe, eventfd, tty, …; epoll refuses regular files with
   *   EPERM, kqueue reports them readable up to end of file; libkqueue then never again, even when
   *   the file grows).
   * @param interest - `Interest` bits, at least one.
   * @param data - any value; `events.data(i)` returns it.
   * @param options - `mode`: `"level"` (default), `"edge"` or `"oneshot"`.
   * @throws SystemError EEXIST (syscall `"Poller.add"`) when `fd` is added already; ENOTSUP
   *   (syscall `"Poller.add"`) for `Interest.PRIORITY` on kqueue; EBADF (syscall `"epoll_ctl"` or
   *   `"kevent"`) when `fd` is not open; EPERM (epoll) for a descriptor epoll cannot watch; EBADF
   *   (syscall `"Poller.add"`) when the Poller is closed.
   * @throws TypeError / RangeError for arguments of the wrong type or range (an empty interest).
   *
   * @example
   * ```ts
   * poller.add(fd, Interest.READABLE, "reader", { mode: "edge" });
   * try { poller.add(fd, Interest.READABLE); } catch (e) { console.log((e as SystemError).code); } // "EEXIST"
   * ```
   */
  add(fd: number, interest: number, data?: T, options?: PollerAddOptions): void {
    const backend = this.#open("add");
    validateFd(fd);
    const bits = validateInterest(interest, backend.supportsPriority, backend.name, "add");
    const mode = readMode(options, MODE_LEVEL);
    if (this.#fds.has(fd)) throw new SystemError("EEXIST", "Poller.add", `fd ${fd} is already added`);
    const record = new Registration<T>(SOURCE_FD, fd, data, bits, mode);
    backend.add(record);
    this.#fds.set(fd, record);
  }

  /**
   * `epoll_ctl(EPOLL_CTL_MOD)`, or `kevent(2)` changes: sets the interest of an added `fd`, and
   * re-arms a one-shot registration.
   *
   * `data` omitted (or `undefined`) keeps the old data; `options` or its `mode` omitted keep the old
   * mode. Entries of `fd` already in the current batch read the new data.
   *
   * @param fd - a descriptor added before.
   * @param interest - the new `Interest` bits.
   * @param data - new data, or `undefined` to keep the old.
   * @param options - `mode`, or omitted to keep the old one.
   * @throws SystemError ENOENT (syscall `"Poller.modify"`) when `fd` was never added (or was
   *   deleted); ENOTSUP for `Interest.PRIORITY` on kqueue; the kernel's error (syscall `"epoll_ctl"`
   *   or `"kevent"`) otherwise, the registration then left as it was; EBADF (syscall
   *   `"Poller.modify"`) when the Poller is closed.
   * @throws TypeError / RangeError for arguments of the wrong type or range.
   *
   * @example
   * ```ts
   * poller.add(fd, Interest.READABLE, "job", { mode: "oneshot" });
   * poller.wait(-1);                        // reported once, then disarmed
   * poller.modify(fd, Interest.READABLE);   // re-armed; still "job", still one-shot
   * ```
   */
  modify(fd: number, interest: number, data?: T, options?: PollerAddOptions): void {
    const backend = this.#open("modify");
    validateFd(fd);
    const bits = validateInterest(interest, backend.supportsPriority, backend.name, "modify");
    const record = this.#fds.get(fd);
    const mode = readMode(options, record?.mode ?? MODE_LEVEL);
    if (record === undefined) throw new SystemError("ENOENT", "Poller.modify", `fd ${fd} is not added`);
    backend.modify(record, bits, mode);
    record.interest = bits;
    record.mode = mode;
    if (data !== undefined) record.data = data;
  }

  /**
   * `epoll_ctl(EPOLL_CTL_DEL)`, or `kevent(2)` with `EV_DELETE`: stops watching `fd` and releases
   * its data. Its entries in the current batch read as stale from now on.
   *
   * As CPython's selectors do, deleting a descriptor that was closed behind the Poller's back
   * succeeds (the kernel's EBADF or ENOENT is not reported): the Poller's record is authoritative.
   *
   * @param fd - a descriptor added before.
   * @throws SystemError ENOENT (syscall `"Poller.delete"`) when `fd` was never added (or deleted
   *   already); another kernel failure (syscall `"epoll_ctl"` or `"kevent"`), after the
   *   registration has been forgotten all the same; EBADF (syscall `"Poller.delete"`) when the
   *   Poller is closed.
   * @throws TypeError / RangeError for an `fd` of the wrong type or range.
   *
   * @example
   * ```ts
   * poller.delete(fd);
   * socket.close();   // delete first, then close
   * ```
   */
  delete(fd: number): void {
    const backend = this.#open("delete");
    validateFd(fd);
    const record = this.#fds.get(fd);
    if (record === undefined) throw new SystemError("ENOENT", "Poller.delete", `fd ${fd} is not added`);
    this.#fds.delete(fd);
    record.live = false;
    try {
      backend.delete(record);
    } catch (error) {
      const code = (error as SystemError).code;
      if (!(error instanceof SystemError && (code === "EBADF" || code === "ENOENT"))) throw error;
    }
  }

  /**
   * `timerfd_create(2)` + `timerfd_settime(2)` registered in the epoll, or `kevent(2)` with
   * `EVFILT_TIMER`: a timer whose entries (`fd` -1, `data`, `readable` true) come `ms` from now and,
   * with `repeat`, every `ms` after that.
   *
   * Never early; as late as the system is busy. A repeating timer keeps its phase (a late `wait`
   * does not shift later expirations; periods missed while nobody waited come as one entry). `ms`
   * may be fractional (kept to the microsecond on kqueue, the nanosecond on epoll) and 0 for a
   * timer due at once. A one-shot timer is gone after its entry (`timer.active` turns false).
   *
   * @param ms - delay (and period) in ms: finite, >= 0 (> 0 with `repeat`).
   * @param options - `repeat` (default `false`).
   * @param data - the entries' data.
   * @returns a {@link Timer}, with `cancel()`.
   * @throws SystemError EBADF (syscall `"Poller.addTimer"`) when the Poller is closed; EMFILE and
   *   the like from `timerfd_create` or `kevent`.
   * @throws TypeError when `ms` is not a number or `options` is malformed; RangeError when `ms` is
   *   negative, NaN, infinite, too large, or 0 with `repeat`.
   *
   * @example
   * ```ts
   * const heartbeat = poller.addTimer(2000, { repeat: true }, "heartbeat");
   * const deadline = poller.addTimer(10_000, {}, "deadline");
   * deadline.cancel();
   * ```
   */
  addTimer(ms: number, options?: TimerOptions, data?: T): Timer {
    const backend = this.#open("addTimer");
    const timer = readTimer(ms, options);
    const record = new Registration<T>(SOURCE_TIMER, -1, data, 0, MODE_LEVEL);
    record.repeat = timer.repeat;
    backend.addTimer(record, timer.ms, timer.repeat);
    this.#timers.add(record);
    return newTimer(record, timer.ms, timer.repeat, (cancelled) => this.#cancelTimer(cancelled));
  }

  /**
   * `pidfd_open(2)` registered one-shot in the epoll (Linux), or `kevent(2)` with `EVFILT_PROC` and
   * `NOTE_EXIT` (kqueue): one entry when process `pid` exits, with `fd` -1, `data`, `readable` and
   * `hangup` true. After that entry the watch is gone (its pidfd closed at the next `wait`).
   *
   * Neither backend reaps the process or reads its status: for a `Bun.spawn` child, Bun does
   * (`subprocess.exited`). What holds where:
   * - **Linux (pidfd):** reliable for any process you may see, child or not, even when Bun has
   *   reaped the child before you `wait` (an `await` in between is fine). The pid must still exist
   *   at `addProcess`: call it right after `Bun.spawn`, before anything can reap the child.
   * - **macOS, FreeBSD:** register before the child can have been reaped; the exit event is queued
   *   by the kernel at exit.
   * - **libkqueue (Linux):** only direct children (another pid is ECHILD, syscall
   *   `"Kqueue.register"`). When Bun reaps the child before a `wait` has seen it exit (an `await`
   *   in between), libkqueue cannot read its exit: the next `wait` notices and reports the entry
   *   all the same, without the status (which `subprocess.exited` has).
   *
   * @param pid - a process id.
   * @param data - the entry's data.
   * @throws SystemError ESRCH when no process has that pid (syscall `"pidfd_open"` or `"kevent"`);
   *   ECHILD (syscall `"Kqueue.register"`) on libkqueue for a process that is not a child;
   *   EEXIST (syscall `"Poller.addProcess"`) when `pid` is watched already; ENOTSUP (syscall
   *   `"PidFd"`) on Linux before 5.3; EBADF (syscall `"Poller.addProcess"`) when the Poller is closed.
   * @throws TypeError / RangeError for a `pid` of the wrong type or range.
   *
   * @example
   * ```ts
   * const child = Bun.spawn(["sleep", "0.1"]);
   * poller.addProcess(child.pid, "sleeper");
   * const events = poller.wait(5000);
   * console.log(events.data(0), events.hangup(0)); // "sleeper" true
   * ```
   */
  addProcess(pid: number, data?: T): void {
    const backend = this.#open("addProcess");
    validateInteger(pid, "pid", 1, 0x7fff_ffff);
    if (this.#processes.has(pid)) throw new SystemError("EEXIST", "Poller.addProcess", `process ${pid} is already added`);
    const record = new Registration<T>(SOURCE_PROCESS, -1, data, 0, MODE_LEVEL);
    record.ident = pid;
    backend.addProcess(record, pid);
    this.#processes.set(pid, record);
  }

  /**
   * `epoll_ctl(EPOLL_CTL_DEL)` and `close(2)` of the pidfd, or `kevent(2)` with `EV_DELETE`: stops
   * watching process `pid` before its exit was reported. Its entry in the current batch, if any,
   * reads as stale.
   *
   * @param pid - a pid given to `addProcess` whose exit has not been reported yet.
   * @throws SystemError ENOENT (syscall `"Poller.deleteProcess"`) when `pid` is not watched (never
   *   added, deleted, or its exit already reported); EBADF (syscall `"Poller.deleteProcess"`) when the
   *   Poller is closed.
   * @throws TypeError / RangeError for a `pid` of the wrong type or range.
   *
   * @example
   * ```ts
   * poller.addProcess(child.pid, "worker");
   * poller.deleteProcess(child.pid);   // no longer interested
   * ```
   */
  deleteProcess(pid: number): void {
    const backend = this.#open("deleteProcess");
    validateInteger(pid, "pid", 1, 0x7fff_ffff);
    const record = this.#processes.get(pid);
    if (record === undefined) throw new SystemError("ENOENT", "Poller.deleteProcess", `process ${pid} is not added`);
    this.#processes.delete(pid);
    record.live = false;
    backend.deleteSource(record);
  }

  /**
   * `eventfd(2)` registered in the epoll, or an `EVFILT_USER` event on the kqueue (made on the first
   * call): the Poller's {@link Waker}, whose `wake()` ends a blocking `wait` from any thread. Every
   * call returns the same Waker; hand it to other Workers with `waker.transfer()`.
   *
   * @throws SystemError EBADF (syscall `"Poller.waker"`) when the Poller is closed; EMFILE and the
   *   like from `eventfd` or `kevent`.
   *
   * @example
   * ```ts
   * const waker = poller.waker();
   * worker.postMessage(waker.transfer());   // the Worker: Waker.from(data).wake()
   * poller.wait(-1);                        // returns when the Worker wakes it
   * ```
   */
  waker(): Waker {
    const backend = this.#open("waker");
    let waker = this.#waker;
    if (waker === undefined) {
      const state = new SharedArrayBuffer(STATE_BYTES);
      waker = openWaker(backend.wakeSource(new Int32Array(state)), state);
      this.#waker = waker;
      this.#leakRecord.wakerState = wakerState(waker);
    }
    return waker;
  }

  /**
   * `epoll_wait(2)` or `kevent(2)`: waits until a registration is ready, a `Waker` wakes the Poller,
   * or the timeout passes, and returns the Poller's reusable {@link PollEvents} (valid until the next
   * `wait` or `close`).
   *
   * `timeoutMs` as everywhere in bunix: `0` polls, `-1`, `Infinity` or omitted wait forever,
   * fractions round up; EINTR is retried with the time left. A wake-up ends the wait early,
   * possibly with no entries. One-shot timers and process watches reported by the previous `wait`
   * are released when this one starts. A wait other than `wait(0)` blocks the JS thread.
   *
   * @param timeoutMs - how long to wait, in ms; default forever.
   * @throws SystemError EBADF (syscall `"Poller.wait"`) when the Poller is closed; a failure of
   *   `epoll_wait` or `kevent`.
   * @throws TypeError when `timeoutMs` is not a number; RangeError when it is NaN or negative other
   *   than -1.
   *
   * @example
   * ```ts
   * const events = poller.wait(100);
   * for (const { fd, data, readable, writable } of events) console.log(fd, data, readable, writable);
   * ```
   */
  wait(timeoutMs?: number): PollEvents<T> {
    if (this.#closed) throw closedError("Poller", "wait");
    const events = this.#events;
    const finished = this.#finished;
    if (finished.length !== 0) this.#release(finished);
    // Empty until the wait succeeds: a wait that throws leaves no half-read batch behind.
    setPollEventsLength(events, 0);
    const count = this.#backend.wait(timeoutMs, finished);
    if (finished.length !== 0) this.#forget(finished);
    setPollEventsLength(events, count);
    return events;
  }

  /**
   * `epoll_wait(2)` or `kevent(2)` without blocking the JS thread: resolves with this Poller's
   * reusable {@link PollEvents} when entries are ready, when a {@link Waker} wakes it (then possibly
   * empty), or when the timeout passes (then empty). The rules (timeout, abort, close, one wait at
   * a time, keeping the process alive, errors) are those of every `waitAsync`: see
   * {@link WaitAsyncOptions}. The Poller is watched as its backend is (`Epoll.waitAsync`,
   * `Kqueue.waitAsync`), and collects its entries with `wait(0)`, so modes, timers, processes and
   * user data behave exactly as with {@link Poller.wait}.
   *
   * @param timeoutMs - as for `wait`; default forever.
   * @param options - `signal` to cancel; `busyPoll` to spin on `wait(0)` for the lowest latency.
   *
   * @example
   * ```ts
   * using poller = new Poller<string>();
   * poller.add(socketFd, Interest.READABLE, "client");
   * const events = await poller.waitAsync(1000, { signal: AbortSignal.timeout(5000) });
   * for (const { data, readable } of events) console.log(data, readable);
   * ```
   */
  waitAsync(timeoutMs?: number, options?: WaitAsyncOptions): Promise<PollEvents<T>> {
    return this.#waiter().waitAsync(timeoutMs, options);
  }

  /**
   * The loop form of {@link Poller.waitAsync}: each iteration yields this instance's reusable
   * {@link PollEvents} with the next batch, and the watch stays armed between iterations. The rules
   * (ending the loop, abort, close, EBUSY, keeping the process alive) are those of
   * {@link WaitAsyncOptions}, written once there.
   *
   * @param options - `signal` to end the loop; `busyPoll` as for `waitAsync`.
   * @returns an async iterator over the results.
   *
   * @example
   * ```ts
   * for await (const events of poller.batches()) {
   *   for (const { data, readable } of events) if (readable) console.log(data);
   * }
   * ```
   */
  batches(options?: WaitAsyncOptions): AsyncIterableIterator<PollEvents<T>> {
    return this.#waiter().batches(options);
  }

  #waiter(): AsyncWaiter<PollEvents<T>> {
    // A swallowed wake-up leaves no entry, yet must end the wait as it ends a blocking one.
    return (this.#async ??= new AsyncWaiter(
      "Poller",
      this,
      (onReady, onError) => this.#backend.readinessWatch(onReady, onError),
      () => this.#backend.woke,
    ));
  }

  /**
   * Closes the Poller: marks its Waker closed (waiting for wakes in progress in other threads),
   * then closes the epoll or kqueue and every descriptor the Poller opened (timerfds, pidfds, the
   * waker's eventfd). Your descriptors stay open. Timers turn inactive; entries of the current batch
   * read as stale. Idempotent.
   *
   * @throws SystemError when a descriptor fails to close (EBADF: it was closed behind the Poller's
   *   back); the Poller counts as closed all the same.
   *
   * @example
   * ```ts
   * const poller = new Poller();
   * poller.add(fd, Interest.READABLE);
   * poller.close();
   * poller.close();   // does nothing
   * ```
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    leakRegistry.unregister(this);
    // A pending waitAsync rejects, and its helper registration goes before the descriptor does.
    this.#async?.close();
    if (this.#waker !== undefined) shutDownWaker(this.#waker);
    for (const records of [this.#fds.values(), this.#processes.values(), this.#timers.values(), this.#finished.values()]) {
      for (const record of records) record.live = false;
    }
    this.#fds.clear();
    this.#processes.clear();
    this.#timers.clear();
    this.#finished.length = 0;
    setPollEventsLength(this.#events, 0);
    this.#backend.close();
  }

  /** Closes the Poller, so that `using` works. */
  [Symbol.dispose](): void {
    this.close();
  }

  #open(method: string): PollerBackend<T> {
    if (this.#closed) throw closedError("Poller", method);
    return this.#backend;
  }

  #cancelTimer(record: Registration<T>): void {
    if (this.#closed) return;
    this.#timers.delete(record);
    record.live = false;
    this.#backend.deleteSource(record);
  }

  /** Drops one-shot sources just delivered from the maps: the pid can be added again at once. */
  #forget(finished: Registration<T>[]): void {
    for (const record of finished) {
      if (record.kind === SOURCE_TIMER) this.#timers.delete(record);
      else if (this.#processes.get(record.ident) === record) this.#processes.delete(record.ident);
    }
  }

  /** Releases the one-shot sources the previous batch delivered (closes their descriptors). */
  #release(finished: Registration<T>[]): void {
    for (const record of finished) {
      record.live = false;
      try {
        this.#backend.deleteSource(record);
      } catch (error) {
        log("debug", "Poller: releasing a delivered one-shot source failed", { error });
      }
    }
    finished.length = 0;
  }
}
