// registerTimer: one-shot and periodic timers, any duration in ms kept to the microsecond.
import { describe, expect, test } from "bun:test";
import { EventFilter, EventFlags } from "../../src/kqueue/kqueue.ts";
import { haveKqueue, holdKqueueRuntime, needsKqueue, openKqueue } from "../helpers/kqueue-env.ts";

holdKqueueRuntime();

describe.skipIf(!haveKqueue)(`Kqueue.registerTimer${needsKqueue}`, () => {
  test("ADD|ONESHOT fires once with its udata, and its ident is the one returned", () => {
    using kq = openKqueue<number>();
    const ident = kq.registerTimer(10, EventFlags.ADD | EventFlags.ONESHOT, 7);
    const events = kq.wait(1000);
    expect(events.length).toBe(1);
    expect(events.ident(0)).toBe(ident);
    expect(events.filter(0)).toBe(EventFilter.Timer);
    expect(events.udata(0)).toBe(7);
    expect(events.data(0)).toBe(1);
    expect(kq.wait(50).length).toBe(0);
    // The kernel dropped it: there is nothing left to unregister.
    expect(() => kq.unregister(ident, EventFilter.Timer)).toThrow(expect.objectContaining({ code: "ENOENT" }));
  });

  test("ADD is periodic: it fires again and again, data counting the expirations since the last event", () => {
    using kq = openKqueue<number>();
    const ident = kq.registerTimer(10, EventFlags.ADD, 99);
    for (let round = 0; round < 3; round++) {
      const events = kq.wait(1000);
      expect(events.length).toBe(1);
      expect(events.udata(0)).toBe(99);
      expect(events.data(0)).toBeGreaterThanOrEqual(1);
    }
    Bun.sleepSync(55);
    const late = kq.wait(1000);
    expect(late.ident(0)).toBe(ident);
    expect(late.data(0)).toBeGreaterThanOrEqual(3);
    kq.unregister(ident, EventFilter.Timer);
    expect(kq.wait(30).length).toBe(0);
  });

  test("fractional durations keep their microseconds", () => {
    using kq = openKqueue<string>();
    // 25.7 ms: truncated to whole ms it would fire at 25 ms; timers never fire early.
    const started = performance.now();
    kq.registerTimer(25.7, EventFlags.ADD | EventFlags.ONESHOT, "fraction");
    expect(kq.wait(1000).udata(0)).toBe("fraction");
    expect(performance.now() - started).toBeGreaterThanOrEqual(25.6);
    // Below a millisecond: fires, and soon.
    const sub = performance.now();
    kq.registerTimer(0.25, EventFlags.ADD | EventFlags.ONESHOT, "sub-ms");
    expect(kq.wait(1000).udata(0)).toBe("sub-ms");
    expect(performance.now() - sub).toBeLessThan(100);
  });

  test("a zero duration fires at once", () => {
    using kq = openKqueue<string>();
    const started = performance.now();
    kq.registerTimer(0, EventFlags.ADD | EventFlags.ONESHOT, "now");
    expect(kq.wait(1000).udata(0)).toBe("now");
    expect(performance.now() - started).toBeLessThan(100);
  });

  test("each timer gets its own ident; DISABLE and ENABLE keep the period", () => {
    using kq = openKqueue<string>();
    const a = kq.registerTimer(1000, EventFlags.ADD, "a");
    const b = kq.registerTimer(15, EventFlags.ADD, "b");
    expect(a).not.toBe(b);
    kq.register(b, EventFilter.Timer, EventFlags.DISABLE);
    expect(kq.wait(40).length).toBe(0);
    kq.register(b, EventFilter.Timer, EventFlags.ENABLE);
    const started = performance.now();
    expect(kq.wait(1000).udata(0)).toBe("b");
    expect(performance.now() - started).toBeLessThan(500); // the 15 ms period, not a reset to 0 or 1000
    kq.unregister(a, EventFilter.Timer);
    kq.unregister(b, EventFilter.Timer);
  });

  test("timer idents skip the ones registered by hand", () => {
    using kq = openKqueue<string>();
    kq.register(2 ** 32, EventFilter.Timer, EventFlags.ADD, "mine", 0, 60_000);
    const ident = kq.registerTimer(60_000, EventFlags.ADD, "allocated");
    expect(ident).not.toBe(2 ** 32);
    kq.unregister(ident, EventFilter.Timer);
    kq.unregister(2 ** 32, EventFilter.Timer);
  });

  test("durations and flags are validated before the kernel sees them", () => {
    using kq = openKqueue<string>();
    for (const bad of [-1, NaN, Infinity, -Infinity, 2 ** 53]) expect(() => kq.registerTimer(bad, EventFlags.ADD)).toThrow(RangeError);
    for (const bad of ["10", null, undefined, 10n]) expect(() => kq.registerTimer(bad as unknown as number, EventFlags.ADD)).toThrow(TypeError);
    expect(() => kq.registerTimer(10, EventFlags.ADD | EventFlags.DELETE)).toThrow(RangeError);
    expect(() => kq.registerTimer(10, 0x10000)).toThrow(RangeError);
    expect(kq.wait(0).length).toBe(0);
  });
});
