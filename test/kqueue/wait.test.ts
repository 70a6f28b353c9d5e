// wait(timeoutMs): setTimeout-style timeouts (src/core/timeout.ts) and the reusable result.
import { describe, expect, test } from "bun:test";
import { EventFilter, EventFlags } from "../../src/kqueue/kqueue.ts";
import { haveKqueue, holdKqueueRuntime, needsKqueue, openKqueue } from "../helpers/kqueue-env.ts";

holdKqueueRuntime();

describe.skipIf(!haveKqueue)(`Kqueue.wait timeouts${needsKqueue}`, () => {
  test("0 polls: returns at once with no events", () => {
    using kq = openKqueue<string>();
    const started = performance.now();
    expect(kq.wait(0).length).toBe(0);
    expect(performance.now() - started).toBeLessThan(50);
  });

  test("a timeout with nothing ready returns empty after the time has passed", () => {
    using kq = openKqueue<string>();
    const started = performance.now();
    expect(kq.wait(40).length).toBe(0);
    expect(performance.now() - started).toBeGreaterThanOrEqual(39);
  });

  test("fractions round up, never down to a busy poll", () => {
    using kq = openKqueue<string>();
    const started = performance.now();
    expect(kq.wait(0.2).length).toBe(0);
    expect(performance.now() - started).toBeGreaterThanOrEqual(0.9);
  });

  test("-1, Infinity and no argument wait until an event arrives", () => {
    using kq = openKqueue<string>();
    for (const forever of [-1, Infinity, undefined]) {
      kq.registerTimer(5, EventFlags.ADD | EventFlags.ONESHOT, "woke");
      expect(kq.wait(forever).udata(0)).toBe("woke");
    }
  });

  test("an event ends the wait early", () => {
    using kq = openKqueue<string>();
    kq.registerTimer(10, EventFlags.ADD | EventFlags.ONESHOT, "early");
    const started = performance.now();
    expect(kq.wait(5000).length).toBe(1);
    expect(performance.now() - started).toBeLessThan(2500);
  });

  test("bad timeouts are rejected before any wait", () => {
    using kq = openKqueue<string>();
    for (const bad of [NaN, -2, -0.5, -Infinity]) expect(() => kq.wait(bad)).toThrow(RangeError);
    for (const bad of ["10", null, 10n, {}]) expect(() => kq.wait(bad as unknown as number)).toThrow(TypeError);
  });

  test("the same KeventList comes back from every wait, holding the latest batch only", () => {
    using kq = openKqueue<string>();
    kq.register(1, EventFilter.User, EventFlags.ADD | EventFlags.CLEAR, "a");
    kq.trigger(1);
    const first = kq.wait(1000);
    expect(first.length).toBe(1);
    const second = kq.wait(0);
    expect(second).toBe(first);
    expect(first.length).toBe(0);
    kq.unregister(1, EventFilter.User);
  });

  test("maxEvents bounds one batch; the rest come with the next wait", () => {
    using kq = openKqueue<number>({ maxEvents: 2 });
    for (let ident = 1; ident <= 5; ident++) {
      kq.register(ident, EventFilter.User, EventFlags.ADD | EventFlags.CLEAR, ident);
      kq.trigger(ident);
    }
    const seen: number[] = [];
    for (let round = 0; round < 5 && seen.length < 5; round++) {
      const events = kq.wait(1000);
      expect(events.length).toBeLessThanOrEqual(2);
      for (const { udata } of events) seen.push(udata!);
    }
    expect(seen.sort()).toEqual([1, 2, 3, 4, 5]);
    for (let ident = 1; ident <= 5; ident++) kq.unregister(ident, EventFilter.User);
  });
});
