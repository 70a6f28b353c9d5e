/**
 * The Poller's kqueue backend (macOS, FreeBSD; Linux through libkqueue): one `Kqueue` whose udata
 * is the Poller's records. The contract it meets is written in backend.ts.
 *
 * kqueue reports readability and writability of one descriptor as two events (`EVFILT_READ`,
 * `EVFILT_WRITE`), both carrying the same record. A pass over each batch merges them into one
 * entry per record, with no allocation: entries live in a preallocated array of records and a
 * `Uint8Array` of readiness bits, and a record remembers (by a batch stamp) which entry it got.
 *
 * Modes: level is plain `EV_ADD`; edge is `EV_CLEAR`; one-shot is `EV_DISPATCH`, which (like
 * `EPOLLONESHOT`) keeps the registration, disabled, until `modify` re-arms it. epoll disarms the
 * whole descriptor after one event, so when only one of the two filters fired the other is
 * disabled too.
 *
 * @internal
 * @module
 */
import { type ReadinessWatch, readinessWatch } from "../async/watch.ts";
import { SystemError } from "../core/errors.ts";
import { EventFilter, EventFlags, Kqueue, Note } from "../kqueue/kqueue.ts";
import { log } from "../core/log.ts";
import type { PollerBackend } from "./backend.ts";
import { EVFILT_USER, UserEventChanges, WAKE_IDENT, keventOf } from "../kevent/user-event.ts";
import {
  INTEREST_READABLE,
  INTEREST_WRITABLE,
  MODE_EDGE,
  MODE_ONESHOT,
  READY_ERROR,
  READY_HANGUP,
  READY_READABLE,
  READY_WRITABLE,
  type Registration,
  finishRegistration,
  SOURCE_FD,
  SOURCE_TIMER,
} from "./registration.ts";
import type { WakeSource } from "./waker.ts";

const READ = EventFilter.Read;
const WRITE = EventFilter.Write;
const BOTH = INTEREST_READABLE | INTEREST_WRITABLE;

function modeFlags(mode: number): number {
  if (mode === MODE_EDGE) return EventFlags.CLEAR;
  if (mode === MODE_ONESHOT) return EventFlags.DISPATCH;
  return 0;
}

/** The kqueue backend. */
export class KqueueBackend<T> implements PollerBackend<T> {
  readonly name = "kqueue";
  // EVFILT_EXCEPT (macOS) and libkqueue have no common way to watch out-of-band data.
  readonly supportsPriority = false;
  readonly #kq: Kqueue<Registration<T>>;
  #woke = false;
  readonly #library: string | undefined;
  // The merged batch.
  readonly #records: (Registration<T> | undefined)[];
  readonly #bits: Uint8Array;
  #batch = 0;
  /** Entries in the last batch (their records are cleared when the next batch is shorter). */
  #length = 0;
  /** How many fd records are one-shot with both directions: only then can a sibling need disabling. */
  #oneshotPairs = 0;
  #wake: UserEventChanges | undefined;

  /**
   * @param maxEvents - passed to `Kqueue`; undefined for its default.
   * @param library - the kqueue library to load (libkqueue on Linux), or undefined for the native one.
   */
  constructor(maxEvents: number | undefined, library: string | undefined) {
    this.#kq = new Kqueue<Registration<T>>({
      ...(maxEvents === undefined ? {} : { maxEvents }),
      ...(library === undefined ? {} : { library }),
    });
    this.#library = library;
    const capacity = maxEvents ?? 1024;
    this.#records = new Array<Registration<T> | undefined>(capacity).fill(undefined);
    this.#bits = new Uint8Array(new ArrayBuffer(capacity));
  }

  get fd(): number {
    return this.#kq.fd;
  }

  add(record: Registration<T>): void {
    const flags = EventFlags.ADD | modeFlags(record.mode);
    const { fd, interest } = record;
    if (interest & INTEREST_READABLE) this.#kq.register(fd, READ, flags, record);
    if (interest & INTEREST_WRITABLE) {
      try {
        this.#kq.register(fd, WRITE, flags, record);
      } catch (error) {
        if (interest & INTEREST_READABLE) this.#quietly(() => this.#kq.unregister(fd, READ));
        throw error;
      }
    }
    if (record.mode === MODE_ONESHOT && (interest & BOTH) === BOTH) this.#oneshotPairs++;
  }

  modify(record: Registration<T>, interest: number, mode: number): void {
    const { fd } = record;
    // ENABLE re-arms a dispatched (one-shot) filter; ADD of an existing one changes its mode.
    const flags = EventFlags.ADD | EventFlags.ENABLE | modeFlags(mode);
    const added: number[] = [];
    for (const [bit, filter] of [[INTEREST_READABLE, READ], [INTEREST_WRITABLE, WRITE]] as const) {
      if ((interest & bit) === 0) continue;
      try {
        this.#kq.register(fd, filter, flags, record);
      } catch (error) {
        // Undo the filters this call added; those that existed before stay (re-armed at worst).
        for (const done of added) this.#quietly(() => this.#kq.unregister(fd, done));
        throw error;
      }
      if ((record.interest & bit) === 0) added.push(filter);
    }
    if (record.interest & INTEREST_READABLE && !(interest & INTEREST_READABLE)) this.#kq.unregister(fd, READ);
    if (record.interest & INTEREST_WRITABLE && !(interest & INTEREST_WRITABLE)) this.#kq.unregister(fd, WRITE);
    this.#countOneshot(record.interest, record.mode, -1);
    this.#countOneshot(interest, mode, 1);
  }

  delete(record: Registration<T>): void {
    const { fd, interest } = record;
    this.#countOneshot(interest, record.mode, -1);
    let failure: unknown;
    for (const [bit, filter] of [[INTEREST_READABLE, READ], [INTEREST_WRITABLE, WRITE]] as const) {
      if ((interest & bit) === 0) continue;
      try {
        this.#kq.unregister(fd, filter);
      } catch (error) {
        failure ??= error;
      }
    }
    if (failure !== undefined) throw failure;
  }

  addTimer(record: Registration<T>, ms: number, repeat: boolean): void {
    // Kqueue counts microseconds, rounding to the nearest; round up here so a timer is never early.
    const duration = Math.ceil(ms * 1000) / 1000;
    const flags = repeat ? EventFlags.ADD : EventFlags.ADD | EventFlags.ONESHOT;
    record.ident = this.#kq.registerTimer(duration, flags, record);
  }

  addProcess(record: Registration<T>, pid: number): void {
    this.#kq.register(pid, EventFilter.Proc, EventFlags.ADD, record, Note.EXIT);
    record.ident = pid;
  }

  deleteSource(record: Registration<T>): void {
    // A delivered one-shot (timer or process exit) is gone from the kernel already, and Kqueue
    // released its udata itself.
    if (record.done) return;
    this.#kq.unregister(record.ident, record.kind === SOURCE_TIMER ? EventFilter.Timer : EventFilter.Proc);
  }

  wakeSource(_state: Int32Array): WakeSource {
    if (this.#wake === undefined) {
      const changes = new UserEventChanges(keventOf(this.#library), this.#kq.fd, WAKE_IDENT);
      const code = changes.add();
      if (code !== 0) throw SystemError.fromErrno(code, "kevent");
      this.#wake = changes;
    }
    return { kind: "kqueue", kqfd: this.#kq.fd, ident: WAKE_IDENT, ...(this.#library === undefined ? {} : { library: this.#library }) };
  }

  get woke(): boolean {
    return this.#woke;
  }

  readinessWatch(onReady: () => void, onError: (error: unknown) => void): ReadinessWatch {
    return this.#kq[readinessWatch](onReady, onError);
  }

  wait(timeoutMs: number | undefined, finished: Registration<T>[]): number {
    const list = this.#kq.wait(timeoutMs);
    this.#woke = false;
    const length = list.length;
    const records = this.#records;
    const bits = this.#bits;
    // Stamps start at 1 so a fresh record (stamp 0) never matches.
    const batch = (this.#batch = this.#batch >= 0x3fff_ffff ? 1 : this.#batch + 1);
    let count = 0;
    for (let i = 0; i < length; i++) {
      const filter = list.filter(i);
      if (filter === EVFILT_USER && list.ident(i) === WAKE_IDENT) {
        this.#woke = true; // a wake: cleared by EV_CLEAR
        continue;
      }
      const record = list.udata(i);
      let ready: number;
      if (record === undefined) {
        ready = 0; // the kernel's token was stale already: reported as a stale entry
      } else if (record.kind === SOURCE_FD) {
        const flags = list.flags(i);
        ready = filter === READ ? READY_READABLE : filter === WRITE ? READY_WRITABLE : 0;
        if (flags & EventFlags.EOF) ready |= READY_HANGUP;
        // EV_EOF with an errno in fflags (a reset connection, a pipe without reader) is an error.
        if (flags & EventFlags.ERROR || (flags & EventFlags.EOF && list.fflags(i) !== 0)) ready |= READY_ERROR;
        if (record.stamp === batch) {
          bits[record.entry] |= ready;
          continue;
        }
        record.stamp = batch;
        record.entry = count;
      } else if (record.kind === SOURCE_TIMER) {
        ready = READY_READABLE;
        if (!record.repeat) finishRegistration(record, finished);
      } else {
        ready = READY_READABLE | READY_HANGUP;
        finishRegistration(record, finished);
      }
      records[count] = record;
      bits[count] = ready;
      count++;
    }
    // Drop references left from a longer previous batch, so they do not keep records alive.
    for (let k = count; k < this.#length; k++) records[k] = undefined;
    this.#length = count;
    if (this.#oneshotPairs > 0) this.#disableSiblings(count);
    return count;
  }

  record(i: number): Registration<T> | undefined {
    return this.#records[i];
  }

  readiness(i: number): number {
    return this.#bits[i]!;
  }

  close(): void {
    this.#records.fill(undefined);
    this.#kq.close();
  }

  /** One-shot with both directions: the filter that did not fire is disabled, as epoll disarms the fd. */
  #disableSiblings(count: number): void {
    const records = this.#records;
    const bits = this.#bits;
    for (let k = 0; k < count; k++) {
      const record = records[k];
      if (record === undefined || record.kind !== SOURCE_FD || record.mode !== MODE_ONESHOT) continue;
      if ((record.interest & BOTH) !== BOTH) continue;
      if (!(bits[k]! & READY_READABLE)) this.#quietly(() => this.#kq.register(record.fd, READ, EventFlags.DISABLE));
      if (!(bits[k]! & READY_WRITABLE)) this.#quietly(() => this.#kq.register(record.fd, WRITE, EventFlags.DISABLE));
    }
  }

  #countOneshot(interest: number, mode: number, delta: number): void {
    if (mode === MODE_ONESHOT && (interest & BOTH) === BOTH) this.#oneshotPairs += delta;
  }

  /** Runs a clean-up step whose failure must not hide the error being reported. */
  #quietly(step: () => void): void {
    try {
      step();
    } catch (error) {
      log("debug", "Poller: a kqueue clean-up step failed", { error });
    }
  }
}
