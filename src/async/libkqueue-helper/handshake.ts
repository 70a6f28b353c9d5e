/**
 * The shared memory of a kqueue helper thread (helper.ts, worker.ts): a few control
 * words, and (in a buffer of its own) the event list that the helper's `kevent()` fills.
 *
 * `STATE` is a small handshake, each transition made by one side only:
 *
 * ```
 *   IDLE ──main: request──► REQUESTED ──helper: CAS──► RUNNING ──helper: kevent returned──► DONE
 *    ▲  ◄──main: CAS (cancel)──┘                                                             │
 *    └────────────────────────────── main: results taken ◄───────────────────────────────────┘
 *   IDLE or DONE ──main──► EXIT (the helper ends)
 * ```
 *
 * @internal
 * @module
 */

/** Index of the handshake state. */
export const STATE = 0;
/** Index of what the helper's `kevent()` returned: a count, or minus its errno. */
export const RESULT = 1;
/** Words in the control buffer. */
export const CONTROL_WORDS = 2;

/** No request: the helper sleeps in `Atomics.wait`. */
export const IDLE = 0;
/** The main thread asks for one `kevent()` wait. */
export const REQUESTED = 1;
/** The helper is in `kevent()`. */
export const RUNNING = 2;
/** `kevent()` returned; `RESULT` and the event list hold its result. */
export const DONE = 3;
/** The helper must end. */
export const EXIT = 4;

/** The message that starts a helper. */
export interface KeventHelperStart {
  readonly control: Int32Array;
  /** The event list, over a SharedArrayBuffer (its storage never moves). */
  readonly events: Uint32Array;
  /** How many `struct kevent` the list holds. */
  readonly capacity: number;
  /** The kqueue to wait on. */
  readonly fd: number;
  /** Where `kevent` comes from: a library path, or the C library's own. */
  readonly library: string | undefined;
}
