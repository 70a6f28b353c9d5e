/**
 * The readiness thread: a Worker that blocks in `epoll_wait` (or `kevent`) on the outer instance
 * and publishes the ids of ready instances to the main thread through the ring (ready-ring.ts).
 *
 * It takes over the outer descriptors when it starts, and closes them itself when the main thread
 * asks it to stop (the control registration makes its wait return). If its wait fails instead, it
 * hands them back for the main thread to close. It is never terminated while
 * it waits: a thread blocked in the kernel cannot be, and its descriptors would stay open.
 * Once it has closed them it clears its message handler, so the Worker ends on its own.
 *
 * @internal
 * @module
 */
import { errnoNumber } from "../../../ffi/index.ts";
import { epollWaiter } from "./outer-epoll.ts";
import { kqueueWaiter } from "./outer-kqueue.ts";
import type { OuterInit, OuterWaiter } from "./outer.ts";
import {
  CONTROL_SLOT,
  ERROR,
  HEAD,
  OWNER,
  OWNER_MAIN,
  OWNER_THREAD,
  RING_ENTRIES,
  STATE,
  STATE_RUNNING,
  STATE_STOPPED,
  TAIL,
  entryIndex,
  queued,
} from "./ready-ring.ts";

declare const self: Worker;

/** The message that starts the thread. */
export interface ReadinessStart {
  readonly ring: Int32Array;
  readonly outer: OuterInit;
}

const EINTR = errnoNumber("EINTR");
// Set in ERROR when the thread failed with a JS exception rather than an errno.
const EXCEPTION = -1;

self.onmessage = (event: MessageEvent<ReadinessStart>) => {
  self.onmessage = null;
  const { ring, outer } = event.data;
  // The main thread closed the descriptors already (it gave up before this thread started).
  if (Atomics.compareExchange(ring, OWNER, OWNER_MAIN, OWNER_THREAD) !== OWNER_MAIN) {
    finish(ring);
    return;
  }
  let stopped = false;
  try {
    const waiter = outer.kind === "epoll" ? epollWaiter(outer) : kqueueWaiter(outer);
    stopped = publishReady(ring, waiter);
    // Only on a stop request: the main thread wrote its wake-up before asking, and touches the
    // descriptors no more.
    if (stopped) waiter.close();
  } catch (error) {
    Atomics.store(ring, ERROR, EXCEPTION);
    self.postMessage({ error: error instanceof Error ? error.message : String(error) });
  } finally {
    // Failed: hand the descriptors back, so the main thread closes them once it no longer uses them.
    if (!stopped) Atomics.store(ring, OWNER, OWNER_MAIN);
    finish(ring);
  }
};

/** Waits and publishes until the main thread asks to stop (true) or a wait fails (false). */
function publishReady(ring: Int32Array, waiter: OuterWaiter): boolean {
  let head = Atomics.load(ring, HEAD);
  for (;;) {
    if (Atomics.load(ring, STATE) !== STATE_RUNNING) return true;
    const tail = Atomics.load(ring, TAIL);
    const room = RING_ENTRIES - queued(head, tail);
    if (room === 0) {
      // Full: the main thread notifies TAIL when it drains a full ring (and when it asks to stop).
      Atomics.wait(ring, TAIL, tail);
      continue;
    }
    const count = waiter.wait(room);
    if (count < 0) {
      if (-count === EINTR) continue;
      Atomics.store(ring, ERROR, -count);
      return false;
    }
    let published = false;
    for (let i = 0; i < count; i++) {
      const slot = waiter.slot(i);
      // The control registration: a stop request, seen at the top of the loop.
      if (slot === CONTROL_SLOT) continue;
      const at = entryIndex(head);
      ring[at] = slot | 0;
      ring[at + 1] = waiter.generation(i) | 0;
      head = (head + 1) | 0;
      published = true;
    }
    if (published) {
      Atomics.store(ring, HEAD, head);
      Atomics.notify(ring, HEAD);
    }
  }
}

/** Tells the main thread that the descriptors are closed and this thread is leaving. */
function finish(ring: Int32Array): void {
  Atomics.store(ring, STATE, STATE_STOPPED);
  Atomics.notify(ring, HEAD);
}
