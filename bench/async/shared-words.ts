/**
 * The shared-memory words and task shapes of the bench's Worker scripts, in a module of their own:
 * importing a Worker script on the main thread would run its top level there (and a main thread
 * with an `onmessage` handler never exits).
 *
 * @module
 */

/** Producer control words: samples acknowledged by the main thread. */
export const ACKED = 0;
/** Producer control words: the stop flag of a stream. */
export const STOP = 1;
/** Producer control words: writes a stream made. */
export const WRITTEN = 2;

/** What the main thread asks the producer (producer-worker.ts) for. */
export type ProducerTask =
  | {
      readonly kind: "latency";
      readonly control: Int32Array;
      readonly stamp: Float64Array;
      readonly fd: number;
      readonly count: number;
      readonly seed: number;
      readonly bytes?: boolean;
    }
  | { readonly kind: "stream"; readonly control: Int32Array; readonly fds: readonly number[]; readonly pauseMs: number };

/** Raw-floor helper words (raw-floor-worker.ts): reports made. */
export const REPORTS = 0;
/** Raw-floor helper words: the stop flag. */
export const RAW_STOP = 1;
/** Raw-floor helper words: 1 once the helper has left its loop. */
export const LEFT = 2;
