/**
 * The shared memory between the main thread and the readiness thread: a few control words and a
 * single-producer, single-consumer ring of ready ids, in one SharedArrayBuffer.
 *
 * Both threads import this module (each its own copy); nothing here calls the kernel. The words
 * are an `Int32Array` because `Atomics.wait`/`waitAsync` take no other view; ids are unsigned and
 * are stored as their bit pattern.
 *
 * - The readiness thread is the only writer of `HEAD` and of the entries; the main thread the
 *   only writer of `TAIL`. Both are free-running counters (wrapping at 2^32); an entry lives at
 *   `counter % RING_ENTRIES`.
 * - The main thread sleeps in `Atomics.waitAsync` on `HEAD`; the readiness thread `notify`s it
 *   after publishing entries. A full ring makes the readiness thread sleep in `Atomics.wait` on
 *   `TAIL` until the main thread has taken entries (it notifies `TAIL` whenever it drains a full
 *   ring). Events the readiness thread has not yet collected stay in the kernel meanwhile.
 * - `STATE` follows the readiness thread's life: `RUNNING` from the start, `STOP` when the main
 *   thread asks it to end, `STOPPED` once it has closed its descriptors and is about to exit.
 * - `OWNER` says which side closes the outer descriptors.
 *
 * @internal
 * @module
 */

/** Index of the producer counter (entries published). */
export const HEAD = 0;
/** Index of the consumer counter (entries taken). */
export const TAIL = 1;
/** Index of the readiness thread's state. */
export const STATE = 2;
/** Index of the errno that ended the readiness thread, or 0. */
export const ERROR = 3;
/**
 * Index of the owner of the outer descriptors: {@link OWNER_MAIN} until the readiness thread takes
 * them over ({@link OWNER_THREAD}, and it closes them), or {@link OWNER_CLOSED} when the main thread
 * closed them because the thread never started. Changed only by compare-and-exchange from
 * `OWNER_MAIN`, so exactly one side closes them.
 */
export const OWNER = 4;
const HEADER_WORDS = 5;

/** The main thread still holds the outer descriptors. */
export const OWNER_MAIN = 0;
/** The readiness thread holds them and closes them when it stops. */
export const OWNER_THREAD = 1;
/** The main thread closed them. */
export const OWNER_CLOSED = 2;

/** The readiness thread waits for ids. */
export const STATE_RUNNING = 0;
/** The main thread asked the readiness thread to end. */
export const STATE_STOP = 1;
/** The readiness thread closed its descriptors and is leaving. */
export const STATE_STOPPED = 2;

/**
 * Entries in the ring. One-shot registration bounds the ids in flight by the number of watched
 * instances; beyond this many the readiness thread waits for room, which only delays reports.
 */
export const RING_ENTRIES = 1024;
/** 32-bit words per entry: a slot index and its generation, as the handle map issues them. */
const ENTRY_WORDS = 2;

/** The slot value that marks the control descriptor (stop request) in the outer instance. */
export const CONTROL_SLOT = 0xffffffff;

/** A new, zeroed control block and ring. */
export function createRing(): Int32Array {
  return new Int32Array(new SharedArrayBuffer((HEADER_WORDS + RING_ENTRIES * ENTRY_WORDS) * 4));
}

/** Where entry number `counter` lives (its slot word; the generation follows). */
export function entryIndex(counter: number): number {
  return HEADER_WORDS + ((counter >>> 0) % RING_ENTRIES) * ENTRY_WORDS;
}

/** How many entries are published and not yet taken. */
export function queued(head: number, tail: number): number {
  return (head - tail) >>> 0;
}
