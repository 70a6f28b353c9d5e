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
import { unsupportedError } from "../core/errors.ts";
import { KeventChanges } from "./changes.ts";
import { kqueueConstant } from "./constants.ts";
import { type KeventCall, kqueueFunctions } from "./library.ts";

/** The filter of the wake-up event. */
export const EVFILT_USER = kqueueConstant("EVFILT_USER");
const EV_ADD = kqueueConstant("EV_ADD");
const EV_CLEAR = kqueueConstant("EV_CLEAR");
const NOTE_TRIGGER = kqueueConstant("NOTE_TRIGGER");

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

/**
 * Submits changes to one kqueue's wake-up event, each in a kevent() call of its own with
 * `EV_RECEIPT` (see changes.ts); its buffers are its own (one per thread).
 */
export class UserEventChanges {
  readonly #changes: KeventChanges;
  readonly #kqfd: number;
  readonly #ident: number;

  constructor(kevent: KeventCall, kqfd: number, ident: number) {
    this.#changes = new KeventChanges(kevent);
    this.#kqfd = kqfd;
    this.#ident = ident;
  }

  /** `EV_ADD | EV_CLEAR`: registers the event; a trigger is then reported once. Returns 0 or an errno. */
  add(): number {
    return this.#changes.submit(this.#kqfd, this.#ident, EVFILT_USER, EV_ADD | EV_CLEAR, 0, 0, 0);
  }

  /** `NOTE_TRIGGER`: makes the event ready. Returns 0 or an errno. */
  trigger(): number {
    return this.#changes.submit(this.#kqfd, this.#ident, EVFILT_USER, 0, NOTE_TRIGGER, 0, 0);
  }
}
