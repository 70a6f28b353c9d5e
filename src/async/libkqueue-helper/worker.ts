/**
 * A kqueue helper thread: on request, one `kevent(kq, NULL, 0, events, n, NULL)` straight into
 * shared memory, for a kqueue whose descriptor cannot be watched by another instance (libkqueue's:
 * docs/design/libkqueue.md §10). The handshake is in handshake.ts; the main thread's side in
 * helper.ts. Between requests the thread sleeps in `Atomics.wait`; it is woken out of
 * `kevent()` by a private user event the main thread triggers on the kqueue.
 *
 * @internal
 * @module
 */
import { errno, errnoNumber } from "../../../ffi/index.ts";
import { type KeventCall, kqueueFunctions } from "../../kevent/library.ts";
import { pauseAfterEmptyReturns } from "../../kqueue/lost-exits.ts";
import { DONE, EXIT, REQUESTED, RESULT, RUNNING, STATE, type KeventHelperStart } from "./handshake.ts";

declare const self: Worker;

const EINTR = errnoNumber("EINTR");

self.onmessage = (event: MessageEvent<KeventHelperStart>) => {
  self.onmessage = null;
  const { control, events, capacity, fd, library } = event.data;
  try {
    const symbols = kqueueFunctions(library);
    if (symbols === undefined) throw new Error("no kevent on this platform");
    serve(control, events, capacity, fd, symbols.kevent);
  } catch (error) {
    self.postMessage({ error: error instanceof Error ? error.message : String(error) });
  }
};

function serve(
  control: Int32Array,
  events: Uint32Array,
  capacity: number,
  fd: number,
  kevent: KeventCall,
): void {
  // Empty returns in a row: each is reported, and a run of them is paced so the thread never spins.
  let empty = 0;
  for (;;) {
    const state = Atomics.load(control, STATE);
    if (state === EXIT) return;
    if (state !== REQUESTED) {
      // IDLE, or DONE until the main thread has taken the results.
      Atomics.wait(control, STATE, state);
      continue;
    }
    // The main thread may have cancelled the request meanwhile.
    if (Atomics.compareExchange(control, STATE, REQUESTED, RUNNING) !== REQUESTED) continue;
    pauseAfterEmptyReturns(empty, -1);
    const count = kevent(fd, null, 0, events, capacity, null);
    // An interrupted wait counts as an empty (spurious) one: the main thread asks again.
    const code = count < 0 ? errno() : 0;
    control[RESULT] = count >= 0 ? count : code === EINTR ? 0 : -code;
    empty = control[RESULT] === 0 ? empty + 1 : 0;
    Atomics.store(control, STATE, DONE);
    Atomics.notify(control, STATE);
  }
}
