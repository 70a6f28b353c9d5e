// Construction, options, close, `using`, and use after close.
import { describe, expect, test } from "bun:test";
import { Kqueue, EventFilter, EventFlags } from "../../src/kqueue/kqueue.ts";
import { platform } from "../../src/core/platform.ts";
import { isCloseOnExec } from "../../src/core/fd.ts";
import { haveKqueue, holdKqueueRuntime, needsKqueue, openKqueue } from "../helpers/kqueue-env.ts";

holdKqueueRuntime();

test.skipIf(platform.supports.kqueue)("without a library, Kqueue on a platform with no kqueue is ENOTSUP naming the class", () => {
  expect(() => new Kqueue()).toThrow(expect.objectContaining({ name: "SystemError", code: "ENOTSUP", syscall: "Kqueue" }));
  expect(() => new Kqueue()).toThrow("library");
});

test("a library path that does not exist is ENOENT naming the path", () => {
  const path = "/nonexistent/bunix-test/libkqueue.so.0";
  let error: unknown;
  try {
    new Kqueue({ library: path });
  } catch (e) {
    error = e;
  }
  expect(error).toMatchObject({ name: "SystemError", code: "ENOENT", syscall: "Kqueue", path });
  expect((error as Error).message).toContain("cannot load the kqueue library");
  expect((error as Error).message).toContain(path);
});

// glibc's libc.so.6 loads but has no kqueue.
test.skipIf(process.platform !== "linux")("a library without kqueue and kevent is ENOTSUP with the loader's reason", () => {
  expect(() => new Kqueue({ library: "libc.so.6" })).toThrow(expect.objectContaining({ code: "ENOTSUP", syscall: "Kqueue" }));
  expect(() => new Kqueue({ library: "libc.so.6" })).toThrow("kqueue");
});

test("options are validated", () => {
  expect(() => new Kqueue(null as unknown as undefined)).toThrow(TypeError);
  expect(() => new Kqueue({ library: 5 as unknown as string })).toThrow(TypeError);
  expect(() => new Kqueue({ library: "" })).toThrow(TypeError);
  for (const bad of [0, -1, 1.5, NaN, 65537]) expect(() => new Kqueue({ maxEvents: bad, library: "/nonexistent" })).toThrow(RangeError);
});

describe.skipIf(!haveKqueue)(`Kqueue lifetime${needsKqueue}`, () => {
  test("the descriptor is open and close-on-exec; close is idempotent", () => {
    const kq = openKqueue();
    expect(kq.fd).toBeGreaterThanOrEqual(0);
    expect(kq.closed).toBe(false);
    expect(isCloseOnExec(kq.fd)).toBe(true);
    kq.close();
    expect(kq.closed).toBe(true);
    expect(kq.fd).toBe(-1);
    kq.close();
  });

  test("`using` closes it", () => {
    let escaped: Kqueue | undefined;
    {
      using kq = openKqueue();
      escaped = kq;
    }
    expect(escaped.closed).toBe(true);
  });

  test("every method of a closed kqueue is EBADF naming the method", () => {
    const kq = openKqueue<string>();
    kq.close();
    const calls: [string, () => unknown][] = [
      ["Kqueue.register", () => kq.register(1, EventFilter.User, EventFlags.ADD)],
      ["Kqueue.registerTimer", () => kq.registerTimer(1, EventFlags.ADD)],
      ["Kqueue.unregister", () => kq.unregister(1, EventFilter.User)],
      ["Kqueue.trigger", () => kq.trigger(1)],
      ["Kqueue.wait", () => kq.wait(0)],
    ];
    for (const [syscall, call] of calls) {
      expect(call).toThrow(expect.objectContaining({ name: "SystemError", code: "EBADF", syscall }));
    }
    expect(() => kq.wait(0)).toThrow("Kqueue is closed");
  });

  test("close empties the current result", () => {
    const kq = openKqueue<string>();
    kq.register(1, EventFilter.User, EventFlags.ADD, "x");
    kq.trigger(1);
    const events = kq.wait(1000);
    expect(events.length).toBe(1);
    kq.close();
    expect(events.length).toBe(0);
    expect(() => events.udata(0)).toThrow(RangeError);
  });

  test("a second kqueue over the same library works alongside the first", () => {
    using a = openKqueue<string>();
    using b = openKqueue<string>();
    a.register(1, EventFilter.User, EventFlags.ADD | EventFlags.CLEAR, "a");
    b.register(1, EventFilter.User, EventFlags.ADD | EventFlags.CLEAR, "b");
    b.trigger(1);
    expect(a.wait(0).length).toBe(0);
    expect(b.wait(1000).udata(0)).toBe("b");
    a.unregister(1, EventFilter.User);
    b.unregister(1, EventFilter.User);
  });
});
