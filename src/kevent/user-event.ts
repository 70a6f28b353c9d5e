/**
 * The Poller's wake-up event on kqueue: one `EVFILT_USER` registration, added and triggered with
 * raw `kevent(2)` calls so that a `Waker` in any thread can trigger it knowing only the kqueue's
 * descriptor, the ident and the library.
 *
 * The event carries a constant udata of 0 from its `EV_ADD` on, and every trigger sends 0 again:
 * macOS and libkqueue overwrite the stored udata with the change's on a bare `NOTE_TRIGGER`
 * (docs/design/libkqueue.md §5), so resending the same value keeps it stable. A udata of 0 never
 * resolves in the `Kqueue`'s handle map (generation 0 is never handed out), and the Poller knows
 * the event by its filter and ident, not by its udata.
 *
 * @internal
 * @module
 */
import { errno, errnoNumber, struct } from "../../ffi/index.ts";
import { unsupportedError } from "../core/errors.ts";
import { KeventBuffer } from "./codec.ts";
import { hostKqueueAbi, kqueueConstant } from "./constants.ts";
import { type KeventCall, kqueueFunctions } from "./library.ts";

/** The filter of the wake-up event. */
export const EVFILT_USER = kqueueConstant("EVFILT_USER");
const EV_ADD = kqueueConstant("EV_ADD");
const EV_CLEAR = kqueueConstant("EV_CLEAR");
const EV_RECEIPT = kqueueConstant("EV_RECEIPT");
const EV_ERROR = kqueueConstant("EV_ERROR");
const NOTE_TRIGGER = kqueueConstant("NOTE_TRIGGER");
const EINTR = errnoNumber("EINTR");

/**
 * The ident of the wake-up event. The Poller's kqueue is its own and registers no other
 * `EVFILT_USER` event, so any number is free; this one reads "WAKE" in a debugger.
 */
export const WAKE_IDENT = 0x5741_4b45;

/**
 * The `kevent` function of the native kqueue, or of `library` (libkqueue on Linux).
 * @throws SystemError ENOTSUP (syscall `"Waker"`) when it cannot be loaded.
 */
export function keventOf(library: string | undefined): KeventCall {
  let symbols: ReturnType<typeof kqueueFunctions>;
  try {
    symbols = kqueueFunctions(library);
  } catch {
    throw unsupportedError("Waker", `not supported: cannot load the kqueue library ${library}`);
  }
  if (symbols === undefined) throw unsupportedError("Waker", "not supported here without a kqueue library");
  return symbols.kevent;
}

/** Submits changes to one kqueue's wake-up event; its buffers are its own (one per thread). */
export class UserEventChanges {
  readonly #kevent: KeventCall;
  readonly #kqfd: number;
  readonly #ident: number;
  readonly #change = new KeventBuffer(hostKqueueAbi.kevent, 1);
  readonly #receipt = new KeventBuffer(hostKqueueAbi.kevent, 1);
  readonly #zeroTimeout = new Uint32Array(new ArrayBuffer(struct("timespec").size));

  constructor(kevent: KeventCall, kqfd: number, ident: number) {
    this.#kevent = kevent;
    this.#kqfd = kqfd;
    this.#ident = ident;
  }

  /** `EV_ADD | EV_CLEAR`: registers the event; a trigger is then reported once. Returns 0 or an errno. */
  add(): number {
    return this.#submit(EV_ADD | EV_CLEAR, 0);
  }

  /** `NOTE_TRIGGER`: makes the event ready. Returns 0 or an errno. */
  trigger(): number {
    return this.#submit(0, NOTE_TRIGGER);
  }

  /**
   * One change with `EV_RECEIPT` and one receipt slot (nevents == nchanges), so the call never
   * waits and reports this change's error alone (libkqueue discards receipts otherwise:
   * docs/design/libkqueue.md §8).
   */
  #submit(flags: number, fflags: number): number {
    const change = this.#change;
    const receipt = this.#receipt;
    change.encode(0, this.#ident, EVFILT_USER, flags | EV_RECEIPT, fflags, 0, 0, 0);
    for (;;) {
      const result = this.#kevent(this.#kqfd, change.words, 1, receipt.words, 1, this.#zeroTimeout);
      if (result < 0) {
        const code = errno();
        if (code === EINTR) continue;
        return code;
      }
      if (result === 0 || (receipt.flags(0) & EV_ERROR) === 0) return 0;
      return receipt.data(0);
    }
  }
}
