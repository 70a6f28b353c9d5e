import { describe, expect, test } from "bun:test";
import { isCloseOnExec, isNonblocking } from "../../src/core/fd.ts";
import { platform } from "../../src/index.ts";
import { TimerFd } from "../../src/sources/timerfd.ts";
import { emulated } from "../helpers/env.ts";
import { expectClosedErrors } from "../helpers/errors.ts";

const supported = platform.supports.timerfd;
/** How late an expiration may be observed on a busy (or emulated) machine. */
const LATE_MS = emulated ? 1_000 : 250;
/** Slack for reading two clocks (performance.now and the timer's) at microsecond resolution. */
const CLOCK_SLACK_MS = 0.01;

/**
 * A blocking read that cannot hang the suite: the timer must be armed (a disarmed blocking timer
 * would block this thread forever). Returns the count and when it came back.
 */
function readArmed(timer: TimerFd): { count: number | null; at: number } {
  expect(timer.get().remainingMs).toBeGreaterThan(0);
  const count = timer.read();
  return { count, at: performance.now() };
}

describe.skipIf(!supported)("TimerFd", () => {
  test("a one-shot timer fires once, never early, within tolerance", () => {
    using timer = new TimerFd();
    expect(timer.clock).toBe("monotonic");
    const started = performance.now();
    timer.set(50);
    const { count, at } = readArmed(timer);
    expect(count).toBe(1);
    expect(at - started).toBeGreaterThanOrEqual(50 - CLOCK_SLACK_MS);
    expect(at - started).toBeLessThan(50 + LATE_MS);
    expect(timer.get()).toEqual({ remainingMs: 0, intervalMs: 0 });
  });

  test("a periodic timer counts every expiration since the last read", async () => {
    using timer = new TimerFd({ nonblocking: true });
    timer.set(20, 20);
    await Bun.sleep(70); // 3.5 periods
    const count = timer.read();
    expect(count).toBeGreaterThanOrEqual(3);
    expect(count).toBeLessThanOrEqual(3 + Math.ceil(LATE_MS / 20));
    expect(timer.read()).toBeNull(); // the read reset the count
    expect(timer.get().intervalMs).toBe(20);
    timer.disarm();
  });

  test("get() reports the time left and the period, fractions kept to the nanosecond", () => {
    using timer = new TimerFd();
    timer.set(1000, 250);
    const { remainingMs, intervalMs } = timer.get();
    expect(remainingMs).toBeGreaterThan(1000 - LATE_MS);
    expect(remainingMs).toBeLessThanOrEqual(1000);
    expect(intervalMs).toBe(250);
    timer.set(1000, 0.5);
    expect(timer.get().intervalMs).toBe(0.5);
    timer.set(1000, 1.000001);
    expect(timer.get().intervalMs).toBe(1.000001);
    timer.set(1000, 2500.000123);
    expect(timer.get().intervalMs).toBe(2500.000123);
  });

  test("disarm() and set(0) stop the timer; a nonblocking read then returns null", async () => {
    using timer = new TimerFd({ nonblocking: true });
    timer.set(5, 5);
    timer.disarm();
    expect(timer.get()).toEqual({ remainingMs: 0, intervalMs: 0 });
    timer.set(5, 5);
    timer.set(0, 5); // initialMs 0 disarms, whatever the interval
    expect(timer.get()).toEqual({ remainingMs: 0, intervalMs: 0 });
    await Bun.sleep(20);
    expect(timer.read()).toBeNull();
  });

  test("set() discards expirations not yet read", async () => {
    using timer = new TimerFd({ nonblocking: true });
    timer.set(1);
    await Bun.sleep(10);
    expect(timer.read()).toBe(1);
    timer.set(1);
    await Bun.sleep(10);
    timer.set(10_000);
    expect(timer.read()).toBeNull();
  });

  test("absolute realtime: ms since the Unix epoch, as Date.now()", () => {
    using timer = new TimerFd({ clock: "realtime" });
    const deadline = Date.now() + 50;
    const started = performance.now();
    timer.set(deadline, 0, { absolute: true });
    // Date.now() is whole ms, so the true delay is between 49 and 50 ms.
    expect(timer.get().remainingMs).toBeLessThanOrEqual(50);
    const { count, at } = readArmed(timer);
    expect(count).toBe(1);
    expect(at - started).toBeGreaterThanOrEqual(49 - CLOCK_SLACK_MS);
    expect(at - started).toBeLessThan(50 + LATE_MS);
  });

  test("absolute monotonic: a point on TimerFd.now('monotonic')", () => {
    using timer = new TimerFd({ clock: "monotonic" });
    const started = performance.now();
    const deadline = TimerFd.now("monotonic") + 50;
    timer.set(deadline, 0, { absolute: true });
    const remaining = timer.get().remainingMs;
    expect(remaining).toBeGreaterThan(50 - LATE_MS);
    expect(remaining).toBeLessThanOrEqual(50);
    const { count, at } = readArmed(timer);
    expect(count).toBe(1);
    expect(at - started).toBeGreaterThanOrEqual(50 - CLOCK_SLACK_MS);
    expect(at - started).toBeLessThan(50 + LATE_MS);
  });

  test("an absolute time in the past expires at once", async () => {
    using timer = new TimerFd({ clock: "realtime", nonblocking: true });
    timer.set(Date.now() - 60_000, 0, { absolute: true });
    await Bun.sleep(5);
    expect(timer.read()).toBe(1);
  });

  test("a tiny positive time arms the timer instead of disarming it", async () => {
    using timer = new TimerFd({ nonblocking: true });
    for (const tiny of [0.0001, 1e-9, Number.MIN_VALUE]) {
      timer.set(tiny);
      await Bun.sleep(5);
      expect({ tiny, count: timer.read() }).toEqual({ tiny, count: 1 });
    }
    timer.set(0);
    await Bun.sleep(5);
    expect(timer.read()).toBeNull();
  });

  test("times beyond 2^32 seconds are encoded whole", () => {
    using timer = new TimerFd();
    timer.set(2 ** 32 * 1000 + 1500, 2 ** 33 * 1000 + 0.25);
    const { remainingMs, intervalMs } = timer.get();
    expect(intervalMs).toBe(2 ** 33 * 1000 + 0.25);
    expect(remainingMs).toBeGreaterThan(2 ** 32 * 1000);
    timer.set(Number.MAX_SAFE_INTEGER); // the kernel clamps it to its own limit (about 292 years)
    expect(timer.get().remainingMs).toBeGreaterThan(1e12);
    timer.disarm();
  });

  test("the boottime clock works for timers and TimerFd.now", () => {
    const monotonic = TimerFd.now("monotonic");
    const boottime = TimerFd.now("boottime");
    expect(boottime).toBeGreaterThanOrEqual(monotonic); // boottime also counts time suspended
    using timer = new TimerFd({ clock: "boottime" });
    expect(timer.clock).toBe("boottime");
    const started = performance.now();
    timer.set(TimerFd.now("boottime") + 20, 0, { absolute: true });
    expect(timer.get().remainingMs).toBeLessThanOrEqual(20);
    const { count, at } = readArmed(timer);
    expect(count).toBe(1);
    expect(at - started).toBeGreaterThanOrEqual(20 - CLOCK_SLACK_MS);
  });

  test("TimerFd.now reads the clocks: realtime is Date.now(), monotonic keeps pace with performance.now()", async () => {
    expect(Math.abs(TimerFd.now("realtime") - Date.now())).toBeLessThan(50);
    const first = TimerFd.now();
    const startedAt = performance.now();
    await Bun.sleep(20);
    const elapsed = TimerFd.now() - first;
    expect(elapsed).toBeGreaterThanOrEqual(19);
    expect(Math.abs(elapsed - (performance.now() - startedAt))).toBeLessThan(5);
    expect(Number.isInteger(first)).toBe(false); // sub-millisecond precision (fails once in 10^6 runs)
    expect(() => TimerFd.now("utc" as "monotonic")).toThrow(TypeError);
    expect(() => TimerFd.now(1 as unknown as "monotonic")).toThrow(/"clock"/);
  });

  test("set() validates before any system call", () => {
    using timer = new TimerFd();
    timer.set(10_000, 300);
    for (const bad of [-1, -0.5, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.MAX_SAFE_INTEGER + 2]) {
      expect(() => timer.set(bad)).toThrow(RangeError);
      expect(() => timer.set(1, bad)).toThrow(RangeError);
    }
    for (const bad of ["5", null, undefined, 5n, {}]) {
      expect(() => timer.set(bad as unknown as number)).toThrow(TypeError);
    }
    expect(() => timer.set(1, "2" as unknown as number)).toThrow(/"intervalMs"/);
    expect(() => timer.set(-1)).toThrow(/"initialMs"/);
    expect(() => timer.set(1, 0, { absolute: 1 as unknown as boolean })).toThrow(/options\.absolute/);
    expect(() => timer.set(1, 0, null as unknown as object)).toThrow(TypeError);
    expect(timer.get().intervalMs).toBe(300); // nothing reached the kernel
  });

  test("constructor options are validated", () => {
    expect(() => new TimerFd({ clock: "utc" as "monotonic" })).toThrow(TypeError);
    expect(() => new TimerFd({ clock: "utc" as "monotonic" })).toThrow(/options\.clock/);
    expect(() => new TimerFd({ clock: null as unknown as "monotonic" })).toThrow(TypeError);
    expect(() => new TimerFd({ clock: "toString" as "monotonic" })).toThrow(TypeError);
    expect(() => new TimerFd({ nonblocking: "yes" as unknown as boolean })).toThrow(/options\.nonblocking/);
    expect(() => new TimerFd(null as unknown as object)).toThrow(TypeError);
  });

  test("the descriptor is close-on-exec, and O_NONBLOCK only when asked", () => {
    using blocking = new TimerFd();
    using nonblocking = new TimerFd({ nonblocking: true, clock: "realtime" });
    expect(isCloseOnExec(blocking.fd)).toBe(true);
    expect(isCloseOnExec(nonblocking.fd)).toBe(true);
    expect([blocking.nonblocking, isNonblocking(blocking.fd)]).toEqual([false, false]);
    expect([nonblocking.nonblocking, isNonblocking(nonblocking.fd)]).toEqual([true, true]);
  });

  test("using closes it; close() is idempotent; a closed TimerFd throws EBADF naming the method", () => {
    let outer: TimerFd;
    {
      using timer = new TimerFd();
      outer = timer;
    }
    expect(outer.closed).toBe(true);
    expect(outer.fd).toBe(-1);
    outer.close();
    expectClosedErrors("TimerFd", {
      set: () => outer.set(1),
      get: () => outer.get(),
      disarm: () => outer.disarm(),
      read: () => outer.read(),
    });
  });
});

test.skipIf(supported)("TimerFd is ENOTSUP where the platform has no timerfd", () => {
  expect(() => new TimerFd()).toThrow(expect.objectContaining({ code: "ENOTSUP", syscall: "TimerFd" }));
});
