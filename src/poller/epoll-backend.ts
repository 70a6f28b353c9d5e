/**
 * The Poller's epoll backend (Linux): one `Epoll` whose user data is the Poller's records, with a
 * timerfd per timer, a pidfd per process watch and an eventfd for the Waker registered beside the
 * user's descriptors. The contract it meets is written in backend.ts.
 *
 * Batches are read straight out of the `Epoll`'s own result: nothing is copied. The only pass over
 * a batch looks for the backend's own descriptors (to drain the waker, reset timers and retire
 * one-shot sources), and it is skipped when no timer or process is registered and no wake is
 * pending (the Wakers' shared PENDING flag). When a wake-up has to be hidden, the pass records
 * which entries remain in a preallocated index map.
 *
 * @internal
 * @module
 */
import { type ReadinessWatch, readinessWatch } from "../async/watch.ts";
import { Epoll, EpollFlags } from "../epoll/epoll.ts";
import type { EpollEvents } from "../epoll/epoll-events.ts";
import { EventFd } from "../sources/eventfd.ts";
import { PidFd } from "../sources/pidfd.ts";
import { TimerFd } from "../sources/timerfd.ts";
import type { PollerBackend } from "./backend.ts";
import {
  INTEREST_PRIORITY,
  INTEREST_READABLE,
  INTEREST_WRITABLE,
  MODE_EDGE,
  MODE_ONESHOT,
  READY_ERROR,
  READY_HANGUP,
  READY_PRIORITY,
  READY_READABLE,
  READY_WRITABLE,
  Registration,
  finishRegistration,
  SOURCE_FD,
  SOURCE_PROCESS,
  SOURCE_TIMER,
  SOURCE_WAKER,
} from "./registration.ts";
import { PENDING, type WakeSource } from "./waker.ts";

const { IN, OUT, PRI, ERR, HUP, RDHUP, ET, ONESHOT } = EpollFlags;
const READ_READY = IN | HUP | RDHUP | ERR;
const WRITE_READY = OUT | HUP | ERR;
// timerfd_settime with 0 disarms, so a timer due "now" is armed 1 ns away.
const AT_ONCE_MS = 1e-6;

/** The epoll mask for an interest and mode. `RDHUP` comes with readable, so a peer's shutdown shows as hangup. */
function epollMask(interest: number, mode: number): number {
  let mask = 0;
  if (interest & INTEREST_READABLE) mask |= IN | RDHUP;
  if (interest & INTEREST_WRITABLE) mask |= OUT;
  if (interest & INTEREST_PRIORITY) mask |= PRI;
  if (mode === MODE_EDGE) mask |= ET;
  else if (mode === MODE_ONESHOT) mask |= ONESHOT;
  return mask >>> 0;
}

/**
 * `READY_*` bits of an epoll mask, within `interest`. As CPython's selectors and mio do, a hang-up
 * or an error makes the descriptor readable and writable for the directions asked for (a read or
 * write would not block: it returns EOF or the error), which is also what kqueue reports.
 * Hang-up follows mio: HUP, RDHUP, or ERR with OUT (a pipe whose reader is gone) or alone.
 */
function epollReadiness(mask: number, interest: number): number {
  let bits = 0;
  if (interest & INTEREST_READABLE && mask & READ_READY) bits |= READY_READABLE;
  if (interest & INTEREST_WRITABLE && mask & WRITE_READY) bits |= READY_WRITABLE;
  if (interest & INTEREST_PRIORITY && mask & PRI) bits |= READY_PRIORITY;
  if (mask & (HUP | RDHUP) || (mask & ERR && (mask & OUT || mask === ERR))) bits |= READY_HANGUP;
  if (mask & ERR) bits |= READY_ERROR;
  return bits;
}

/** The epoll backend. */
export class EpollBackend<T> implements PollerBackend<T> {
  readonly name = "epoll";
  readonly supportsPriority = true;
  readonly #epoll: Epoll<Registration<T>>;
  readonly #events: EpollEvents<Registration<T>>;
  /** Entry index → index in the Epoll's result, valid while `#mapped`. */
  readonly #map: Int32Array;
  #mapped = false;
  /** Timers and processes with a descriptor of their own, closed at `close()`. */
  readonly #sources = new Set<Registration<T>>();
  #waker: EventFd | undefined;
  /** The Wakers' shared state: `[PENDING]` is 1 from a wake until its entry is drained. */
  #wakeState: Int32Array | undefined;
  readonly #wakerRecord = new Registration<T>(SOURCE_WAKER, -1, undefined, 0, 0);
  #woke = false;

  /** @param maxEvents - passed to `Epoll`; undefined for its default. */
  constructor(maxEvents: number | undefined) {
    this.#epoll = new Epoll<Registration<T>>(maxEvents === undefined ? undefined : { maxEvents });
    // The Epoll returns the same result object from every wait.
    this.#events = this.#epoll.wait(0);
    this.#map = new Int32Array(new ArrayBuffer(this.#epoll.maxEvents * 4));
  }

  get fd(): number {
    return this.#epoll.fd;
  }

  add(record: Registration<T>): void {
    this.#epoll.add(record.fd, epollMask(record.interest, record.mode), record);
  }

  modify(record: Registration<T>, interest: number, mode: number): void {
    // No data: the Epoll keeps the record, whose fields the Poller updates.
    this.#epoll.modify(record.fd, epollMask(interest, mode));
  }

  delete(record: Registration<T>): void {
    this.#epoll.delete(record.fd);
  }

  addTimer(record: Registration<T>, ms: number, repeat: boolean): void {
    const timer = new TimerFd({ nonblocking: true });
    try {
      timer.set(ms === 0 ? AT_ONCE_MS : ms, repeat ? ms : 0);
      this.#epoll.add(timer.fd, IN, record);
    } catch (error) {
      timer.close();
      throw error;
    }
    record.source = timer;
    this.#sources.add(record);
  }

  addProcess(record: Registration<T>, pid: number): void {
    const pidfd = PidFd.open(pid);
    try {
      // One-shot: the pidfd stays readable once the process has exited.
      this.#epoll.add(pidfd.fd, IN | ONESHOT, record);
    } catch (error) {
      pidfd.close();
      throw error;
    }
    record.source = pidfd;
    this.#sources.add(record);
  }

  deleteSource(record: Registration<T>): void {
    const source = record.source;
    if (source === undefined) return;
    record.source = undefined;
    this.#sources.delete(record);
    try {
      this.#epoll.delete(source.fd);
    } finally {
      source.close();
    }
  }

  wakeSource(state: Int32Array): WakeSource {
    let waker = this.#waker;
    if (waker === undefined) {
      waker = new EventFd(0, { nonblocking: true });
      try {
        this.#epoll.add(waker.fd, IN, this.#wakerRecord);
      } catch (error) {
        waker.close();
        throw error;
      }
      this.#waker = waker;
      this.#wakeState = state;
    }
    return { kind: "eventfd", fd: waker.fd };
  }

  get woke(): boolean {
    return this.#woke;
  }

  readinessWatch(onReady: () => void, onError: (error: unknown) => void): ReadinessWatch {
    return this.#epoll[readinessWatch](onReady, onError);
  }

  wait(timeoutMs: number | undefined, finished: Registration<T>[]): number {
    const events = this.#epoll.wait(timeoutMs);
    const count = events.length;
    this.#mapped = false;
    this.#woke = false;
    if (count === 0) return count;
    // Without timers or processes, and no wake pending, every entry is the user's: nothing to
    // look at. A wake sets PENDING before it writes, so its entry never comes with PENDING 0.
    const wakeState = this.#wakeState;
    if (this.#sources.size === 0 && (wakeState === undefined || Atomics.load(wakeState, PENDING) === 0)) return count;
    return this.#sort(events, count, finished);
  }

  record(i: number): Registration<T> | undefined {
    return this.#events.data(this.#mapped ? this.#map[i]! : i);
  }

  readiness(i: number, record: Registration<T>): number {
    const kind = record.kind;
    if (kind === SOURCE_TIMER) return READY_READABLE;
    if (kind === SOURCE_PROCESS) return READY_READABLE | READY_HANGUP;
    return epollReadiness(this.#events.events(this.#mapped ? this.#map[i]! : i), record.interest);
  }

  close(): void {
    let failure: unknown;
    const attempt = (close: () => void) => {
      try {
        close();
      } catch (error) {
        failure ??= error;
      }
    };
    for (const record of this.#sources) attempt(() => record.source?.close());
    this.#sources.clear();
    const waker = this.#waker;
    if (waker !== undefined) attempt(() => waker.close());
    attempt(() => this.#epoll.close());
    if (failure !== undefined) throw failure;
  }

  /**
   * Handles the backend's own entries: drains the waker (and hides its entry), reads timers (so a
   * level-triggered timerfd is not reported again), and hands delivered one-shot sources to the
   * Poller. Returns the number of entries left.
   */
  #sort(events: EpollEvents<Registration<T>>, count: number, finished: Registration<T>[]): number {
    const map = this.#map;
    let kept = 0;
    let mapped = false;
    for (let i = 0; i < count; i++) {
      const record = events.data(i);
      if (record !== undefined && record.kind !== SOURCE_FD) {
        if (record.kind === SOURCE_WAKER) {
          // Clear first: a wake landing between the two is then either drained here with the flag
          // set again (a harmless extra search later) or still pending with the flag set.
          Atomics.store(this.#wakeState!, PENDING, 0);
          this.#waker?.read();
          this.#woke = true;
          if (!mapped) {
            mapped = true;
            for (let j = 0; j < kept; j++) map[j] = j;
          }
          continue;
        }
        if (record.kind === SOURCE_TIMER) {
          (record.source as TimerFd | undefined)?.read();
          if (!record.repeat) finishRegistration(record, finished);
        } else {
          finishRegistration(record, finished);
        }
      }
      if (mapped) map[kept] = i;
      kept++;
    }
    this.#mapped = mapped;
    return kept;
  }
}
