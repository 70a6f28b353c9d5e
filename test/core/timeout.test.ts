import { expect, test } from "bun:test";
import { errnoNumber } from "../../ffi/index.ts";
import { SystemError } from "../../src/core/errors.ts";
import { FOREVER, MAX_KERNEL_TIMEOUT_MS, continueTimedWait, kernelTimeout, validateTimeout } from "../../src/core/timeout.ts";

test("forever: undefined, -1 and Infinity", () => {
  expect(validateTimeout(undefined)).toBe(FOREVER);
  expect(validateTimeout(-1)).toBe(FOREVER);
  expect(validateTimeout(Infinity)).toBe(FOREVER);
});

test("0 polls and fractions round up, never down to a busy loop", () => {
  expect(validateTimeout(0)).toBe(0);
  expect(validateTimeout(0.0001)).toBe(1);
  expect(validateTimeout(2.5)).toBe(3);
  expect(validateTimeout(10)).toBe(10);
});

test("NaN, negatives other than -1 and -Infinity are RangeErrors; non-numbers TypeErrors", () => {
  for (const bad of [NaN, -2, -0.5, -Infinity]) expect(() => validateTimeout(bad)).toThrow(RangeError);
  for (const bad of [null, "10", 10n, {}]) expect(() => validateTimeout(bad, "timeoutMs")).toThrow(TypeError);
  expect(() => validateTimeout(null, "timeoutMs")).toThrow('"timeoutMs"');
});

test("one kernel call waits at most an int's worth of milliseconds", () => {
  expect(kernelTimeout(FOREVER)).toBe(FOREVER);
  expect(kernelTimeout(5)).toBe(5);
  expect(kernelTimeout(MAX_KERNEL_TIMEOUT_MS * 2)).toBe(MAX_KERNEL_TIMEOUT_MS);
});

test("an interrupted wait is retried with the time left, never the full timeout", () => {
  const EINTR = errnoNumber("EINTR");
  const startedAt = performance.now() - 30; // 30 ms of a 100 ms wait already spent
  const asked: number[] = [];
  const result = continueTimedWait(100, startedAt, -1, EINTR, (ms) => (asked.push(ms), 2), "epoll_wait");
  expect(result).toBe(2);
  expect(asked).toHaveLength(1);
  expect(asked[0]!).toBeLessThanOrEqual(70);
  expect(asked[0]!).toBeGreaterThan(0);
});

test("a forever wait retries forever; a spent wait returns empty without calling again", () => {
  const EINTR = errnoNumber("EINTR");
  const asked: number[] = [];
  expect(continueTimedWait(FOREVER, 0, -1, EINTR, (ms) => (asked.push(ms), 1), "kevent")).toBe(1);
  expect(asked).toEqual([FOREVER]);
  expect(continueTimedWait(10, performance.now() - 50, -1, EINTR, () => 1, "kevent")).toBe(0);
});

test("an early empty return is waited out until the deadline", () => {
  const results = [0, 0, 3];
  const asked: number[] = [];
  const result = continueTimedWait(60_000, performance.now(), 0, 0, (ms) => (asked.push(ms), results.shift()!), "kevent");
  expect(result).toBe(3);
  expect(asked.length).toBe(3);
});

test("failures other than EINTR throw the SystemError for that errno", () => {
  expect(() => continueTimedWait(10, performance.now(), -1, errnoNumber("EBADF"), () => 0, "epoll_wait")).toThrow(
    expect.objectContaining({ code: "EBADF", syscall: "epoll_wait" }),
  );
  expect(() => continueTimedWait(10, performance.now(), -1, errnoNumber("EINVAL"), () => 0, "epoll_wait")).toThrow(
    SystemError,
  );
});
