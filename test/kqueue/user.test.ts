// EVFILT_USER and trigger().
import { describe, expect, test } from "bun:test";
import { EventFilter, EventFlags, Note } from "../../src/kqueue/kqueue.ts";
import { haveKqueue, holdKqueueRuntime, needsKqueue, openKqueue } from "../helpers/kqueue-env.ts";

holdKqueueRuntime();

describe.skipIf(!haveKqueue)(`Kqueue.trigger and EVFILT_USER${needsKqueue}`, () => {
  test("trigger delivers the user event with its udata, once with CLEAR", () => {
    using kq = openKqueue<{ id: number }>();
    const data = { id: 1 };
    kq.register(3, EventFilter.User, EventFlags.ADD | EventFlags.CLEAR, data);
    expect(kq.wait(0).length).toBe(0);
    kq.trigger(3);
    const events = kq.wait(1000);
    expect(events.length).toBe(1);
    expect(events.ident(0)).toBe(3);
    expect(events.filter(0)).toBe(EventFilter.User);
    expect(events.udata(0)).toBe(data);
    expect(kq.wait(0).length).toBe(0);
    // A second trigger still carries the udata: the token is sent again each time.
    kq.trigger(3);
    expect(kq.wait(1000).udata(0)).toBe(data);
    kq.unregister(3, EventFilter.User);
  });

  test("trigger applies FFOR/FFCOPY user bits to fflags", () => {
    using kq = openKqueue<string>();
    kq.register(4, EventFilter.User, EventFlags.ADD | EventFlags.CLEAR, "bits");
    kq.trigger(4, Note.FFOR | 5);
    expect(kq.wait(1000).fflags(0) & Note.FFLAGSMASK).toBe(5);
    kq.trigger(4, Note.FFCOPY | 0x42);
    expect(kq.wait(1000).fflags(0) & Note.FFLAGSMASK).toBe(0x42);
    kq.unregister(4, EventFilter.User);
  });

  test("a one-shot user event is delivered once, then triggering it is ENOENT", () => {
    using kq = openKqueue<string>();
    kq.register(5, EventFilter.User, EventFlags.ADD | EventFlags.ONESHOT, "once");
    kq.trigger(5);
    expect(kq.wait(1000).udata(0)).toBe("once");
    expect(() => kq.trigger(5)).toThrow(expect.objectContaining({ code: "ENOENT", syscall: "kevent" }));
  });

  test("triggering an ident never registered is ENOENT", () => {
    using kq = openKqueue<string>();
    expect(() => kq.trigger(6)).toThrow(expect.objectContaining({ name: "SystemError", code: "ENOENT", syscall: "kevent" }));
  });

  test("DISABLE and ENABLE of a user event keep its udata", () => {
    using kq = openKqueue<string>();
    kq.register(8, EventFilter.User, EventFlags.ADD | EventFlags.CLEAR, "kept");
    kq.register(8, EventFilter.User, EventFlags.DISABLE);
    kq.register(8, EventFilter.User, EventFlags.ENABLE);
    kq.trigger(8);
    expect(kq.wait(1000).udata(0)).toBe("kept");
    kq.unregister(8, EventFilter.User);
  });
});
