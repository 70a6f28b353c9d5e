/**
 * The contract every `Poller` backend meets, written once (as mio's `sys/mod.rs` does). A backend
 * wraps one kernel readiness object, `Epoll` (epoll-backend.ts) or `Kqueue` (kqueue-backend.ts),
 * and nothing else in `src/poller/` knows which one it is talking to.
 *
 * The division of work:
 *
 * - **The Poller** validates arguments, keeps the fd → record and pid → record maps (so a second
 *   `add` is EEXIST and an unknown `delete` ENOENT identically everywhere, before any system call),
 *   owns the `Waker`'s shared state, and releases one-shot sources at the start of the next wait.
 * - **A backend** turns records into kernel registrations and a kernel batch into entries.
 *
 * What every backend must do:
 *
 * 1. `add(record)`: register `record.fd` for `record.interest` in `record.mode`, with the record as
 *    user data (the wrapped class's token, so a deleted record's events resolve stale). All or
 *    nothing: when part of it fails (kqueue registers READ and WRITE apart) what was done is undone
 *    and the kernel's error is thrown.
 * 2. `modify(record, interest, mode)`: change the kernel side from `record.interest`/`record.mode`
 *    to the new ones, re-arming a one-shot registration. The Poller stores the new values after it
 *    returns. Throws the kernel's error; the registration is then as before or removed, never half.
 * 3. `delete(record)`: remove the fd's kernel registration. Throws the kernel's error (EBADF or
 *    ENOENT when the fd was closed behind the Poller's back: the Poller swallows those two).
 * 4. `addTimer(record, ms, repeat)`: a timer that first fires `ms` after the call and, if
 *    `repeat`, every `ms` after that on the same grid (phase kept, never early; missed periods
 *    coalesce into one event). `ms` may be 0 (fire at once) unless `repeat`.
 * 5. `addProcess(record, pid)`: fires once when process `pid` exits. ESRCH when it is gone.
 * 6. `deleteSource(record)`: cancel a timer or process watch, or release a one-shot one that fired
 *    (its kernel side may already be gone: that is not an error).
 * 7. `wakeSource(state)`: create (once) the wake-up registration and describe it so that a `Waker`
 *    on any thread can trigger it. `state` is the Wakers' shared `Int32Array`; `state[PENDING]` is
 *    set before every trigger, and a backend that searches batches for the wake-up entry may skip
 *    the search while it is 0 (clearing it *before* draining the wake-up, never after).
 * 8. `wait(timeoutMs, finished)`: one wait (EINTR and spurious returns are the wrapped class's
 *    business). Builds the batch: swallows wake-ups (and resets them so several wakes coalesce),
 *    resets timers, merges the readiness of one fd into one entry, and pushes every one-shot source
 *    delivered in this batch (one-shot timers, processes) onto `finished` after marking it `done`.
 *    Returns the number of entries. A wait ended only by a wake-up returns 0.
 * 9. `record(i)` / `readiness(i, record)`: entry `i` of the last batch: its record (`undefined`
 *    for an entry the kernel reported under a token that was already stale) and, given that live
 *    record, its `READY_*` bits. Both allocate nothing; the Poller checks `record.live` first.
 *    Timers read `READY_READABLE`, processes `READY_READABLE | READY_HANGUP`.
 * 10. `close()`: close the kernel object and every descriptor the backend opened (timerfds,
 *    pidfds, the wake eventfd). Registrations need no undoing first.
 *
 * @internal
 * @module
 */
import type { ReadinessWatch } from "../async/watch.ts";
import type { Registration } from "./registration.ts";
import type { WakeSource } from "./waker.ts";

/** The backend names, as `Poller.backend` and `platform.backend` spell them. */
export type PollerBackendName = "epoll" | "kqueue";

/** One backend of the Poller. See the module documentation for the contract. */
export interface PollerBackend<T> {
  /** Which kernel object this is. */
  readonly name: PollerBackendName;
  /** The kernel object's descriptor (-1 once closed). */
  readonly fd: number;
  /** Whether `Interest.PRIORITY` can be honoured (epoll `EPOLLPRI`; kqueue has no portable equivalent). */
  readonly supportsPriority: boolean;
  add(record: Registration<T>): void;
  modify(record: Registration<T>, interest: number, mode: number): void;
  delete(record: Registration<T>): void;
  addTimer(record: Registration<T>, ms: number, repeat: boolean): void;
  addProcess(record: Registration<T>, pid: number): void;
  deleteSource(record: Registration<T>): void;
  wakeSource(state: Int32Array): WakeSource;
  wait(timeoutMs: number | undefined, finished: Registration<T>[]): number;
  /** Whether the last `wait` swallowed a wake-up: it ends a `waitAsync` even with no entries. */
  readonly woke: boolean;
  /** Reports the kernel object's readiness to an async waiter (see src/async/watch.ts). */
  readinessWatch(onReady: () => void, onError: (error: unknown) => void): ReadinessWatch;
  record(i: number): Registration<T> | undefined;
  readiness(i: number, record: Registration<T>): number;
  close(): void;
}
