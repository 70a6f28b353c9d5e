// addTimer: never early, within tolerance, 0 ms at once, repeating timers keep their phase,
// cancel (also mid-batch), and the release of one-shot timers; once per backend.
import { expect, test } from "bun:test";
import { countOpenFds } from "../../src/testing/index.ts";
import { emulated } from "../helpers/env.ts";
import { describeEachBackend, openPoller } from "../helpers/poller-backends.ts";
import { expectNoEntries, thrown } from "../helpers/poller-expect.ts";

// How late a timer may be on a busy CI machine; never early is exact.
const LATE_MS = emulated ? 2_000 : 40;
// How far from its grid a repeating timer may fire.
const PHASE_MS = emulated ? 200 : 12;
const TIMER_ENTRY = { fd: -1, readable: true, writable: false, hangup: false, error: false };

describeEachBackend("Poller timers", (backend) => {
  test("a one-shot timer fires once, never early, within tolerance, with fd -1 and its data", () => {
    using poller = openPoller<string>(backend);
    const started = performance.now();
    const timer = poller.addTimer(50, {}, "once");
    expect(timer.active).toBe(true);
    expect(timer.ms).toBe(50);
    expect(timer.repeat).toBe(false);
    const events = poller.wait(1000);
    const elapsed = performance.now() - started;
    expect(events.toArray()).toEqual([{ ...TIMER_ENTRY, data: "once" }]);
    expect(elapsed).toBeGreaterThanOrEqual(50);
    expect(elapsed).toBeLessThan(50 + LATE_MS);
    expect(timer.active).toBe(false);
    expectNoEntries(poller, 80);
  });

  test("a 0 ms timer fires at once", () => {
    using poller = openPoller<string>(backend);
    const started = performance.now();
    poller.addTimer(0, undefined, "now");
    expect(poller.wait(1000).toArray()).toEqual([{ ...TIMER_ENTRY, data: "now" }]);
    expect(performance.now() - started).toBeLessThan(LATE_MS);
  });

  test("fractional delays are kept, and still never early", () => {
    using poller = openPoller<string>(backend);
    const started = performance.now();
    poller.addTimer(7.5, {}, "fraction");
    expect(poller.wait(1000).data(0)).toBe("fraction");
    expect(performance.now() - started).toBeGreaterThanOrEqual(7.5);
  });

  test("a repeating timer fires on its grid, never early", () => {
    using poller = openPoller<string>(backend);
    const period = 25;
    const started = performance.now();
    const timer = poller.addTimer(period, { repeat: true }, "tick");
    const offsets: number[] = [];
    while (offsets.length < 6) {
      const events = poller.wait(1000);
      const now = performance.now() - started;
      expect(events.toArray()).toEqual([{ ...TIMER_ENTRY, data: "tick" }]);
      offsets.push(now);
    }
    expect(offsets[0]!).toBeGreaterThanOrEqual(period);
    for (const offset of offsets) expect(offset % period).toBeLessThan(PHASE_MS);
    // Six expirations in about six periods, not more (no spurious entries).
    expect(offsets.at(-1)!).toBeGreaterThanOrEqual(6 * period);
    expect(timer.active).toBe(true);
    timer.cancel();
    expect(timer.active).toBe(false);
  });

  test("a repeating timer keeps its phase after a late wait; missed periods come as one entry", () => {
    using poller = openPoller<string>(backend);
    const period = 40;
    const started = performance.now();
    poller.addTimer(period, { repeat: true }, "tick");
    expect(poller.wait(1000).length).toBe(1); // at ~40
    Bun.sleepSync(1.5 * period + 5); // now ~105: the expiration at 80 is pending
    expect(poller.wait(0).toArray()).toEqual([{ ...TIMER_ENTRY, data: "tick" }]); // one entry for it
    expect(poller.wait(0).length).toBe(0);
    expect(poller.wait(1000).length).toBe(1);
    // At 120 on the grid; re-armed from the late wait it would come at ~145 (25 ms off).
    const offset = performance.now() - started;
    expect(offset).toBeGreaterThanOrEqual(3 * period);
    expect(offset % period).toBeLessThan(PHASE_MS);
  });

  test("cancel stops a timer; cancelling again does nothing", () => {
    using poller = openPoller<string>(backend);
    const timer = poller.addTimer(30, {}, "cancelled");
    timer.cancel();
    expect(timer.active).toBe(false);
    timer.cancel();
    expectNoEntries(poller, 80);
  });

  test("a timer cancelled while its batch is read reads as stale; the other stays live", () => {
    using poller = openPoller<string>(backend);
    const a = poller.addTimer(5, { repeat: true }, "a");
    const b = poller.addTimer(5, { repeat: true }, "b");
    Bun.sleepSync(15);
    const events = poller.wait(1000);
    const entries = events.toArray();
    expect(entries.map((entry) => entry.data).sort()).toEqual(["a", "b"]);
    const bIndex = entries.findIndex((entry) => entry.data === "b");
    b.cancel();
    expect(events.toArray()[bIndex]).toEqual({ fd: -1, data: undefined, readable: false, writable: false, hangup: false, error: false });
    expect(events.toArray()[1 - bIndex]).toEqual({ ...TIMER_ENTRY, data: "a" });
    a.cancel();
  });

  test("a one-shot timer's descriptors are released by the next wait", async () => {
    using poller = openPoller<string>(backend);
    poller.wait(0);
    const before = countOpenFds();
    poller.addTimer(1, {}, "once");
    expect(poller.wait(1000).length).toBe(1);
    poller.wait(0);
    // libkqueue closes a deleted knote's timerfd on its own schedule.
    for (let i = 0; i < 50 && countOpenFds() > before; i++) await Bun.sleep(10);
    expect(countOpenFds()).toBe(before);
  });

  test("closing the Poller stops its timers", () => {
    const poller = openPoller<string>(backend);
    const timer = poller.addTimer(10, { repeat: true }, "tick");
    poller.close();
    expect(timer.active).toBe(false);
    timer.cancel(); // nothing to do, no error
    expect(thrown(() => poller.addTimer(10))).toMatchObject({ code: "EBADF", syscall: "Poller.addTimer" });
  });

  test("bad delays and options are rejected", () => {
    using poller = openPoller(backend);
    for (const ms of [-1, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 60]) expect(() => poller.addTimer(ms)).toThrow(RangeError);
    expect(() => poller.addTimer("5" as unknown as number)).toThrow(TypeError);
    expect(() => poller.addTimer(0, { repeat: true })).toThrow(RangeError);
    expect(() => poller.addTimer(5, { repeat: "yes" as unknown as boolean })).toThrow(TypeError);
    expect(() => poller.addTimer(5, null as unknown as {})).toThrow(TypeError);
    expectNoEntries(poller, 20);
  });
});
