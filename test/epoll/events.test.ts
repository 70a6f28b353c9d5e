import { describe, expect, test } from "bun:test";
import { Epoll, EpollFlags } from "../../src/epoll/epoll.ts";
import { platform } from "../../src/core/platform.ts";
import { Descriptors, writeBytes } from "../helpers/descriptors.ts";
import { pollEvents } from "../helpers/expect-events.ts";

describe.skipIf(!platform.supports.epoll)("EpollEvents", () => {
  test("length and the indexed accessors describe each ready descriptor", () => {
    using fds = new Descriptors();
    using epoll = new Epoll<number>();
    const expected = new Map<number, number>();
    for (let i = 0; i < 5; i++) {
      const efd = fds.eventFd(1);
      epoll.add(efd, EpollFlags.IN | EpollFlags.OUT, i * 10);
      expected.set(efd, i * 10);
    }
    const events = epoll.wait(0);
    expect(events.length).toBe(5);
    let sum = 0;
    for (let i = 0; i < events.length; i++) {
      expect(events.data(i)).toBe(expected.get(events.fd(i))!);
      expect(events.events(i)).toBe(EpollFlags.IN | EpollFlags.OUT);
      sum += events.data(i)!;
    }
    expect(sum).toBe(0 + 10 + 20 + 30 + 40);
  });

  test("the iterator yields { fd, events, data } in index order", () => {
    using fds = new Descriptors();
    using epoll = new Epoll<string>();
    epoll.add(fds.eventFd(1), EpollFlags.IN, "a");
    epoll.add(fds.eventFd(1), EpollFlags.IN, "b");
    const events = epoll.wait(0);
    const iterated = [...events];
    expect(iterated).toHaveLength(2);
    iterated.forEach((entry, i) => expect(entry).toEqual({ fd: events.fd(i), events: events.events(i), data: events.data(i) }));
  });

  test("toArray() returns owned copies that outlive the next wait; the result itself does not", () => {
    using fds = new Descriptors();
    using epoll = new Epoll<string>();
    const efd = fds.eventFd(1);
    epoll.add(efd, EpollFlags.IN, "kept");
    const events = epoll.wait(0);
    const copy = events.toArray();
    expect(copy).toEqual([{ fd: efd, events: EpollFlags.IN, data: "kept" }]);
    epoll.delete(efd);
    const next = epoll.wait(0);
    expect(next).toBe(events);
    expect(events.length).toBe(0);
    expect(copy).toEqual([{ fd: efd, events: EpollFlags.IN, data: "kept" }]);
    expect(copy).not.toBe(events.toArray());
  });

  test("an index outside [0, length) is a RangeError; a non-number a TypeError", () => {
    using fds = new Descriptors();
    using epoll = new Epoll<string>();
    const efd = fds.eventFd(1);
    epoll.add(efd, EpollFlags.IN, "one");
    const events = epoll.wait(0);
    expect(events.length).toBe(1);
    for (const bad of [-1, 1, 2, 1.5, 0.5, NaN, Infinity, 2 ** 32]) {
      expect(() => events.fd(bad)).toThrow(RangeError);
      expect(() => events.events(bad)).toThrow(RangeError);
      expect(() => events.data(bad)).toThrow(RangeError);
    }
    for (const bad of ["0", null, undefined, 0n] as unknown[]) {
      expect(() => events.fd(bad as number)).toThrow(TypeError);
      expect(() => events.data(bad as number)).toThrow(TypeError);
    }
    // After an empty wait, index 0 is out of range too.
    epoll.delete(efd);
    expect(epoll.wait(0).length).toBe(0);
    expect(() => events.data(0)).toThrow(RangeError);
  });

  test("bits bunix does not ask about come through unsigned, as the kernel set them", () => {
    using fds = new Descriptors();
    using epoll = new Epoll<string>();
    const { read, write } = fds.pipe();
    // A pipe reports poll(2)'s RDNORM/WRNORM beside IN/OUT when asked for them.
    epoll.add(read, EpollFlags.IN | EpollFlags.RDNORM | EpollFlags.ET, "reader");
    epoll.add(write, EpollFlags.OUT | EpollFlags.WRNORM | EpollFlags.ET, "writer");
    writeBytes(write, 1);
    const byData = new Map(pollEvents(epoll).map((e) => [e.data, e.events]));
    expect(byData.get("reader")).toBe(EpollFlags.IN | EpollFlags.RDNORM);
    expect(byData.get("writer")).toBe(EpollFlags.OUT | EpollFlags.WRNORM);
    for (const mask of byData.values()) expect(mask).toBeGreaterThan(0);
  });

  test("more ready descriptors than maxEvents: edge-triggered, each comes exactly once over the next waits", () => {
    using fds = new Descriptors();
    using epoll = new Epoll<number>({ maxEvents: 3 });
    const count = 10;
    for (let i = 0; i < count; i++) epoll.add(fds.eventFd(1), EpollFlags.IN | EpollFlags.ET, i);
    const seen: number[] = [];
    for (let wait = 0; wait < 4; wait++) {
      const events = epoll.wait(0);
      expect(events.length).toBe(wait < 3 ? 3 : 1);
      for (let i = 0; i < events.length; i++) seen.push(events.data(i)!);
    }
    expect(epoll.wait(0).length).toBe(0);
    expect(seen.sort((a, b) => a - b)).toEqual([...Array(count).keys()]);
  });

  test("more ready descriptors than maxEvents: level-triggered, the kernel rotates so none starves", () => {
    using fds = new Descriptors();
    using epoll = new Epoll<number>({ maxEvents: 3 });
    const count = 10;
    for (let i = 0; i < count; i++) epoll.add(fds.eventFd(1), EpollFlags.IN, i);
    const seen = new Set<number>();
    for (let wait = 0; wait < Math.ceil(count / 3); wait++) {
      const events = epoll.wait(0);
      expect(events.length).toBe(3);
      for (let i = 0; i < events.length; i++) seen.add(events.data(i)!);
    }
    expect(seen.size).toBe(count);
  });

  test("maxEvents 1 returns one entry per wait", () => {
    using fds = new Descriptors();
    using epoll = new Epoll<string>({ maxEvents: 1 });
    epoll.add(fds.eventFd(1), EpollFlags.IN | EpollFlags.ET, "a");
    epoll.add(fds.eventFd(1), EpollFlags.IN | EpollFlags.ET, "b");
    const seen = [epoll.wait(0).data(0), epoll.wait(0).data(0)].sort();
    expect(seen).toEqual(["a", "b"]);
    expect(epoll.wait(0).length).toBe(0);
  });

  test("the largest result fills and decodes every entry", () => {
    using fds = new Descriptors();
    using epoll = new Epoll<number>({ maxEvents: 300 });
    for (let i = 0; i < 300; i++) epoll.add(fds.eventFd(1), EpollFlags.IN, i);
    const events = epoll.wait(0);
    expect(events.length).toBe(300);
    let sum = 0;
    for (let i = 0; i < events.length; i++) sum += events.data(i)!;
    expect(sum).toBe((299 * 300) / 2);
  });
});
