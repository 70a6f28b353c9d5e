// What an entry says: readable and writable merged into one entry, hang-up and error flags, stale
// entries after a delete mid-batch, and the PollEvents accessors; once per backend.
import { expect, test } from "bun:test";
import { closeSync, constants, mkdtempSync, openSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Interest, type PollEvents } from "../../src/poller/index.ts";
import { pollEventReadiness } from "../../src/poller/poll-events.ts";
import { READY_ERROR, READY_HANGUP, READY_READABLE, READY_WRITABLE } from "../../src/poller/registration.ts";
import { Descriptors, writeBytes, writeEventFd } from "../helpers/descriptors.ts";
import { describeEachBackend, openPoller } from "../helpers/poller-backends.ts";
import { pollEntries } from "../helpers/poller-expect.ts";

const R = Interest.READABLE;
const W = Interest.WRITABLE;
const STALE = { fd: -1, data: undefined, readable: false, writable: false, hangup: false, error: false };

/** The READY_* bits the public accessors give for entry `i`. */
function accessorBits<T>(events: PollEvents<T>, i: number): number {
  return (
    (events.readable(i) ? READY_READABLE : 0) |
    (events.writable(i) ? READY_WRITABLE : 0) |
    (events.hangup(i) ? READY_HANGUP : 0) |
    (events.error(i) ? READY_ERROR : 0)
  );
}

describeEachBackend("Poller entries", (backend) => {
  test("readable and writable readiness of one descriptor come back as ONE entry", () => {
    using fds = new Descriptors();
    using poller = openPoller<string>(backend);
    const [a, b] = fds.socketPair();
    writeBytes(b, 5);
    poller.add(a, R | W, "both");
    const events = poller.wait(1000);
    expect(events.length).toBe(1);
    expect(events.toArray()).toEqual([{ fd: a, data: "both", readable: true, writable: true, hangup: false, error: false }]);
    poller.delete(a);
  });

  test("a FIFO whose writer has gone reports hangup on every wait until it is deleted", () => {
    const dir = mkdtempSync(join(tmpdir(), "bunix-fifo-"));
    const path = join(dir, "fifo");
    expect(Bun.spawnSync(["mkfifo", path]).exitCode).toBe(0);
    const reader = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    try {
      closeSync(openSync(path, constants.O_WRONLY | constants.O_NONBLOCK)); // a writer came and went
      using poller = openPoller<string>(backend);
      poller.add(reader, R, "fifo");
      for (let i = 0; i < 3; i++) expect(pollEntries(poller)).toMatchObject([{ fd: reader, data: "fifo", readable: true, hangup: true }]);
      poller.delete(reader);
      expect(pollEntries(poller)).toEqual([]);
    } finally {
      closeSync(reader);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("many descriptors ready both ways: one entry each", () => {
    using fds = new Descriptors();
    using poller = openPoller<string>(backend);
    const names: string[] = [];
    for (let i = 0; i < 8; i++) {
      const [a, b] = fds.socketPair();
      writeBytes(b, 1);
      poller.add(a, R | W, `socket ${i}`);
      names.push(`socket ${i}`);
    }
    const entries = pollEntries(poller);
    expect(entries.map((entry) => entry.data).sort()).toEqual(names);
    expect(entries.every((entry) => entry.readable && entry.writable)).toBe(true);
  });

  test("a socket whose peer closed: readable, writable and hangup", () => {
    using fds = new Descriptors();
    using poller = openPoller<string>(backend);
    const [a, b] = fds.socketPair();
    poller.add(a, R | W, "socket");
    fds.close(b);
    expect(pollEntries(poller)).toEqual([{ fd: a, data: "socket", readable: true, writable: true, hangup: true, error: false }]);
    poller.delete(a);
  });

  test("a pipe whose writer closed: the read end is readable (end of file) and hangup", () => {
    using fds = new Descriptors();
    using poller = openPoller<string>(backend);
    const { read, write } = fds.pipe();
    poller.add(read, R, "reader");
    fds.close(write);
    expect(pollEntries(poller)).toEqual([{ fd: read, data: "reader", readable: true, writable: false, hangup: true, error: false }]);
    poller.delete(read);
  });

  test("a pipe whose reader closed: the write end is writable, hangup and error (EPIPE pending)", () => {
    using fds = new Descriptors();
    using poller = openPoller<string>(backend);
    const { read, write } = fds.pipe();
    poller.add(write, W, "writer");
    fds.close(read);
    expect(pollEntries(poller)).toEqual([{ fd: write, data: "writer", readable: false, writable: true, hangup: true, error: true }]);
    poller.delete(write);
  });

  test("entries of an fd deleted while the batch is read come back stale", () => {
    using fds = new Descriptors();
    using poller = openPoller<string>(backend);
    const first = fds.eventFd(1);
    const second = fds.eventFd(1);
    poller.add(first, R, "first");
    poller.add(second, R | W, "second");
    const events = poller.wait(1000);
    expect(events.length).toBe(2);
    const i = events.data(0) === "second" ? 0 : 1;
    expect(events.fd(i)).toBe(second);
    poller.delete(second);
    expect(events.fd(i)).toBe(-1);
    expect(events.data(i)).toBeUndefined();
    expect([events.readable(i), events.writable(i), events.hangup(i), events.error(i), events.priority(i)]).toEqual([false, false, false, false, false]);
    expect(events.toArray()[i]).toEqual(STALE);
    // The other entry is untouched.
    expect(events.toArray()[1 - i]).toEqual({ fd: first, data: "first", readable: true, writable: false, hangup: false, error: false });
    // Adding the number again mid-batch does not revive the old entry.
    poller.add(second, R, "second again");
    expect(events.toArray()[i]).toEqual(STALE);
    poller.delete(first);
    poller.delete(second);
  });

  test("modify mid-batch keeps the entry live, with the new data", () => {
    using fds = new Descriptors();
    using poller = openPoller<string>(backend);
    const efd = fds.eventFd(1);
    poller.add(efd, R, "old");
    const events = poller.wait(1000);
    poller.modify(efd, R, "new");
    expect(events.toArray()).toEqual([{ fd: efd, data: "new", readable: true, writable: false, hangup: false, error: false }]);
    poller.delete(efd);
  });

  test("the iterator resolves each entry when reached: a delete during the loop makes later entries stale", () => {
    using fds = new Descriptors();
    using poller = openPoller<string>(backend);
    const a = fds.eventFd(1);
    const b = fds.eventFd(1);
    poller.add(a, R, "a");
    poller.add(b, R, "b");
    const seen: (string | undefined)[] = [];
    for (const entry of poller.wait(1000)) {
      seen.push(entry.data);
      poller.delete(entry.data === "a" ? b : a);
    }
    expect(seen).toHaveLength(2);
    expect(seen.filter((data) => data === undefined)).toHaveLength(1);
  });

  test("wait returns the same PollEvents every time; toArray copies survive the next wait", () => {
    using fds = new Descriptors();
    using poller = openPoller<string>(backend);
    const efd = fds.eventFd(1);
    poller.add(efd, R, "counter");
    const first = poller.wait(0);
    const copy = first.toArray();
    writeEventFd(efd, 1);
    const second = poller.wait(0);
    expect(second).toBe(first);
    poller.delete(efd);
    expect(poller.wait(0).length).toBe(0);
    expect(copy).toEqual([{ fd: efd, data: "counter", readable: true, writable: false, hangup: false, error: false }]);
  });

  test("indexed accessors check the index", () => {
    using fds = new Descriptors();
    using poller = openPoller<string>(backend);
    const efd = fds.eventFd(1);
    poller.add(efd, R, "x");
    const events = poller.wait(0);
    expect(events.length).toBe(1);
    for (const bad of [1, -1, 0.5, Number.NaN]) {
      expect(() => events.fd(bad)).toThrow(RangeError);
      expect(() => events.data(bad)).toThrow(RangeError);
      expect(() => events.readable(bad)).toThrow(RangeError);
    }
    expect(() => events.writable("0" as unknown as number)).toThrow(TypeError);
    poller.delete(efd);
    const empty = poller.wait(0);
    expect(() => empty.hangup(0)).toThrow(RangeError);
    expect(() => empty.error(0)).toThrow(RangeError);
  });

  test("the library's one-lookup readiness bits agree with the accessors, for live, stale and bad entries", () => {
    using fds = new Descriptors();
    using poller = openPoller<string>(backend);
    const [a, b] = fds.socketPair();
    writeBytes(b, 1);
    poller.add(a, R | W, "readable and writable");
    const [c, d] = fds.socketPair();
    poller.add(c, R | W, "peer gone");
    fds.close(d);
    const pipe = fds.pipe();
    poller.add(pipe.write, W, "reader gone");
    fds.close(pipe.read);
    const efd = fds.eventFd(1);
    poller.add(efd, R, "deleted mid-batch");
    const events = poller.wait(0);
    expect(events.length).toBe(4);
    const seen = new Map<string, number>();
    for (let i = 0; i < events.length; i++) {
      if (events.data(i) === "deleted mid-batch") poller.delete(efd);
    }
    for (let i = 0; i < events.length; i++) {
      const bits = pollEventReadiness(events, i);
      expect(bits).toBe(accessorBits(events, i));
      seen.set(events.data(i) ?? "stale", bits);
    }
    expect(Object.fromEntries(seen)).toEqual({
      "readable and writable": READY_READABLE | READY_WRITABLE,
      "peer gone": READY_READABLE | READY_WRITABLE | READY_HANGUP,
      "reader gone": READY_WRITABLE | READY_HANGUP | READY_ERROR,
      stale: 0,
    });
    expect(() => pollEventReadiness(events, 4)).toThrow(RangeError);
    expect(() => pollEventReadiness(events, -1)).toThrow(RangeError);
    expect(() => pollEventReadiness(events, "0" as unknown as number)).toThrow(TypeError);
  });

  test("maxEvents bounds one batch; the rest come with the next wait", () => {
    using fds = new Descriptors();
    using poller = openPoller<string>(backend, { maxEvents: 2 });
    for (let i = 0; i < 5; i++) poller.add(fds.eventFd(1), R, `fd ${i}`);
    const first = poller.wait(0);
    expect(first.length).toBeLessThanOrEqual(2);
    expect(first.length).toBeGreaterThan(0);
    const seen = new Set<string>();
    for (let round = 0; round < 10 && seen.size < 5; round++) for (const entry of poller.wait(0)) seen.add(entry.data!);
    expect(seen.size).toBe(5);
  });
});
