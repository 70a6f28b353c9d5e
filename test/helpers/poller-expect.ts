/**
 * Assertions about what a Poller reports, in the manner of mio's `expect_events`: wait until every
 * expected entry has been seen (or fail after a deadline, listing what did arrive), or assert that
 * a wait comes back empty.
 *
 * @module
 */
import type { PollEvent, Poller } from "../../src/poller/index.ts";

/** An entry a test expects: the listed fields must match, the others may be anything. */
export type ExpectedEntry<T> = Partial<PollEvent<T>>;

function matches<T>(entry: PollEvent<T>, expected: ExpectedEntry<T>): boolean {
  return (Object.keys(expected) as (keyof PollEvent<T>)[]).every((key) => Object.is(entry[key], expected[key]));
}

function describeEntries<T>(entries: readonly PollEvent<T>[]): string {
  return entries.length === 0 ? "nothing" : JSON.stringify(entries);
}

/**
 * Waits (repeatedly, up to `timeoutMs` in all) until each expected entry has been reported, and
 * returns every entry seen on the way, as owned copies.
 * @throws Error naming what was missing and what arrived.
 */
export function expectEntries<T>(poller: Poller<T>, expected: readonly ExpectedEntry<T>[], timeoutMs = 1000): PollEvent<T>[] {
  const seen: PollEvent<T>[] = [];
  const missing = [...expected];
  const deadline = performance.now() + timeoutMs;
  while (missing.length > 0) {
    const left = Math.max(0, Math.ceil(deadline - performance.now()));
    const batch = poller.wait(left).toArray();
    seen.push(...batch);
    for (const entry of batch) {
      const at = missing.findIndex((want) => matches(entry, want));
      if (at >= 0) missing.splice(at, 1);
    }
    if (left === 0) break;
  }
  if (missing.length > 0) {
    throw new Error(`expected entries ${JSON.stringify(missing)} within ${timeoutMs} ms; saw ${describeEntries(seen)}`);
  }
  return seen;
}

/**
 * One wait of `timeoutMs` (default 0: a poll) that must report nothing.
 * @throws Error listing what was reported.
 */
export function expectNoEntries<T>(poller: Poller<T>, timeoutMs = 0): void {
  const entries = poller.wait(timeoutMs).toArray();
  if (entries.length > 0) throw new Error(`expected no entries within ${timeoutMs} ms; saw ${describeEntries(entries)}`);
}

/** One poll (`wait(0)`), as owned copies. */
export function pollEntries<T>(poller: Poller<T>): PollEvent<T>[] {
  return poller.wait(0).toArray();
}

/** What `call` threw, so that its fields can be checked one by one. */
export function thrown(call: () => unknown): unknown {
  try {
    call();
  } catch (error) {
    return error;
  }
  throw new Error("expected the call to throw");
}
