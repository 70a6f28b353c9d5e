// Every change is its own kevent() call with EV_RECEIPT, so each reports its own error at the call
// that made it, as a SystemError with syscall "kevent", and nothing is applied silently.
import { describe, expect, test } from "bun:test";
import { EventFilter, EventFlags, Note } from "../../src/kqueue/kqueue.ts";
import { haveKqueue, holdKqueueRuntime, needsKqueue, openKqueue } from "../helpers/kqueue-env.ts";
import { socketPair } from "../helpers/kqueue-fds.ts";

holdKqueueRuntime();

// Far above any descriptor this process has open.
const NOT_OPEN = 999_999;

describe.skipIf(!haveKqueue)(`Kqueue errors${needsKqueue}`, () => {
  test("a descriptor that is not open is EBADF at register", () => {
    using kq = openKqueue<string>();
    const error = (() => {
      try {
        kq.register(NOT_OPEN, EventFilter.Read, EventFlags.ADD, "nothing");
      } catch (e) {
        return e;
      }
    })();
    expect(error).toMatchObject({ name: "SystemError", code: "EBADF", syscall: "kevent" });
    expect((error as Error).message).toBe("EBADF: bad file descriptor, kevent");
    // Not registered in the library either: unregister reaches the kernel, which knows nothing.
    expect(() => kq.unregister(NOT_OPEN, EventFilter.Read)).toThrow(expect.objectContaining({ syscall: "kevent" }));
  });

  test("unregister of something never added is ENOENT", () => {
    using kq = openKqueue<string>();
    using pair = socketPair();
    expect(() => kq.unregister(pair.fds[0], EventFilter.Read)).toThrow(expect.objectContaining({ code: "ENOENT", syscall: "kevent" }));
    expect(() => kq.unregister(12345, EventFilter.User)).toThrow(expect.objectContaining({ code: "ENOENT" }));
    expect(() => kq.unregister(12345, EventFilter.Timer)).toThrow(expect.objectContaining({ code: "ENOENT" }));
  });

  test("a change without ADD to something not registered is ENOENT", () => {
    using kq = openKqueue<string>();
    using pair = socketPair();
    expect(() => kq.register(pair.fds[0], EventFilter.Read, EventFlags.ENABLE)).toThrow(expect.objectContaining({ code: "ENOENT" }));
    expect(() => kq.register(pair.fds[0], EventFilter.Read, EventFlags.DISABLE)).toThrow(expect.objectContaining({ code: "ENOENT" }));
  });

  test("a pid that does not exist is ESRCH", () => {
    using kq = openKqueue<string>();
    expect(() => kq.register(0x3fffffff, EventFilter.Proc, EventFlags.ADD, "x", Note.EXIT)).toThrow(
      expect.objectContaining({ code: "ESRCH", syscall: "kevent" }),
    );
  });

  test("ONESHOT with DISPATCH is EINVAL", () => {
    using kq = openKqueue<string>();
    expect(() => kq.register(1, EventFilter.User, EventFlags.ADD | EventFlags.ONESHOT | EventFlags.DISPATCH)).toThrow(
      expect.objectContaining({ code: "EINVAL", syscall: "kevent" }),
    );
  });

  test("a failed change leaves the other registrations working", () => {
    using kq = openKqueue<string>();
    kq.register(1, EventFilter.User, EventFlags.ADD | EventFlags.CLEAR, "good");
    expect(() => kq.register(NOT_OPEN, EventFilter.Read, EventFlags.ADD, "bad")).toThrow();
    kq.trigger(1);
    const events = kq.wait(1000);
    expect(events.toArray().map((e) => e.udata)).toEqual(["good"]);
    kq.unregister(1, EventFilter.User);
  });

  test("arguments of the wrong type or out of range never reach the kernel", () => {
    using kq = openKqueue<string>();
    expect(() => kq.register(-1, EventFilter.Read, EventFlags.ADD)).toThrow(RangeError);
    expect(() => kq.register(1.5, EventFilter.Read, EventFlags.ADD)).toThrow(RangeError);
    expect(() => kq.register(2 ** 53, EventFilter.User, EventFlags.ADD)).toThrow(RangeError);
    expect(() => kq.register(null as unknown as number, EventFilter.Read, EventFlags.ADD)).toThrow(TypeError);
    expect(() => kq.register(1, 0x8000, EventFlags.ADD)).toThrow(RangeError);
    expect(() => kq.register(1, EventFilter.User, 0x10000)).toThrow(RangeError);
    expect(() => kq.register(1, EventFilter.User, EventFlags.ADD, "x", 2 ** 32)).toThrow(RangeError);
    expect(() => kq.register(1, EventFilter.User, EventFlags.ADD, "x", 0, 0.5)).toThrow(RangeError);
    expect(() => kq.unregister("1" as unknown as number, EventFilter.User)).toThrow(TypeError);
    expect(() => kq.trigger(1, -(2 ** 31) - 1)).toThrow(RangeError);
    expect(() => kq.register(1, EventFilter.User, EventFlags.ADD, "x", "0" as unknown as number)).toThrow(TypeError);
    // Nothing got registered along the way.
    expect(() => kq.trigger(1)).toThrow(expect.objectContaining({ code: "ENOENT" }));
  });

  test("fflags combined with | (a negative int32) are taken as their bit pattern", () => {
    using kq = openKqueue<string>();
    kq.register(2, EventFilter.User, EventFlags.ADD | EventFlags.CLEAR, "bits");
    const combined = Note.FFOR | 3;
    expect(combined).toBeLessThan(0);
    kq.trigger(2, combined);
    expect(kq.wait(1000).fflags(0) & Note.FFLAGSMASK).toBe(3);
    kq.unregister(2, EventFilter.User);
  });
});
