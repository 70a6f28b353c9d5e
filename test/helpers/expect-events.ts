/**
 * Assertions about what an `Epoll` reports, in the manner of mio's `expect_events`: wait until
 * every expected event has been seen (or fail after a deadline, listing what did arrive), or
 * assert that a wait comes back empty.
 *
 * @module
 */
import type { Epoll } from "../../src/epoll/epoll.ts";
import type { EpollEvent } from "../../src/epoll/epoll-events.ts";

/** One event a test expects. */
export interface ExpectedEvent<T> {
  /** The descriptor the event must carry. */
  readonly fd: number;
  /** Bits that must all be set in the event's mask (others may be set too). */
  readonly events: number;
  /** When present, the event's data must be this value (`Object.is`). */
  readonly data?: T;
}

function matches<T>(event: EpollEvent<T>, expected: ExpectedEvent<T>): boolean {
  if (event.fd !== expected.fd) return false;
  if (((event.events & expected.events) >>> 0) !== expected.events >>> 0) return false;
  return !("data" in expected) || Object.is(event.data, expected.data);
}

function describe<T>(events: readonly EpollEvent<T>[]): string {
  if (events.length === 0) return "nothing";
  return events.map((e) => `{ fd: ${e.fd}, events: 0x${e.events.toString(16)}, data: ${String(e.data)} }`).join(", ");
}

/**
 * Waits (repeatedly, up to `timeoutMs` in all) until each expected event has been reported, and
 * returns every event seen on the way, as owned copies.
 * @throws Error naming what was missing and what arrived.
 */
export function expectEvents<T>(epoll: Epoll<T>, expected: readonly ExpectedEvent<T>[], timeoutMs = 1000): EpollEvent<T>[] {
  const seen: EpollEvent<T>[] = [];
  const missing = [...expected];
  const deadline = performance.now() + timeoutMs;
  while (missing.length > 0) {
    const left = Math.max(0, Math.ceil(deadline - performance.now()));
    const batch = epoll.wait(left).toArray();
    seen.push(...batch);
    for (const event of batch) {
      const at = missing.findIndex((want) => matches(event, want));
      if (at >= 0) missing.splice(at, 1);
    }
    if (left === 0) break;
  }
  if (missing.length > 0) {
    const wanted = missing.map((m) => `{ fd: ${m.fd}, events: 0x${(m.events >>> 0).toString(16)}${"data" in m ? `, data: ${String(m.data)}` : ""} }`);
    throw new Error(`expected events ${wanted.join(", ")} within ${timeoutMs} ms; saw ${describe(seen)}`);
  }
  return seen;
}

/**
 * One wait of `timeoutMs` (default 0: a poll) that must report nothing.
 * @throws Error listing what was reported.
 */
export function expectNoEvents<T>(epoll: Epoll<T>, timeoutMs = 0): void {
  const events = epoll.wait(timeoutMs);
  if (events.length > 0) throw new Error(`expected no events within ${timeoutMs} ms; saw ${describe(events.toArray())}`);
}

/** One poll (`wait(0)`), as owned copies: what is ready right now. */
export function pollEvents<T>(epoll: Epoll<T>): EpollEvent<T>[] {
  return epoll.wait(0).toArray();
}
