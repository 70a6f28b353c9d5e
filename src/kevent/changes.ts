/**
 * One kevent(2) change at a time, with `EV_RECEIPT` and exactly one receipt slot: the way the
 * readiness machinery registers, re-arms and triggers its private kqueue events. As in `Kqueue`
 * itself, nevents == nchanges keeps libkqueue from waiting for events and dropping the receipt
 * (docs/design/libkqueue.md §8).
 *
 * @internal
 * @module
 */
import { struct } from "../../ffi/index.ts";
import { KeventBuffer } from "./codec.ts";
import type { KeventCall } from "./library.ts";
import { submitWithReceipt } from "./receipt.ts";
import { hostKqueueAbi, kqueueConstant } from "./constants.ts";

const EV_RECEIPT = kqueueConstant("EV_RECEIPT");

/**
 * The ident no `Kqueue.register` can name: `UINTPTR_MAX` (register takes idents up to 2^53 - 1).
 * Pass it as `ident` to {@link KeventChanges.submit}; the readiness code keeps its own events there.
 */
export const PRIVATE_IDENT = -1;

/** Submits single changes to kqueues through one `kevent` binding. */
export class KeventChanges {
  readonly #kevent: KeventCall;
  readonly #change = new KeventBuffer(hostKqueueAbi.kevent, 1);
  readonly #receipt = new KeventBuffer(hostKqueueAbi.kevent, 1);
  readonly #zeroTimeout = new Uint32Array(new ArrayBuffer(struct("timespec").size));
  readonly #identWord = hostKqueueAbi.kevent.fields.ident.offset / 4;

  /** @param kevent - the `kevent` function of the kqueue implementation the kqueues come from. */
  constructor(kevent: KeventCall) {
    this.#kevent = kevent;
  }

  /**
   * Applies one change (flags get `EV_RECEIPT`) to kqueue `kq`. Returns 0, or the errno the call
   * or its receipt reported. EINTR is retried.
   * @param ident - an ident, or {@link PRIVATE_IDENT}.
   */
  submit(kq: number, ident: number, filter: number, flags: number, fflags: number, udataLow: number, udataHigh: number): number {
    const change = this.#change;
    change.encode(0, ident === PRIVATE_IDENT ? 0 : ident, filter, flags | EV_RECEIPT, fflags, 0, udataLow, udataHigh);
    if (ident === PRIVATE_IDENT) {
      change.words[this.#identWord] = 0xffffffff;
      change.words[this.#identWord + 1] = 0xffffffff;
    }
    return submitWithReceipt(this.#kevent, kq, change, this.#receipt, this.#zeroTimeout);
  }
}
