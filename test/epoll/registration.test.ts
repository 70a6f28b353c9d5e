import { describe, expect, test } from "bun:test";
import { constant, optionalConstant } from "../../ffi/index.ts";
import { Epoll, EpollFlags } from "../../src/epoll/epoll.ts";
import { isCloseOnExec } from "../../src/core/fd.ts";
import { platform } from "../../src/core/platform.ts";
import { Descriptors, isOpen, writeBytes, writeEventFd } from "../helpers/descriptors.ts";
import { expectEvents, expectNoEvents, pollEvents } from "../helpers/expect-events.ts";
import { expectClosedErrors } from "../helpers/errors.ts";

const onEpoll = platform.supports.epoll;

describe.skipIf(!onEpoll)("Epoll registration", () => {
  test("a new instance owns an open close-on-exec descriptor; close() releases it, idempotently", () => {
    const epoll = new Epoll();
    const fd = epoll.fd;
    expect(fd).toBeGreaterThanOrEqual(0);
    expect(epoll.closed).toBe(false);
    expect(isCloseOnExec(fd)).toBe(true);
    expect(epoll.maxEvents).toBe(1024);
    epoll.close();
    expect(epoll.closed).toBe(true);
    expect(epoll.fd).toBe(-1);
    expect(isOpen(fd)).toBe(false);
    epoll.close();
    epoll[Symbol.dispose]();
  });

  test("using closes the instance at the end of the block", () => {
    let fd = -1;
    {
      using epoll = new Epoll({ maxEvents: 8 });
      fd = epoll.fd;
      expect(epoll.maxEvents).toBe(8);
      expect(isOpen(fd)).toBe(true);
    }
    expect(isOpen(fd)).toBe(false);
  });

  test("add delivers the data with the descriptor and the ready events", () => {
    using fds = new Descriptors();
    using epoll = new Epoll<{ name: string }>();
    const efd = fds.eventFd();
    const client = { name: "client" };
    epoll.add(efd, EpollFlags.IN, client);
    expect(epoll.size).toBe(1);
    expectNoEvents(epoll);
    writeEventFd(efd, 1);
    const events = epoll.wait(1000);
    expect(events.length).toBe(1);
    expect(events.fd(0)).toBe(efd);
    expect(events.events(0)).toBe(EpollFlags.IN);
    expect(events.data(0)).toBe(client);
  });

  test("data may be any value, including undefined, null and a function; one value may serve many", () => {
    using fds = new Descriptors();
    using epoll = new Epoll<unknown>();
    const shared = { shared: true };
    const fn = () => 1;
    const values: unknown[] = [undefined, null, 0, "", fn, shared, shared, 12345678901234567890n, Symbol.for("x")];
    const byFd = new Map<number, unknown>();
    for (const value of values) {
      const efd = fds.eventFd(1);
      epoll.add(efd, EpollFlags.IN, value);
      byFd.set(efd, value);
    }
    const events = pollEvents(epoll);
    expect(events).toHaveLength(values.length);
    for (const event of events) expect(Object.is(event.data, byFd.get(event.fd))).toBe(true);
  });

  test("add without data reads back undefined", () => {
    using fds = new Descriptors();
    using epoll = new Epoll();
    const efd = fds.eventFd(1);
    epoll.add(efd, EpollFlags.IN);
    expectEvents(epoll, [{ fd: efd, events: EpollFlags.IN, data: undefined }]);
  });

  test("modify changes the interest: from readable to writable", () => {
    using fds = new Descriptors();
    using epoll = new Epoll<string>();
    const { read, write } = fds.pipe();
    epoll.add(write, EpollFlags.IN, "writer");
    expectNoEvents(epoll); // a pipe's write end is never readable
    epoll.modify(write, EpollFlags.OUT);
    expectEvents(epoll, [{ fd: write, events: EpollFlags.OUT, data: "writer" }]);
    epoll.add(read, EpollFlags.OUT, "reader");
    epoll.modify(read, EpollFlags.IN, "reader, reading");
    writeBytes(write, 1);
    expectEvents(epoll, [{ fd: read, events: EpollFlags.IN, data: "reader, reading" }]);
  });

  test("modify with data omitted or undefined keeps the old data; with data replaces it", () => {
    using fds = new Descriptors();
    using epoll = new Epoll<string>();
    const efd = fds.eventFd(1);
    epoll.add(efd, EpollFlags.IN, "first");
    epoll.modify(efd, EpollFlags.IN);
    expectEvents(epoll, [{ fd: efd, events: EpollFlags.IN, data: "first" }]);
    epoll.modify(efd, EpollFlags.IN, undefined);
    expectEvents(epoll, [{ fd: efd, events: EpollFlags.IN, data: "first" }]);
    epoll.modify(efd, EpollFlags.IN, "second");
    expectEvents(epoll, [{ fd: efd, events: EpollFlags.IN, data: "second" }]);
    expect(epoll.size).toBe(1);
  });

  test("modify resolves entries already in the batch to the new data", () => {
    using fds = new Descriptors();
    using epoll = new Epoll<string>();
    const efd = fds.eventFd(1);
    epoll.add(efd, EpollFlags.IN, "before");
    const events = epoll.wait(0);
    expect(events.data(0)).toBe("before");
    epoll.modify(efd, EpollFlags.IN, "after");
    expect(events.data(0)).toBe("after");
    expect(events.fd(0)).toBe(efd);
  });

  test("delete stops the events and releases the data; the descriptor can be added again", () => {
    using fds = new Descriptors();
    using epoll = new Epoll<string>();
    const efd = fds.eventFd(1);
    epoll.add(efd, EpollFlags.IN, "one");
    expect(epoll.size).toBe(1);
    epoll.delete(efd);
    expect(epoll.size).toBe(0);
    expectNoEvents(epoll);
    epoll.add(efd, EpollFlags.IN, "two");
    expectEvents(epoll, [{ fd: efd, events: EpollFlags.IN, data: "two" }]);
  });

  test("many registrations each keep their own data", () => {
    using fds = new Descriptors();
    using epoll = new Epoll<number>();
    const count = 100;
    const byFd = new Map<number, number>();
    for (let i = 0; i < count; i++) {
      const efd = fds.eventFd(1);
      epoll.add(efd, EpollFlags.IN, i);
      byFd.set(efd, i);
    }
    // Delete every other one, so slots are freed and reused by the next adds.
    let i = 0;
    for (const efd of [...byFd.keys()]) {
      if (i++ % 2 === 0) {
        epoll.delete(efd);
        byFd.delete(efd);
        fds.close(efd);
      }
    }
    for (let j = 0; j < count / 2; j++) {
      const efd = fds.eventFd(1);
      epoll.add(efd, EpollFlags.IN, 1000 + j);
      byFd.set(efd, 1000 + j);
    }
    expect(epoll.size).toBe(count);
    const events = pollEvents(epoll);
    expect(events).toHaveLength(count);
    for (const event of events) expect(event.data).toBe(byFd.get(event.fd)!);
  });

  test("one descriptor may be in several instances, each with its own data", () => {
    using fds = new Descriptors();
    using first = new Epoll<string>();
    using second = new Epoll<string>();
    const efd = fds.eventFd(1);
    first.add(efd, EpollFlags.IN, "first");
    second.add(efd, EpollFlags.IN, "second");
    expectEvents(first, [{ fd: efd, events: EpollFlags.IN, data: "first" }]);
    expectEvents(second, [{ fd: efd, events: EpollFlags.IN, data: "second" }]);
  });

  test("an epoll instance can watch another one", () => {
    using fds = new Descriptors();
    using outer = new Epoll<string>();
    using inner = new Epoll<string>();
    const efd = fds.eventFd();
    inner.add(efd, EpollFlags.IN, "leaf");
    outer.add(inner.fd, EpollFlags.IN, "inner");
    expectNoEvents(outer);
    writeEventFd(efd);
    expectEvents(outer, [{ fd: inner.fd, events: EpollFlags.IN, data: "inner" }]);
    expectEvents(inner, [{ fd: efd, events: EpollFlags.IN, data: "leaf" }]);
    outer.delete(inner.fd);
  });

  test("close() drops every registration: the last result empties and size reads 0", () => {
    using fds = new Descriptors();
    const epoll = new Epoll<string>();
    epoll.add(fds.eventFd(1), EpollFlags.IN, "a");
    epoll.add(fds.eventFd(1), EpollFlags.IN, "b");
    const events = epoll.wait(0);
    expect(events.length).toBe(2);
    epoll.close();
    expect(events.length).toBe(0);
    expect(epoll.size).toBe(0);
  });

  test("every method of a closed instance throws EBADF saying it is closed", () => {
    using fds = new Descriptors();
    const efd = fds.eventFd();
    const epoll = new Epoll();
    epoll.close();
    expectClosedErrors("Epoll", {
      add: () => epoll.add(efd, EpollFlags.IN),
      modify: () => epoll.modify(efd, EpollFlags.IN),
      delete: () => epoll.delete(efd),
      wait: () => epoll.wait(0),
    });
  });
});

describe("EpollFlags", () => {
  const names = ["IN", "PRI", "OUT", "ERR", "HUP", "RDHUP", "EXCLUSIVE", "WAKEUP", "ONESHOT", "ET"] as const;

  test("is frozen", () => {
    expect(Object.isFrozen(EpollFlags)).toBe(true);
  });

  test.skipIf(!onEpoll)("has the kernel's values as unsigned 32-bit numbers; ET is 0x80000000", () => {
    for (const name of names) {
      expect(EpollFlags[name]).toBe(constant(`EPOLL${name}`) >>> 0);
      expect(EpollFlags[name]).toBeGreaterThan(0);
    }
    expect(EpollFlags.ET).toBe(0x80000000);
    expect(EpollFlags.IN).toBe(1);
    expect(EpollFlags.OUT).toBe(4);
  });

  test.skipIf(onEpoll)("reads 0 where the platform has no epoll", () => {
    for (const name of names) expect(EpollFlags[name]).toBe(optionalConstant(`EPOLL${name}`) ?? 0);
  });
});

test.skipIf(onEpoll)("new Epoll() is ENOTSUP where the platform has no epoll", () => {
  expect(() => new Epoll()).toThrow(expect.objectContaining({ code: "ENOTSUP", syscall: "Epoll" }));
});
