// add / modify / delete, their errors, and the bookkeeping that makes them identical on every
// backend (the Poller's own fd map), run once per backend.
import { describe, expect, test } from "bun:test";
import { SystemError } from "../../src/core/errors.ts";
import { Interest } from "../../src/poller/index.ts";
import { Descriptors, writeEventFd } from "../helpers/descriptors.ts";
import { availableBackends, describeEachBackend, openPoller } from "../helpers/poller-backends.ts";
import { expectEntries, expectNoEntries, pollEntries, thrown } from "../helpers/poller-expect.ts";

const R = Interest.READABLE;
const W = Interest.WRITABLE;

/** The fields of a SystemError that must not depend on the backend. */
function errorShape(error: unknown) {
  expect(error).toBeInstanceOf(SystemError);
  const { name, code, errno, syscall, message } = error as SystemError;
  return { name, code, errno, syscall, message };
}

describeEachBackend("Poller registration", (backend) => {
  test("new Poller picks the requested backend and opens a descriptor", () => {
    using poller = openPoller(backend);
    expect(poller.backend).toBe(backend.name);
    expect(poller.fd).toBeGreaterThanOrEqual(0);
    expect(poller.closed).toBe(false);
  });

  test("add then wait reports the fd with its data; delete stops it", () => {
    using fds = new Descriptors();
    using poller = openPoller<{ name: string }>(backend);
    const efd = fds.eventFd(1);
    const data = { name: "counter" };
    poller.add(efd, R, data);
    const [entry] = expectEntries(poller, [{ fd: efd }]);
    expect(entry!.data).toBe(data);
    expect(entry!.readable).toBe(true);
    poller.delete(efd);
    expectNoEntries(poller);
  });

  test("a second add of the same fd is EEXIST from Poller.add, and changes nothing", () => {
    using fds = new Descriptors();
    using poller = openPoller<string>(backend);
    const efd = fds.eventFd(1);
    poller.add(efd, R, "first");
    const error = thrown(() => poller.add(efd, R | W, "second"));
    expect(errorShape(error)).toEqual({
      name: "SystemError",
      code: "EEXIST",
      errno: expect.any(Number),
      syscall: "Poller.add",
      message: `EEXIST: fd ${efd} is already added, Poller.add`,
    });
    expect(pollEntries(poller)).toEqual([{ fd: efd, data: "first", readable: true, writable: false, hangup: false, error: false }]);
  });

  test("modify and delete of an fd never added are ENOENT from Poller.modify / Poller.delete", () => {
    using fds = new Descriptors();
    using poller = openPoller(backend);
    const efd = fds.eventFd();
    expect(errorShape(thrown(() => poller.modify(efd, R)))).toMatchObject({
      code: "ENOENT",
      syscall: "Poller.modify",
      message: `ENOENT: fd ${efd} is not added, Poller.modify`,
    });
    expect(errorShape(thrown(() => poller.delete(efd)))).toMatchObject({
      code: "ENOENT",
      syscall: "Poller.delete",
      message: `ENOENT: fd ${efd} is not added, Poller.delete`,
    });
    poller.add(efd, R);
    poller.delete(efd);
    expect(errorShape(thrown(() => poller.delete(efd)))).toMatchObject({ code: "ENOENT", syscall: "Poller.delete" });
  });

  test("register → delete → register works, with the new data only", () => {
    using fds = new Descriptors();
    using poller = openPoller<string>(backend);
    const efd = fds.eventFd(1);
    for (const round of ["one", "two", "three"]) {
      poller.add(efd, R, round);
      expect(pollEntries(poller).map((entry) => entry.data)).toEqual([round]);
      poller.delete(efd);
      expectNoEntries(poller);
    }
  });

  test("modify changes the interest; without data it keeps the old data", () => {
    using fds = new Descriptors();
    using poller = openPoller<string>(backend);
    const [a] = fds.socketPair();
    poller.add(a, R, "socket");
    expectNoEntries(poller); // nothing to read yet
    poller.modify(a, W);
    expect(pollEntries(poller)).toEqual([{ fd: a, data: "socket", readable: false, writable: true, hangup: false, error: false }]);
    poller.modify(a, W, "renamed");
    expect(pollEntries(poller).map((entry) => entry.data)).toEqual(["renamed"]);
    poller.modify(a, R);
    expectNoEntries(poller);
  });

  test("modify without options keeps the mode (one-shot stays one-shot when re-armed)", () => {
    using fds = new Descriptors();
    using poller = openPoller<string>(backend);
    const efd = fds.eventFd(1);
    poller.add(efd, R, "job", { mode: "oneshot" });
    expect(pollEntries(poller)).toHaveLength(1);
    expectNoEntries(poller);
    poller.modify(efd, R);
    expect(pollEntries(poller).map((entry) => entry.data)).toEqual(["job"]);
    expectNoEntries(poller); // still one-shot
    poller.modify(efd, R, undefined, { mode: "level" });
    expect(pollEntries(poller)).toHaveLength(1);
    expect(pollEntries(poller)).toHaveLength(1);
  });

  test("a descriptor that is not open is EBADF from the kernel, and is not remembered", () => {
    using fds = new Descriptors();
    using poller = openPoller(backend);
    const efd = fds.eventFd();
    fds.close(efd);
    const error = thrown(() => poller.add(efd, R));
    expect(error).toBeInstanceOf(SystemError);
    expect((error as SystemError).code).toBe("EBADF");
    expect((error as SystemError).syscall).toBe(backend.name === "epoll" ? "epoll_ctl" : "kevent");
    expect(errorShape(thrown(() => poller.delete(efd)))).toMatchObject({ code: "ENOENT", syscall: "Poller.delete" });
  });

  test("delete after the descriptor was closed behind the Poller's back succeeds (as CPython's selectors)", () => {
    using fds = new Descriptors();
    using poller = openPoller(backend);
    const efd = fds.eventFd();
    poller.add(efd, R);
    if (backend.libkqueue) {
      // libkqueue keeps the knote of a closed descriptor (docs/design/libkqueue.md §3): close after delete there.
      poller.delete(efd);
      fds.close(efd);
    } else {
      fds.close(efd);
      poller.delete(efd);
    }
    expectNoEntries(poller);
  });

  test("modify of an fd closed behind the Poller's back is the kernel's EBADF; delete still forgets it", () => {
    using fds = new Descriptors();
    using poller = openPoller(backend);
    const efd = fds.eventFd(1);
    poller.add(efd, R | W);
    fds.close(efd);
    const error = thrown(() => poller.modify(efd, R));
    expect(error).toMatchObject({ name: "SystemError", code: "EBADF", syscall: backend.name === "epoll" ? "epoll_ctl" : "kevent" });
    poller.delete(efd);
    expect(errorShape(thrown(() => poller.delete(efd)))).toMatchObject({ code: "ENOENT", syscall: "Poller.delete" });
  });

  test("a number closed without delete and reused is EEXIST until deleted; then it works with the new data", () => {
    using fds = new Descriptors();
    using poller = openPoller<string>(backend);
    const number = fds.eventFd();
    poller.add(number, R, "old");
    // libkqueue keeps the knote of a descriptor closed without delete (docs/design/libkqueue.md §3), and
    // then refuses the reused number: there, delete before closing, as the Poller's docs ask.
    if (backend.libkqueue) poller.delete(number);
    fds.close(number);
    expect(fds.reopenAt(number, () => fds.eventFd(1))).toBe(true);
    if (!backend.libkqueue) {
      expect(errorShape(thrown(() => poller.add(number, R, "new")))).toMatchObject({ code: "EEXIST", syscall: "Poller.add" });
      poller.delete(number);
    }
    poller.add(number, R, "new");
    expect(pollEntries(poller).map((entry) => entry.data)).toEqual(["new"]);
    poller.delete(number);
  });

  test("PRIORITY: epoll takes it; kqueue refuses it with ENOTSUP", () => {
    using fds = new Descriptors();
    using poller = openPoller(backend);
    const [a] = fds.socketPair();
    if (backend.name === "epoll") {
      poller.add(a, R | Interest.PRIORITY);
      expectNoEntries(poller);
      poller.modify(a, Interest.PRIORITY);
      poller.delete(a);
    } else {
      expect(errorShape(thrown(() => poller.add(a, R | Interest.PRIORITY)))).toMatchObject({
        code: "ENOTSUP",
        syscall: "Poller.add",
        message: "ENOTSUP: Interest.PRIORITY is not supported by the kqueue backend, Poller.add",
      });
      poller.add(a, R);
      expect(errorShape(thrown(() => poller.modify(a, Interest.PRIORITY)))).toMatchObject({ code: "ENOTSUP", syscall: "Poller.modify" });
      expect(pollEntries(poller)).toEqual([]);
      poller.delete(a);
    }
  });

  test("bad arguments are TypeError or RangeError, before any system call", () => {
    using fds = new Descriptors();
    using poller = openPoller(backend);
    const efd = fds.eventFd();
    expect(() => poller.add("3" as unknown as number, R)).toThrow(TypeError);
    expect(() => poller.add(null as unknown as number, R)).toThrow(TypeError);
    expect(() => poller.add(1.5, R)).toThrow(RangeError);
    expect(() => poller.add(-1, R)).toThrow(RangeError);
    expect(() => poller.add(efd, 0)).toThrow(RangeError);
    expect(() => poller.add(efd, 8)).toThrow(RangeError);
    expect(() => poller.add(efd, Number.NaN)).toThrow(RangeError);
    expect(() => poller.add(efd, "r" as unknown as number)).toThrow(TypeError);
    expect(() => poller.add(efd, R, undefined, { mode: "sometimes" as "level" })).toThrow(TypeError);
    expect(() => poller.add(efd, R, undefined, { mode: 1 as unknown as "level" })).toThrow(TypeError);
    expect(() => poller.add(efd, R, undefined, null as unknown as {})).toThrow(TypeError);
    expect(pollEntries(poller)).toEqual([]);
    poller.add(efd, R);
    expect(() => poller.modify(efd, 0)).toThrow(RangeError);
    expect(() => poller.modify(efd, R, undefined, { mode: "edgy" as "edge" })).toThrow(TypeError);
    writeEventFd(efd, 1);
    expect(pollEntries(poller)).toHaveLength(1); // still level-triggered, still registered
  });
});

describe("Poller errors are the same on every backend", () => {
  test.skipIf(availableBackends.length < 2)(
    `duplicate add and unknown modify/delete throw identical errors${availableBackends.length < 2 ? " [skipped: needs two backends]" : ""}`,
    () => {
      using fds = new Descriptors();
      const efd = fds.eventFd();
      const unknown = fds.eventFd();
      const shapes = availableBackends.map((backend) => {
        using poller = openPoller(backend);
        poller.add(efd, R);
        return [
          errorShape(thrown(() => poller.add(efd, R))),
          errorShape(thrown(() => poller.modify(unknown, R))),
          errorShape(thrown(() => poller.delete(unknown))),
          errorShape(thrown(() => poller.deleteProcess(1))),
        ];
      });
      for (const other of shapes.slice(1)) expect(other).toEqual(shapes[0]!);
    },
  );
});
