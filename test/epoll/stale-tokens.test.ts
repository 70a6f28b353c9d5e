import { describe, expect, test } from "bun:test";
import { Epoll, EpollFlags } from "../../src/epoll/epoll.ts";
import { platform } from "../../src/core/platform.ts";
import { Descriptors, writeBytes, writeEventFd } from "../helpers/descriptors.ts";
import { expectEvents, expectNoEvents, pollEvents } from "../helpers/expect-events.ts";

describe.skipIf(!platform.supports.epoll)("stale tokens never reach the wrong data", () => {
  test("delete while iterating a batch: the deleted registration's later entries read as stale", () => {
    using fds = new Descriptors();
    using epoll = new Epoll<string>();
    const names = ["a", "b", "c", "d"];
    const byName = new Map<string, number>();
    for (const name of names) {
      const efd = fds.eventFd(1);
      epoll.add(efd, EpollFlags.IN, name);
      byName.set(name, efd);
    }
    const events = epoll.wait(0);
    expect(events.length).toBe(4);
    // Read the batch in order; at the first entry, delete whichever registration comes last.
    const lastFd = events.fd(3);
    const lastData = events.data(3)!;
    const seen: { fd: number; data: string | undefined; events: number }[] = [];
    for (const entry of events) {
      seen.push(entry);
      if (seen.length === 1) epoll.delete(lastFd);
    }
    expect(seen.slice(0, 3).map((e) => e.data).sort()).toEqual(names.filter((n) => n !== lastData).sort());
    expect(seen[3]).toEqual({ fd: -1, data: undefined, events: EpollFlags.IN });
    // The indexed accessors agree, and the entry's events are still what the kernel reported.
    expect(events.fd(3)).toBe(-1);
    expect(events.data(3)).toBeUndefined();
    expect(events.events(3)).toBe(EpollFlags.IN);
    expect(byName.get(lastData)).toBe(lastFd);
  });

  test("delete then add of the same descriptor: the old batch's entry does not read the new data", () => {
    using fds = new Descriptors();
    using epoll = new Epoll<string>();
    const efd = fds.eventFd(1);
    epoll.add(efd, EpollFlags.IN, "old");
    const events = epoll.wait(0);
    expect(events.data(0)).toBe("old");
    epoll.delete(efd);
    // The new registration takes the same slot (the free list reuses it) with a new generation.
    epoll.add(efd, EpollFlags.IN, "new");
    expect(events.fd(0)).toBe(-1);
    expect(events.data(0)).toBeUndefined();
    expectEvents(epoll, [{ fd: efd, events: EpollFlags.IN, data: "new" }]);
  });

  test("close() of the instance makes every entry of its last batch unreachable", () => {
    using fds = new Descriptors();
    const epoll = new Epoll<string>();
    epoll.add(fds.eventFd(1), EpollFlags.IN, "gone");
    const events = epoll.wait(0);
    expect(events.length).toBe(1);
    epoll.close();
    expect(events.length).toBe(0);
    expect(() => events.data(0)).toThrow(RangeError);
  });

  test("a descriptor closed without delete: delete throws EBADF and still releases its data", () => {
    using fds = new Descriptors();
    using epoll = new Epoll<string>();
    const efd = fds.eventFd(1);
    epoll.add(efd, EpollFlags.IN, "closed behind our back");
    fds.close(efd); // no duplicate: the kernel drops the registration by itself
    expectNoEvents(epoll);
    expect(epoll.size).toBe(1);
    expect(() => epoll.delete(efd)).toThrow(expect.objectContaining({ code: "EBADF", syscall: "epoll_ctl" }));
    expect(epoll.size).toBe(0);
  });

  test("a descriptor closed without delete, its number reused: delete throws ENOENT and releases the data", () => {
    using fds = new Descriptors();
    using epoll = new Epoll<string>();
    const efd = fds.eventFd();
    epoll.add(efd, EpollFlags.IN, "old");
    fds.close(efd);
    if (!fds.reopenAt(efd, () => fds.eventFd())) throw new Error(`descriptor ${efd} was taken by another thread`);
    const reused = efd;
    expect(epoll.size).toBe(1);
    expect(() => epoll.delete(reused)).toThrow(expect.objectContaining({ code: "ENOENT", syscall: "epoll_ctl" }));
    expect(epoll.size).toBe(0);
  });

  test("a descriptor closed without delete, its number reused and added again: add succeeds with the new data", () => {
    using fds = new Descriptors();
    using epoll = new Epoll<string>();
    const efd = fds.eventFd(1);
    epoll.add(efd, EpollFlags.IN, "old");
    fds.close(efd);
    if (!fds.reopenAt(efd, () => fds.eventFd(1))) throw new Error(`descriptor ${efd} was taken by another thread`);
    const number = efd;
    epoll.add(number, EpollFlags.IN, "new");
    expect(epoll.size).toBe(1);
    const events = pollEvents(epoll);
    // Only the new registration: the old file is gone, so the kernel dropped its registration.
    expect(events).toEqual([{ fd: number, events: EpollFlags.IN, data: "new" }]);
  });

  test("the dup case: a closed number whose file stays open elsewhere keeps reporting; once the number is reused and added, those events read as stale", () => {
    using fds = new Descriptors();
    using epoll = new Epoll<string>();
    const pipe = fds.pipe();
    const original = pipe.read;
    epoll.add(original, EpollFlags.IN, "old pipe");
    const duplicate = fds.dup(original);

    // 1. Close the registered number while the duplicate keeps the pipe open: the kernel keeps the
    //    registration (it is keyed by file and number) and reports it under the old number.
    fds.close(original);
    writeBytes(pipe.write, 1);
    expectEvents(epoll, [{ fd: original, events: EpollFlags.IN, data: "old pipe" }]);
    // Neither modify nor delete can reach it: the number is not open.
    expect(() => epoll.modify(original, EpollFlags.IN)).toThrow(expect.objectContaining({ code: "EBADF" }));

    // 2. Reuse the number for a new file and add it: the kernel accepts (a different file).
    if (!fds.reopenAt(original, () => fds.eventFd())) throw new Error(`descriptor ${original} was taken by another thread`);
    const reused = original;
    epoll.add(reused, EpollFlags.IN, "new eventfd");
    expect(epoll.size).toBe(1);

    // 3. The old registration still fires (the pipe is readable, level-triggered), but its token is
    //    stale: fd -1, data undefined. The new registration reads normally.
    writeEventFd(reused, 1);
    const batch = pollEvents(epoll);
    expect(batch).toHaveLength(2);
    expect(batch).toContainEqual({ fd: -1, events: EpollFlags.IN, data: undefined });
    expect(batch).toContainEqual({ fd: reused, events: EpollFlags.IN, data: "new eventfd" });
    // And it keeps coming in every batch while the pipe stays readable.
    expect(pollEvents(epoll)).toContainEqual({ fd: -1, events: EpollFlags.IN, data: undefined });

    // 4. delete(reused) reaches the new registration only; the stale one stays.
    epoll.delete(reused);
    expect(pollEvents(epoll)).toEqual([{ fd: -1, events: EpollFlags.IN, data: undefined }]);

    // 5. Closing the last duplicate releases the pipe's read side, and the kernel drops the old
    //    registration at last.
    fds.close(duplicate);
    expectNoEvents(epoll);
  });

  test("the dup case, recovery by delete before the number is reused: events of the old registration read as stale", () => {
    using fds = new Descriptors();
    using epoll = new Epoll<string>();
    const pipe = fds.pipe();
    epoll.add(pipe.read, EpollFlags.IN, "old pipe");
    const duplicate = fds.dup(pipe.read);
    fds.close(pipe.read);
    writeBytes(pipe.write, 1);
    // delete cannot reach the registration (EBADF: the number is closed), but it releases the data.
    expect(() => epoll.delete(pipe.read)).toThrow(expect.objectContaining({ code: "EBADF", syscall: "epoll_ctl" }));
    expect(epoll.size).toBe(0);
    expect(pollEvents(epoll)).toEqual([{ fd: -1, events: EpollFlags.IN, data: undefined }]);
    fds.close(duplicate);
    expectNoEvents(epoll);
  });

  test("the dup case, the same file back at the old number: add is EEXIST, modify adopts the registration", () => {
    using fds = new Descriptors();
    using epoll = new Epoll<string>();
    const pipe = fds.pipe();
    const number = pipe.read;
    epoll.add(number, EpollFlags.IN, "first");
    const duplicate = fds.dup(number);
    fds.close(number);
    expect(() => epoll.delete(number)).toThrow(expect.objectContaining({ code: "EBADF" }));
    // The same pipe comes back at the same number: the kernel's (file, number) entry matches again.
    if (!fds.reopenAt(number, () => fds.dup(duplicate))) throw new Error(`descriptor ${number} was taken by another thread`);
    expect(() => epoll.add(number, EpollFlags.IN, "second")).toThrow(expect.objectContaining({ code: "EEXIST" }));
    expect(epoll.size).toBe(0);
    epoll.modify(number, EpollFlags.IN, "adopted");
    expect(epoll.size).toBe(1);
    writeBytes(pipe.write, 1);
    expectEvents(epoll, [{ fd: number, events: EpollFlags.IN, data: "adopted" }]);
    epoll.delete(number);
    expectNoEvents(epoll);
  });

  test("an entry's token resolves to the data at read time, after a modify", () => {
    using fds = new Descriptors();
    using epoll = new Epoll<string>();
    const efd = fds.eventFd(1);
    epoll.add(efd, EpollFlags.IN, "v1");
    const events = epoll.wait(0);
    epoll.modify(efd, EpollFlags.IN, "v2");
    expect(events.data(0)).toBe("v2");
    epoll.delete(efd);
    expect(events.data(0)).toBeUndefined();
  });

  test("slots churned many times never resolve an old token", () => {
    using fds = new Descriptors();
    using epoll = new Epoll<number>();
    const efd = fds.eventFd(1);
    epoll.add(efd, EpollFlags.IN, -1);
    const events = epoll.wait(0);
    expect(events.data(0)).toBe(-1);
    for (let i = 0; i < 10_000; i++) {
      epoll.delete(efd);
      epoll.add(efd, EpollFlags.IN, i);
      expect(events.data(0)).toBeUndefined();
      expect(events.fd(0)).toBe(-1);
    }
    expectEvents(epoll, [{ fd: efd, events: EpollFlags.IN, data: 9999 }]);
  });
});
