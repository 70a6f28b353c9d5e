/**
 * Submits one change with EV_RECEIPT in a kevent() call of its own, the way every kqueue change in
 * bunix is made: the receipt reports that change's own error, and no event is consumed (libkqueue
 * mixes receipts with events when the call also waits: docs/design/libkqueue.md §8).
 *
 * @internal
 * @module
 */
import { errno, errnoNumber } from "../../ffi/index.ts";
import type { KeventBuffer } from "./codec.ts";
import { kqueueConstant } from "./constants.ts";
import type { KeventCall } from "./library.ts";

const EINTR = errnoNumber("EINTR");
const EV_ERROR = kqueueConstant("EV_ERROR");

/**
 * `kevent(kq, change, 1, receipt, 1, {0, 0})` for the change encoded at index 0 of `change`, which
 * must carry EV_RECEIPT. EINTR is retried. Returns 0, or the errno the call or its receipt reported.
 *
 * @param zeroTimeout - a zeroed `struct timespec`, so the call never waits.
 */
export function submitWithReceipt(
  kevent: KeventCall,
  kq: number,
  change: KeventBuffer,
  receipt: KeventBuffer,
  zeroTimeout: Uint32Array,
): number {
  for (;;) {
    const result = kevent(kq, change.words, 1, receipt.words, 1, zeroTimeout);
    if (result < 0) {
      const code = errno();
      if (code === EINTR) continue;
      return code;
    }
    if (result === 0 || (receipt.flags(0) & EV_ERROR) === 0) return 0;
    return receipt.data(0);
  }
}
