import { describe, expect, test } from "bun:test";
import { closeSync, mkdtempSync, openSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { errnoNumber } from "../../ffi/index.ts";
import { Epoll, EpollFlags } from "../../src/epoll/epoll.ts";
import { SystemError } from "../../src/core/errors.ts";
import { platform } from "../../src/core/platform.ts";
import { Descriptors } from "../helpers/descriptors.ts";
import { expectEvents } from "../helpers/expect-events.ts";

/** Runs `call` and returns what it threw (failing the test if nothing). */
function thrown(call: () => unknown): unknown {
  try {
    call();
  } catch (error) {
    return error;
  }
  throw new Error("expected the call to throw");
}

/** Asserts that `call` throws the kernel's `code` from epoll_ctl, shaped like Node's errors. */
function expectCtlError(call: () => unknown, code: string): void {
  const error = thrown(call);
  expect(error).toBeInstanceOf(SystemError);
  expect(error).toMatchObject({ code, syscall: "epoll_ctl", errno: -errnoNumber(code) });
  expect((error as Error).message).toStartWith(`${code}: `);
  expect((error as Error).message).toEndWith(", epoll_ctl");
}

// A number far above any descriptor this process has: closed by construction.
const NEVER_OPEN = 1_000_000;

describe.skipIf(!platform.supports.epoll)("kernel errors from epoll_ctl", () => {
  test("EEXIST on a second add; the first registration and its data are untouched", () => {
    using fds = new Descriptors();
    using epoll = new Epoll<string>();
    const efd = fds.eventFd(1);
    epoll.add(efd, EpollFlags.IN, "first");
    expectCtlError(() => epoll.add(efd, EpollFlags.IN, "second"), "EEXIST");
    expect(epoll.size).toBe(1);
    expectEvents(epoll, [{ fd: efd, events: EpollFlags.IN, data: "first" }]);
  });

  test("ENOENT on modify and delete of a descriptor never added", () => {
    using fds = new Descriptors();
    using epoll = new Epoll();
    const efd = fds.eventFd();
    expectCtlError(() => epoll.modify(efd, EpollFlags.IN, "x"), "ENOENT");
    expectCtlError(() => epoll.delete(efd), "ENOENT");
    expect(epoll.size).toBe(0);
  });

  test("ENOENT on a second delete", () => {
    using fds = new Descriptors();
    using epoll = new Epoll();
    const efd = fds.eventFd();
    epoll.add(efd, EpollFlags.IN);
    epoll.delete(efd);
    expectCtlError(() => epoll.delete(efd), "ENOENT");
  });

  test("EBADF for a descriptor that is not open, from add, modify and delete", () => {
    using epoll = new Epoll();
    expectCtlError(() => epoll.add(NEVER_OPEN, EpollFlags.IN, "x"), "EBADF");
    expectCtlError(() => epoll.modify(NEVER_OPEN, EpollFlags.IN, "x"), "EBADF");
    expectCtlError(() => epoll.delete(NEVER_OPEN), "EBADF");
    expect(epoll.size).toBe(0);
  });

  test("EBADF for a descriptor closed since it was made", () => {
    using fds = new Descriptors();
    using epoll = new Epoll();
    const efd = fds.eventFd();
    fds.close(efd);
    expectCtlError(() => epoll.add(efd, EpollFlags.IN), "EBADF");
    expect(epoll.size).toBe(0);
  });

  test("EPERM for a regular file, which epoll cannot watch", () => {
    const dir = mkdtempSync(join(tmpdir(), "bunix-epoll-"));
    const fd = openSync(join(dir, "regular"), "w");
    try {
      using epoll = new Epoll();
      expectCtlError(() => epoll.add(fd, EpollFlags.IN, "file"), "EPERM");
      expect(epoll.size).toBe(0);
    } finally {
      closeSync(fd);
      rmSync(dir, { recursive: true });
    }
  });

  test("EINVAL for adding an epoll instance to itself", () => {
    using epoll = new Epoll();
    expectCtlError(() => epoll.add(epoll.fd, EpollFlags.IN), "EINVAL");
    expect(epoll.size).toBe(0);
  });

  test("ELOOP for epoll instances watching each other", () => {
    using a = new Epoll();
    using b = new Epoll();
    a.add(b.fd, EpollFlags.IN);
    expectCtlError(() => b.add(a.fd, EpollFlags.IN), "ELOOP");
    expect(b.size).toBe(0);
    a.delete(b.fd);
  });

  test("EINVAL for EXCLUSIVE with ONESHOT at add, and for EXCLUSIVE at modify", () => {
    using fds = new Descriptors();
    using epoll = new Epoll();
    const efd = fds.eventFd();
    expectCtlError(() => epoll.add(efd, EpollFlags.IN | EpollFlags.EXCLUSIVE | EpollFlags.ONESHOT), "EINVAL");
    expect(epoll.size).toBe(0);
    epoll.add(efd, EpollFlags.IN | EpollFlags.EXCLUSIVE, "exclusive");
    expectCtlError(() => epoll.modify(efd, EpollFlags.IN | EpollFlags.EXCLUSIVE), "EINVAL");
    // The kernel refuses any modify of an exclusive registration.
    expectCtlError(() => epoll.modify(efd, EpollFlags.OUT), "EINVAL");
    expect(epoll.size).toBe(1);
  });

  test("failed adds leave nothing behind, however many there are", () => {
    using fds = new Descriptors();
    using epoll = new Epoll<string>();
    const efd = fds.eventFd(1);
    epoll.add(efd, EpollFlags.IN, "kept");
    for (let i = 0; i < 1000; i++) {
      expect(() => epoll.add(efd, EpollFlags.IN, "dup")).toThrow(SystemError);
      expect(() => epoll.add(NEVER_OPEN, EpollFlags.IN, "bad")).toThrow(SystemError);
      expect(() => epoll.modify(NEVER_OPEN, EpollFlags.IN, "bad")).toThrow(SystemError);
    }
    expect(epoll.size).toBe(1);
    expectEvents(epoll, [{ fd: efd, events: EpollFlags.IN, data: "kept" }]);
  });

  test("a failed modify changes neither the interest nor the data", () => {
    using fds = new Descriptors();
    using epoll = new Epoll<string>();
    const efd = fds.eventFd(1);
    epoll.add(efd, EpollFlags.IN, "original");
    expectCtlError(() => epoll.modify(efd, EpollFlags.IN | EpollFlags.EXCLUSIVE, "changed"), "EINVAL");
    expectEvents(epoll, [{ fd: efd, events: EpollFlags.IN, data: "original" }]);
  });
});

describe.skipIf(!platform.supports.epoll)("bad arguments never reach the kernel", () => {
  test("fd: TypeError for a non-number, RangeError for a non-integer or out of range", () => {
    using epoll = new Epoll();
    for (const bad of [null, undefined, "3", 3n, {}]) {
      for (const call of [
        () => epoll.add(bad as number, EpollFlags.IN),
        () => epoll.modify(bad as number, EpollFlags.IN),
        () => epoll.delete(bad as number),
      ]) {
        const error = thrown(call);
        expect(error).toBeInstanceOf(TypeError);
        expect((error as Error).message).toContain('"fd"');
      }
    }
    for (const bad of [-1, 1.5, NaN, Infinity, 2 ** 31]) {
      for (const call of [() => epoll.add(bad, EpollFlags.IN), () => epoll.modify(bad, EpollFlags.IN), () => epoll.delete(bad)]) {
        const error = thrown(call);
        expect(error).toBeInstanceOf(RangeError);
        expect((error as Error).message).toContain('"fd"');
      }
    }
    expect(epoll.size).toBe(0);
  });

  test("events: TypeError for a non-number, RangeError beyond 32 bits or not an integer", () => {
    using fds = new Descriptors();
    using epoll = new Epoll();
    const efd = fds.eventFd();
    for (const bad of [null, undefined, "1", 1n] as unknown[]) {
      const error = thrown(() => epoll.add(efd, bad as number));
      expect(error).toBeInstanceOf(TypeError);
      expect((error as Error).message).toContain('"events"');
    }
    for (const bad of [2 ** 32, -(2 ** 31) - 1, 1.5, NaN]) {
      const error = thrown(() => epoll.add(efd, bad));
      expect(error).toBeInstanceOf(RangeError);
      expect((error as Error).message).toContain('"events"');
      expect(() => epoll.modify(efd, bad)).toThrow(RangeError);
    }
    expect(epoll.size).toBe(0);
  });

  test("events: a mask made with | (negative in JS when ET is in it) is its unsigned value", () => {
    using fds = new Descriptors();
    using epoll = new Epoll<string>();
    const efd = fds.eventFd(1);
    const mask = EpollFlags.IN | EpollFlags.ET;
    expect(mask).toBeLessThan(0);
    epoll.add(efd, mask, "edge");
    expectEvents(epoll, [{ fd: efd, events: EpollFlags.IN, data: "edge" }]);
    // Edge-triggered: no second report without new activity. The kernel saw bit 31.
    expect(epoll.wait(0).length).toBe(0);
    epoll.modify(efd, EpollFlags.ET + EpollFlags.IN);
    expect(epoll.wait(0).length).toBe(1);
  });

  test("options: TypeError for a non-object or a non-number maxEvents, RangeError out of 1..65536", () => {
    for (const bad of [null, 5, "x", [1]]) expect(() => new Epoll(bad as never)).toThrow(TypeError);
    for (const bad of ["8", null, 8n]) {
      const error = thrown(() => new Epoll({ maxEvents: bad as never }));
      expect(error).toBeInstanceOf(TypeError);
      expect((error as Error).message).toContain("maxEvents");
    }
    for (const bad of [0, -1, 1.5, NaN, Infinity, 65537]) {
      const error = thrown(() => new Epoll({ maxEvents: bad }));
      expect(error).toBeInstanceOf(RangeError);
      expect((error as Error).message).toContain("maxEvents");
    }
    using smallest = new Epoll({ maxEvents: 1 });
    using largest = new Epoll({ maxEvents: 65536 });
    using defaults = new Epoll({});
    expect([smallest.maxEvents, largest.maxEvents, defaults.maxEvents]).toEqual([1, 65536, 1024]);
  });

  test("timeoutMs: TypeError for a non-number, RangeError for NaN and negatives other than -1", () => {
    using epoll = new Epoll();
    for (const bad of [null, "10", 10n, {}]) {
      const error = thrown(() => epoll.wait(bad as number));
      expect(error).toBeInstanceOf(TypeError);
      expect((error as Error).message).toContain('"timeoutMs"');
    }
    for (const bad of [NaN, -2, -0.5, -Infinity]) {
      const error = thrown(() => epoll.wait(bad));
      expect(error).toBeInstanceOf(RangeError);
      expect((error as Error).message).toContain('"timeoutMs"');
    }
  });

  test("a closed instance is reported before bad arguments", () => {
    const epoll = new Epoll();
    epoll.close();
    expect(() => epoll.add(-1, EpollFlags.IN)).toThrow(expect.objectContaining({ code: "EBADF", syscall: "Epoll.add" }));
    expect(() => epoll.wait(NaN)).toThrow(expect.objectContaining({ code: "EBADF", syscall: "Epoll.wait" }));
  });
});
