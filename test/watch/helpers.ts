/**
 * Waiting in watch tests: the callbacks come from the event loop, so a test awaits them between
 * short sleeps, up to a deadline, and records what each callback was told.
 * @module
 */
import { emulated } from "../helpers/env.ts";
import type { WatchReadiness } from "../../src/watch/index.ts";

/** How long a test waits for a callback before failing. */
export const CALLBACK_WAIT_MS = emulated ? 20_000 : 5_000;

/** Resolves once `condition()` holds; rejects after `ms`. */
export async function until(what: string, condition: () => boolean, ms = CALLBACK_WAIT_MS): Promise<void> {
  const deadline = performance.now() + ms;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await Bun.sleep(1);
  }
}

/** Lets the event loop turn for `ms`: callbacks that would come, come. */
export function settle(ms = 50): Promise<void> {
  return Bun.sleep(ms);
}

/** A callback that records every call, with an optional action run after recording. */
export function recorder(action?: (ready: WatchReadiness, calls: WatchReadiness[]) => void) {
  const calls: WatchReadiness[] = [];
  const callback = (ready: WatchReadiness): void => {
    calls.push(ready);
    action?.(ready, calls);
  };
  return { calls, callback };
}

/** The readiness a watch ends with when its descriptor was closed or reused. */
export const CLOSED = { readable: false, writable: false, hangup: false, error: true };
