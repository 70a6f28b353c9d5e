import { describe, expect, test } from "bun:test";
import { EventFd } from "../../src/sources/eventfd.ts";
import { isCloseOnExec, isNonblocking } from "../../src/core/fd.ts";
import { platform } from "../../src/index.ts";
import { expectClosedErrors } from "../helpers/errors.ts";

const supported = platform.supports.eventfd;

describe.skipIf(!supported)("EventFd", () => {
  test("counter mode: read returns the whole counter and resets it", () => {
    using counter = new EventFd(0, { nonblocking: true });
    expect(counter.semaphore).toBe(false);
    expect(counter.nonblocking).toBe(true);
    expect(counter.write(2)).toBe(true);
    expect(counter.write(3)).toBe(true);
    expect(counter.read()).toBe(5);
    expect(counter.read()).toBeNull();
  });

  test("semaphore mode: each read returns 1 and takes 1", () => {
    using tokens = new EventFd(3, { semaphore: true, nonblocking: true });
    expect(tokens.semaphore).toBe(true);
    expect([tokens.read(), tokens.read(), tokens.read(), tokens.read()]).toEqual([1, 1, 1, null]);
    tokens.write(2n);
    expect([tokens.read(), tokens.read(), tokens.read()]).toEqual([1, 1, null]);
  });

  test("a nonblocking read of an empty counter returns null, for both read methods", () => {
    using empty = new EventFd(0, { nonblocking: true });
    expect(empty.read()).toBeNull();
    expect(empty.readBigInt()).toBeNull();
  });

  test("the initial value is the counter's first value, up to 2^32 - 1", () => {
    using seven = new EventFd(7, { nonblocking: true });
    expect(seven.read()).toBe(7);
    using top = new EventFd(0xffff_ffff, { nonblocking: true });
    expect(top.read()).toBe(0xffff_ffff);
    using omitted = new EventFd(undefined, { nonblocking: true });
    expect(omitted.read()).toBeNull();
  });

  test("writes accumulate across the 32-bit boundary, as numbers and bigints", () => {
    using counter = new EventFd(0, { nonblocking: true });
    counter.write(0xffff_ffff);
    counter.write(0xffff_ffff);
    expect(counter.read()).toBe(0x1_ffff_fffe);
    counter.write(Number.MAX_SAFE_INTEGER);
    expect(counter.read()).toBe(Number.MAX_SAFE_INTEGER);
    counter.write(2 ** 60);
    counter.write(1n);
    expect(counter.readBigInt()).toBe(2n ** 60n + 1n);
  });

  test("read() of a value above 2^53 gives the nearest double; readBigInt() gives it exactly", () => {
    using counter = new EventFd(0, { nonblocking: true });
    counter.write(2n ** 53n + 1n);
    expect(counter.read()).toBe(2 ** 53); // consumed all the same
    expect(counter.read()).toBeNull();
    counter.write(0xffff_ffff_ffff_fffen);
    expect(counter.readBigInt()).toBe(0xffff_ffff_ffff_fffen);
    expect(EventFd.MAX).toBe(0xffff_ffff_ffff_fffen);
    // The largest double below 2^64 is a valid counter value.
    counter.write(2 ** 64 - 2048);
    expect(counter.readBigInt()).toBe(2n ** 64n - 2048n);
  });

  test("a nonblocking write that would overflow returns false and adds nothing", () => {
    using counter = new EventFd(0, { nonblocking: true });
    expect(counter.write(EventFd.MAX)).toBe(true);
    expect(counter.write(1)).toBe(false);
    expect(counter.write(1n)).toBe(false);
    expect(counter.write(0)).toBe(true); // adding 0 never overflows
    expect(counter.readBigInt()).toBe(EventFd.MAX);
    expect(counter.write(1)).toBe(true);
    expect(counter.read()).toBe(1);
  });

  test("values the counter cannot hold are rejected before any system call", () => {
    using counter = new EventFd(0, { nonblocking: true });
    counter.write(5);
    // Each of these, truncated or wrapped by a careless conversion, would change the counter or
    // make the kernel fail with EINVAL (2^64 - 1). None may reach the kernel.
    for (const bad of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 64, -1n, 2n ** 64n, 2n ** 64n + 3n, 0xffff_ffff_ffff_ffffn]) {
      expect(() => counter.write(bad)).toThrow(RangeError);
    }
    for (const bad of ["1", null, undefined, {}, true]) {
      expect(() => counter.write(bad as unknown as number)).toThrow(TypeError);
    }
    expect(() => counter.write(-1)).toThrow(/"value"/);
    expect(counter.read()).toBe(5);
  });

  test("constructor arguments are validated", () => {
    for (const bad of [-1, 1.5, 2 ** 32, Number.NaN]) expect(() => new EventFd(bad)).toThrow(RangeError);
    for (const bad of ["1", null, 1n]) expect(() => new EventFd(bad as unknown as number)).toThrow(TypeError);
    expect(() => new EventFd(-1)).toThrow(/"initial"/);
    expect(() => new EventFd(0, null as unknown as object)).toThrow(TypeError);
    expect(() => new EventFd(0, { semaphore: "yes" as unknown as boolean })).toThrow(/options\.semaphore/);
    expect(() => new EventFd(0, { nonblocking: 1 as unknown as boolean })).toThrow(/options\.nonblocking/);
  });

  test("a blocking read waits until another thread writes", async () => {
    using counter = new EventFd();
    expect(counter.nonblocking).toBe(false);
    expect(isNonblocking(counter.fd)).toBe(false);
    const worker = new Worker(new URL("../helpers/sources-eventfd-writer.ts", import.meta.url).href);
    try {
      const messages: string[] = [];
      const ready = new Promise<void>((resolve) => {
        worker.onmessage = (event: MessageEvent<string>) => {
          messages.push(event.data);
          if (event.data === "ready") resolve();
        };
      });
      worker.postMessage({ fd: counter.fd, value: 42, delayMs: 50 });
      await ready;
      const started = performance.now();
      const value = counter.read(); // blocks this thread until the worker writes
      const waited = performance.now() - started;
      expect(value).toBe(42);
      expect(waited).toBeGreaterThan(20);
      while (messages.length < 2) await Bun.sleep(5);
      expect(messages).toEqual(["ready", "written"]);
    } finally {
      worker.terminate();
    }
  });

  test("a blocking counter with a value reads at once", () => {
    using counter = new EventFd(4);
    expect(counter.read()).toBe(4);
    counter.write(6);
    expect(counter.read()).toBe(6);
  });

  test("the descriptor is close-on-exec, and O_NONBLOCK only when asked", () => {
    using blocking = new EventFd();
    using nonblocking = new EventFd(0, { nonblocking: true });
    expect(isCloseOnExec(blocking.fd)).toBe(true);
    expect(isCloseOnExec(nonblocking.fd)).toBe(true);
    expect(isNonblocking(blocking.fd)).toBe(false);
    expect(isNonblocking(nonblocking.fd)).toBe(true);
  });

  test("using closes it; close() is idempotent", () => {
    let outer: EventFd;
    {
      using counter = new EventFd();
      outer = counter;
      expect(counter.closed).toBe(false);
    }
    expect(outer.closed).toBe(true);
    expect(outer.fd).toBe(-1);
    outer.close();
    const again = new EventFd();
    again.close();
    again.close();
    expect(again.closed).toBe(true);
  });

  test("a closed EventFd throws EBADF naming the method", () => {
    const counter = new EventFd(1, { nonblocking: true });
    counter.close();
    expectClosedErrors("EventFd", {
      read: () => counter.read(),
      readBigInt: () => counter.readBigInt(),
      write: () => counter.write(1),
    });
  });
});

test.skipIf(supported)("EventFd is ENOTSUP where the platform has no eventfd", () => {
  expect(() => new EventFd()).toThrow(expect.objectContaining({ code: "ENOTSUP", syscall: "EventFd" }));
});
