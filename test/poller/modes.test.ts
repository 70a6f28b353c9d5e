// Level, edge and one-shot readiness on socketpairs, pipes and eventfds, once per backend (the
// matrix of CPython's test_selectors and mio's tests/poll.rs, in one table).
import { expect, test } from "bun:test";
import { Interest } from "../../src/poller/index.ts";
import { Descriptors, readBytes, readEventFd, writeBytes, writeEventFd } from "../helpers/descriptors.ts";
import { describeEachBackend, openPoller } from "../helpers/poller-backends.ts";
import { expectNoEntries, pollEntries } from "../helpers/poller-expect.ts";

const R = Interest.READABLE;
const W = Interest.WRITABLE;

/** A descriptor to watch for reading, and how to make it readable and drain it. */
interface Readable {
  readonly fd: number;
  ready(): void;
  drain(): void;
}

const kinds: Record<string, (fds: Descriptors) => Readable> = {
  socketpair(fds) {
    const [a, b] = fds.socketPair();
    return { fd: a, ready: () => void writeBytes(b, 1), drain: () => void readBytes(a) };
  },
  pipe(fds) {
    const { read, write } = fds.pipe();
    return { fd: read, ready: () => void writeBytes(write, 1), drain: () => void readBytes(read) };
  },
  eventfd(fds) {
    const efd = fds.eventFd();
    return { fd: efd, ready: () => writeEventFd(efd, 1), drain: () => void readEventFd(efd) };
  },
};

/** The one entry a poll must report for `fd`, readable. */
function readableEntry(fd: number, data: string) {
  return [{ fd, data, readable: true, writable: false, hangup: false, error: false }];
}

describeEachBackend("Poller modes", (backend) => {
  for (const [kind, make] of Object.entries(kinds)) {
    test(`level (default) on a ${kind}: reported on every wait while ready, not after draining`, () => {
      using fds = new Descriptors();
      using poller = openPoller<string>(backend);
      const source = make(fds);
      poller.add(source.fd, R, kind);
      expectNoEntries(poller);
      source.ready();
      expect(pollEntries(poller)).toEqual(readableEntry(source.fd, kind));
      expect(pollEntries(poller)).toEqual(readableEntry(source.fd, kind));
      source.drain();
      expectNoEntries(poller);
      poller.delete(source.fd);
    });

    test(`edge on a ${kind}: reported once per change, even while still ready`, () => {
      using fds = new Descriptors();
      using poller = openPoller<string>(backend);
      const source = make(fds);
      poller.add(source.fd, R, kind, { mode: "edge" });
      source.ready();
      expect(pollEntries(poller)).toEqual(readableEntry(source.fd, kind));
      expectNoEntries(poller); // still readable, but no new edge
      source.ready();
      expect(pollEntries(poller)).toEqual(readableEntry(source.fd, kind));
      expectNoEntries(poller);
      source.drain();
      expectNoEntries(poller);
      poller.delete(source.fd);
    });

    test(`oneshot on a ${kind}: reported once, silent until modify re-arms it`, () => {
      using fds = new Descriptors();
      using poller = openPoller<string>(backend);
      const source = make(fds);
      poller.add(source.fd, R, kind, { mode: "oneshot" });
      source.ready();
      expect(pollEntries(poller)).toEqual(readableEntry(source.fd, kind));
      source.ready();
      expectNoEntries(poller); // disarmed, even with more data
      poller.modify(source.fd, R);
      expect(pollEntries(poller)).toEqual(readableEntry(source.fd, kind)); // still ready: reported again
      expectNoEntries(poller);
      poller.delete(source.fd); // a disarmed registration is still there to delete
    });
  }

  test("writable, edge: reported when room appears again after the pipe was filled", () => {
    using fds = new Descriptors();
    using poller = openPoller<string>(backend);
    const { read, write } = fds.pipe();
    poller.add(write, W, "writer", { mode: "edge" });
    expect(pollEntries(poller)).toEqual([{ fd: write, data: "writer", readable: false, writable: true, hangup: false, error: false }]);
    expectNoEntries(poller);
    while (writeBytes(write, 4096) > 0);
    expectNoEntries(poller);
    while (readBytes(read) > 0);
    expect(pollEntries(poller).map((entry) => entry.writable)).toEqual([true]);
    poller.delete(write);
  });

  test("writable, level: reported on every wait while there is room", () => {
    using fds = new Descriptors();
    using poller = openPoller<string>(backend);
    const [a] = fds.socketPair();
    poller.add(a, W, "writer");
    for (let i = 0; i < 3; i++) expect(pollEntries(poller).map((entry) => entry.writable)).toEqual([true]);
    poller.delete(a);
  });

  test("oneshot with both directions: one entry disarms the whole descriptor, as epoll does", () => {
    using fds = new Descriptors();
    using poller = openPoller<string>(backend);
    const [a, b] = fds.socketPair();
    poller.add(a, R | W, "both", { mode: "oneshot" });
    expect(pollEntries(poller)).toEqual([{ fd: a, data: "both", readable: false, writable: true, hangup: false, error: false }]);
    writeBytes(b, 1);
    expectNoEntries(poller, 20); // readable now, but the registration is disarmed
    poller.modify(a, R | W);
    expect(pollEntries(poller)).toEqual([{ fd: a, data: "both", readable: true, writable: true, hangup: false, error: false }]);
    expectNoEntries(poller);
    poller.delete(a);
  });

  test("modify switches modes: level → edge → level", () => {
    using fds = new Descriptors();
    using poller = openPoller<string>(backend);
    const efd = fds.eventFd(1);
    poller.add(efd, R, "switch");
    expect(pollEntries(poller)).toHaveLength(1);
    expect(pollEntries(poller)).toHaveLength(1);
    poller.modify(efd, R, undefined, { mode: "edge" });
    // A new registration in edge mode reports the current state once.
    expect(pollEntries(poller).length).toBeLessThanOrEqual(1);
    expectNoEntries(poller);
    poller.modify(efd, R, undefined, { mode: "level" });
    expect(pollEntries(poller)).toHaveLength(1);
    expect(pollEntries(poller)).toHaveLength(1);
    poller.delete(efd);
  });
});
