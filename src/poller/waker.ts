/**
 * `Waker`: ends a `Poller.wait` blocked in another thread (or this one), and travels to other
 * Workers as a plain object.
 *
 * Every Waker of one Poller shares two `Int32`s in a `SharedArrayBuffer`:
 *
 * - `state[LOCK]`, safety across threads. A transferred Waker writes to (or triggers) a descriptor
 *   it does not own, by number. If the Poller closed it and the number were reused, a late
 *   `wake()` would write into someone else's file. The high bit says "closed", the low bits count
 *   wakes in progress. `wake()` announces itself in the count and checks the bit in one atomic
 *   step; `Poller.close()` sets the bit and waits for the count to drain *before* it closes the
 *   descriptor. A wake after close is refused (EBADF) and can never reach a reused number.
 * - `state[PENDING]`, a hint for the epoll backend: set before every trigger, so a batch needs
 *   searching for the wake-up entry only while it is set (the backend clears it before draining).
 *
 * @module
 */
import { errno, errnoNumber } from "../../ffi/index.ts";
import { SystemError, invalidType, invalidValue } from "../core/errors.ts";
import { core } from "../core/fd.ts";
import { log } from "../core/log.ts";
import { LOW_WORD } from "../core/u64.ts";
import { validateInteger } from "../core/validate.ts";
import { UserEventChanges, keventOf } from "../kevent/user-event.ts";

/** The wake-up descriptor of an epoll Poller: an eventfd, by number. */
export interface EventFdWakeSource {
  /** Says which of the two this is. */
  readonly kind: "eventfd";
  /** The eventfd's number in this process (shared by every thread). */
  readonly fd: number;
}

/** The wake-up event of a kqueue Poller: an `EVFILT_USER` event on the kqueue, by number. */
export interface KqueueWakeSource {
  /** Says which of the two this is. */
  readonly kind: "kqueue";
  /** The kqueue's descriptor number in this process. */
  readonly kqfd: number;
  /** The `EVFILT_USER` ident. */
  readonly ident: number;
  /** The kqueue library the Poller loaded (libkqueue on Linux); absent for the native kqueue. */
  readonly library?: string;
}

/** What a Waker triggers. @internal */
export type WakeSource = EventFdWakeSource | KqueueWakeSource;

/**
 * What {@link Waker.transfer} returns: a plain, structured-clonable object to post to another
 * Worker, where {@link Waker.from} turns it back into a Waker. `state` is the SharedArrayBuffer the
 * Poller marks when it closes.
 */
export type WakerTransfer = (EventFdWakeSource | KqueueWakeSource) & {
  /** The Wakers' shared state: whether the Poller is closed, wakes in progress, a wake pending. */
  readonly state: SharedArrayBuffer;
};

/** Indexes of the shared `Int32Array`, and its size in bytes. @internal */
export const LOCK = 0;
export const PENDING = 1;
export const STATE_BYTES = 8;

const CLOSED = 0x4000_0000;
const SHUTDOWN_LIMIT_MS = 250;
const IN_FLIGHT = CLOSED - 1;
const EAGAIN = errnoNumber("EAGAIN");
const EINTR = errnoNumber("EINTR");

// The Poller's private doors into Waker, set by its static block.
let makeWaker: (source: WakeSource, state: SharedArrayBuffer) => Waker;
let stateOf: (waker: Waker) => Int32Array;

/**
 * A handle that wakes one `Poller`: `wake()` makes a `wait` in progress (blocked in any thread)
 * return, or the next `wait` return at once. Made by `poller.waker()`; in another Worker, by
 * `Waker.from(waker.transfer())`.
 *
 * - **epoll** (Linux): `wake()` is `write(2)` of 1 to an eventfd the Poller registered.
 * - **kqueue**: `wake()` is `kevent(2)` with `NOTE_TRIGGER` on an `EVFILT_USER` event the Poller
 *   registered (with the same udata every time, as macOS and libkqueue need).
 *
 * Several wakes before a wait coalesce into one return. A wake never appears as an event: the
 * Poller drains (or clears) it, and a `wait` ended only by a wake returns an empty result.
 *
 * A Waker owns nothing and closes nothing. Once its Poller is closed, `wake()` throws EBADF, on
 * every thread: the Poller marks the shared state before it closes the descriptor, and waits for
 * wakes in progress to finish, so a wake can never write into a descriptor number the kernel has
 * handed out again. (If a Poller is garbage-collected without `close()`, the mark is made by a
 * finalizer in no guaranteed order with the one that closes the descriptor: close Pollers whose
 * Wakers were transferred.)
 *
 * @example
 * ```ts
 * import { Poller, Waker } from "bunix";
 * using poller = new Poller();
 * const worker = new Worker(new URL("./worker.ts", import.meta.url));
 * worker.postMessage(poller.waker().transfer());
 * // worker.ts: self.onmessage = (e) => Waker.from(e.data).wake();
 * const events = poller.wait(5000);   // returns when the Worker wakes it
 * console.log(events.length);         // 0: the wake is not an event
 * ```
 */
export class Waker {
  readonly #source: WakeSource;
  readonly #state: Int32Array;
  readonly #stateBuffer: SharedArrayBuffer;
  readonly #trigger: () => void;

  static {
    makeWaker = (source, state) => new Waker(source, state);
    stateOf = (waker) => waker.#state;
  }

  private constructor(source: WakeSource, state: SharedArrayBuffer) {
    this.#source = source;
    this.#stateBuffer = state;
    this.#state = new Int32Array(state, 0, STATE_BYTES / 4);
    this.#trigger = source.kind === "eventfd" ? eventfdTrigger(source.fd) : kqueueTrigger(source);
  }

  /**
   * Rebuilds, in this thread, the Waker that {@link Waker.transfer} described (normally in another
   * Worker). The result wakes the same Poller, and is refused once that Poller is closed.
   *
   * @param transfer - what `waker.transfer()` returned, received through `postMessage`.
   * @throws TypeError when `transfer` is not such an object (wrong `kind`, no `SharedArrayBuffer`).
   * @throws RangeError when a descriptor or ident in it is out of range.
   * @throws SystemError ENOTSUP (syscall `"Waker"`) when the kqueue library it names cannot be loaded.
   *
   * @example
   * ```ts
   * // worker.ts
   * import { Waker } from "bunix";
   * self.onmessage = (event) => {
   *   const waker = Waker.from(event.data);
   *   waker.wake();
   * };
   * ```
   */
  static from(transfer: WakerTransfer): Waker {
    if (transfer === null || typeof transfer !== "object") throw invalidType("transfer", "of type object", transfer);
    const { state } = transfer;
    if (!(state instanceof SharedArrayBuffer) || state.byteLength < STATE_BYTES) {
      throw invalidType("transfer.state", "a SharedArrayBuffer from Waker.transfer()", state);
    }
    if (transfer.kind === "eventfd") {
      return new Waker({ kind: "eventfd", fd: validateInteger(transfer.fd, "transfer.fd", 0, 0x7fff_ffff) }, state);
    }
    if (transfer.kind === "kqueue") {
      const { library } = transfer;
      if (library !== undefined && typeof library !== "string") throw invalidType("transfer.library", "of type string", library);
      const source: KqueueWakeSource = {
        kind: "kqueue",
        kqfd: validateInteger(transfer.kqfd, "transfer.kqfd", 0, 0x7fff_ffff),
        ident: validateInteger(transfer.ident, "transfer.ident", 0, Number.MAX_SAFE_INTEGER),
        ...(library === undefined ? {} : { library }),
      };
      return new Waker(source, state);
    }
    throw invalidValue("transfer.kind", `must be "eventfd" or "kqueue"`, (transfer as { kind?: unknown }).kind);
  }

  /** Whether the Poller this Waker wakes has been closed (then `wake()` throws EBADF). */
  get closed(): boolean {
    return (Atomics.load(this.#state, LOCK) & CLOSED) !== 0;
  }

  /**
   * `write(2)` of 1 to the Poller's eventfd (epoll), or `kevent(2)` with `NOTE_TRIGGER` (kqueue):
   * makes the Poller's current or next `wait` return. Callable from any thread; cheap; never
   * blocks (a full eventfd counter means a wake is already pending, which is enough).
   *
   * @throws SystemError EBADF (syscall `"Waker.wake"`) when the Poller has been closed; a failure of
   *   `write` (syscall `"write"`) or `kevent` (syscall `"kevent"`) otherwise, which would mean the
   *   descriptor was closed behind the Poller's back.
   *
   * @example
   * ```ts
   * const waker = poller.waker();
   * setTimeout(() => waker.wake(), 10);
   * poller.wait(-1);   // a Worker's wake ends this; a main-thread timer cannot (the thread is blocked)
   * ```
   */
  wake(): void {
    const state = this.#state;
    if ((Atomics.add(state, LOCK, 1) & CLOSED) !== 0) {
      Atomics.sub(state, LOCK, 1);
      throw new SystemError("EBADF", "Waker.wake", "the Poller of this Waker is closed");
    }
    try {
      // Before the trigger: whoever sees the wake-up entry then sees the flag too.
      Atomics.store(state, PENDING, 1);
      this.#trigger();
    } finally {
      // The last wake in flight after close() began lets close() go on.
      if (Atomics.sub(state, LOCK, 1) === (CLOSED | 1)) Atomics.notify(state, LOCK);
    }
  }

  /**
   * A plain object describing this Waker, for `postMessage` to another Worker, where
   * {@link Waker.from} rebuilds it: `{ kind: "eventfd", fd, state }` or
   * `{ kind: "kqueue", kqfd, ident, library?, state }`, with `state` a SharedArrayBuffer.
   *
   * The numbers in it are descriptor numbers of this process: the object is meaningless in another
   * process.
   *
   * @example
   * ```ts
   * worker.postMessage({ waker: poller.waker().transfer() });
   * ```
   */
  transfer(): WakerTransfer {
    return { ...this.#source, state: this.#stateBuffer };
  }
}

/**
 * A new Waker for `source`, over `state` (a SharedArrayBuffer of STATE_BYTES, all zero).
 * @internal
 */
export function openWaker(source: WakeSource, state: SharedArrayBuffer): Waker {
  return makeWaker(source, state);
}

/**
 * Marks every Waker of `waker`'s Poller closed and waits until no wake is in progress, so the
 * caller may close the descriptor. A wake takes microseconds. A count that does not drain within
 * SHUTDOWN_LIMIT_MS belongs to a thread that died inside `wake()` (a Worker terminated between
 * announcing itself and leaving): it will never write, so closing goes on, with a log line.
 * @internal
 */
export function shutDownWaker(waker: Waker): void {
  const state = stateOf(waker);
  let value = Atomics.or(state, LOCK, CLOSED) | CLOSED;
  const deadline = performance.now() + SHUTDOWN_LIMIT_MS;
  while ((value & IN_FLIGHT) !== 0) {
    if (performance.now() > deadline) {
      log("warn", "Poller.close: a Waker never finished a wake (its thread was terminated?); closing anyway");
      return;
    }
    Atomics.wait(state, LOCK, value, 5);
    value = Atomics.load(state, LOCK);
  }
}

/**
 * Marks `waker`'s Poller closed without waiting: for the finalizer of a Poller that was never closed.
 * @internal
 */
export function markWakerClosed(state: Int32Array): void {
  Atomics.or(state, LOCK, CLOSED);
}

/** The shared state of a Waker, for the Poller's finalizer. @internal */
export function wakerState(waker: Waker): Int32Array {
  return stateOf(waker);
}

/** Adds 1 to eventfd `fd` with a raw write (the descriptor belongs to the Poller, not to this Waker). */
function eventfdTrigger(fd: number): () => void {
  const write = core().write;
  // An ArrayBuffer-backed buffer: small typed arrays move (docs/design/bun-ffi.md §3.1).
  const one = new Uint32Array(new ArrayBuffer(8));
  one[LOW_WORD] = 1;
  return () => {
    for (;;) {
      if (write(fd, one, 8) >= 0) return;
      const code = errno();
      if (code === EAGAIN) return; // the counter is full: a wake is pending already
      if (code !== EINTR) throw SystemError.fromErrno(code, "write");
    }
  };
}

function kqueueTrigger(source: KqueueWakeSource): () => void {
  const changes = new UserEventChanges(keventOf(source.library), source.kqfd, source.ident);
  return () => {
    const code = changes.trigger();
    if (code !== 0) throw SystemError.fromErrno(code, "kevent");
  };
}
