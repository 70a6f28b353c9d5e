import { describe, expect, test } from "bun:test";
import { constant, loadSockets } from "../../ffi/index.ts";
import { Epoll, EpollFlags } from "../../src/epoll/epoll.ts";
import { platform } from "../../src/core/platform.ts";
import { Descriptors, readBytes, readEventFd, writeBytes, writeEventFd } from "../helpers/descriptors.ts";
import { expectEvents, expectNoEvents, pollEvents } from "../helpers/expect-events.ts";

/** A readable descriptor and the means to make it ready and to drain it. */
interface Readable {
  readonly fd: number;
  produce(): void;
  drain(): void;
}

/** A writable descriptor and the means to fill it (so it is no longer writable) and to empty it. */
interface Writable {
  readonly fd: number;
  fill(): void;
  empty(): void;
}

interface Kind {
  readonly name: string;
  readable(fds: Descriptors): Readable;
  writable(fds: Descriptors): Writable;
}

function drainBytes(fd: number): void {
  while (readBytes(fd) > 0);
}

function fillBytes(fd: number): void {
  while (writeBytes(fd, 65536) > 0);
}

const kinds: Kind[] = [
  {
    name: "pipe",
    readable(fds) {
      const { read, write } = fds.pipe();
      return { fd: read, produce: () => void writeBytes(write, 1), drain: () => drainBytes(read) };
    },
    writable(fds) {
      const { read, write } = fds.pipe();
      return { fd: write, fill: () => fillBytes(write), empty: () => drainBytes(read) };
    },
  },
  {
    name: "socketpair",
    readable(fds) {
      const [mine, peer] = fds.socketPair();
      return { fd: mine, produce: () => void writeBytes(peer, 1), drain: () => drainBytes(mine) };
    },
    writable(fds) {
      const [mine, peer] = fds.socketPair();
      return { fd: mine, fill: () => fillBytes(mine), empty: () => drainBytes(peer) };
    },
  },
  {
    name: "eventfd",
    readable(fds) {
      const efd = fds.eventFd();
      return { fd: efd, produce: () => writeEventFd(efd, 1), drain: () => void readEventFd(efd) };
    },
    writable(fds) {
      // An eventfd is writable while its counter is below 2^64 - 2, its largest value.
      const efd = fds.eventFd();
      return { fd: efd, fill: () => writeEventFd(efd, 0xfffffffffffffffen), empty: () => void readEventFd(efd) };
    },
  },
];

describe.skipIf(!platform.supports.epoll)("triggering modes", () => {
  for (const kind of kinds) {
    describe(kind.name, () => {
      test("level-triggered IN: reported on every wait until drained", () => {
        using fds = new Descriptors();
        using epoll = new Epoll<string>();
        const source = kind.readable(fds);
        epoll.add(source.fd, EpollFlags.IN, "level");
        expectNoEvents(epoll);
        source.produce();
        for (let i = 0; i < 3; i++) expectEvents(epoll, [{ fd: source.fd, events: EpollFlags.IN, data: "level" }]);
        source.drain();
        expectNoEvents(epoll);
      });

      test("edge-triggered IN: reported once per arrival, not again while unread", () => {
        using fds = new Descriptors();
        using epoll = new Epoll<string>();
        const source = kind.readable(fds);
        epoll.add(source.fd, EpollFlags.IN | EpollFlags.ET, "edge");
        expectNoEvents(epoll);
        source.produce();
        expectEvents(epoll, [{ fd: source.fd, events: EpollFlags.IN, data: "edge" }]);
        expectNoEvents(epoll); // still readable, but no new edge
        source.produce();
        expectEvents(epoll, [{ fd: source.fd, events: EpollFlags.IN, data: "edge" }]);
        expectNoEvents(epoll);
        source.drain();
        expectNoEvents(epoll);
      });

      test("one-shot IN: reported once, then disabled until modify re-arms it (data kept)", () => {
        using fds = new Descriptors();
        using epoll = new Epoll<string>();
        const source = kind.readable(fds);
        epoll.add(source.fd, EpollFlags.IN | EpollFlags.ONESHOT, "once");
        source.produce();
        expectEvents(epoll, [{ fd: source.fd, events: EpollFlags.IN, data: "once" }]);
        expectNoEvents(epoll);
        source.produce();
        expectNoEvents(epoll); // disabled: new data does not report either
        epoll.modify(source.fd, EpollFlags.IN | EpollFlags.ONESHOT);
        expectEvents(epoll, [{ fd: source.fd, events: EpollFlags.IN, data: "once" }]);
        expectNoEvents(epoll);
        // A disabled registration is still registered: add is EEXIST, delete works.
        expect(() => epoll.add(source.fd, EpollFlags.IN)).toThrow(expect.objectContaining({ code: "EEXIST" }));
        epoll.delete(source.fd);
      });

      test("one-shot with edge trigger: re-armed by modify, reported again only for new data", () => {
        using fds = new Descriptors();
        using epoll = new Epoll<string>();
        const source = kind.readable(fds);
        const mode = EpollFlags.IN | EpollFlags.ONESHOT | EpollFlags.ET;
        epoll.add(source.fd, mode, "edge once");
        source.produce();
        expectEvents(epoll, [{ fd: source.fd, events: EpollFlags.IN, data: "edge once" }]);
        epoll.modify(source.fd, mode);
        // Re-arming checks readiness at once: the unread data reports again.
        expectEvents(epoll, [{ fd: source.fd, events: EpollFlags.IN, data: "edge once" }]);
        source.drain();
        epoll.modify(source.fd, mode);
        expectNoEvents(epoll);
        source.produce();
        expectEvents(epoll, [{ fd: source.fd, events: EpollFlags.IN, data: "edge once" }]);
      });

      test("level-triggered OUT: reported while writable, not when full, again once emptied", () => {
        using fds = new Descriptors();
        using epoll = new Epoll<string>();
        const sink = kind.writable(fds);
        epoll.add(sink.fd, EpollFlags.OUT, "writer");
        expectEvents(epoll, [{ fd: sink.fd, events: EpollFlags.OUT, data: "writer" }]);
        expectEvents(epoll, [{ fd: sink.fd, events: EpollFlags.OUT, data: "writer" }]);
        sink.fill();
        expectNoEvents(epoll);
        sink.empty();
        expectEvents(epoll, [{ fd: sink.fd, events: EpollFlags.OUT, data: "writer" }]);
      });

      test("edge-triggered OUT: reported once when added writable, again only after being full", () => {
        using fds = new Descriptors();
        using epoll = new Epoll<string>();
        const sink = kind.writable(fds);
        epoll.add(sink.fd, EpollFlags.OUT | EpollFlags.ET, "writer");
        expectEvents(epoll, [{ fd: sink.fd, events: EpollFlags.OUT, data: "writer" }]);
        expectNoEvents(epoll);
        sink.fill();
        expectNoEvents(epoll);
        sink.empty();
        expectEvents(epoll, [{ fd: sink.fd, events: EpollFlags.OUT, data: "writer" }]);
        expectNoEvents(epoll);
      });
    });
  }

  describe("hang-ups and errors, reported without being asked for", () => {
    test("pipe: the read end reports HUP when the write end closes", () => {
      using fds = new Descriptors();
      using epoll = new Epoll<string>();
      const { read, write } = fds.pipe();
      epoll.add(read, EpollFlags.IN, "reader");
      expectNoEvents(epoll);
      fds.close(write);
      const [event] = expectEvents(epoll, [{ fd: read, events: EpollFlags.HUP, data: "reader" }]);
      expect(event!.events & EpollFlags.IN).toBe(0); // nothing to read: HUP alone
    });

    test("pipe: the write end reports ERR when the read end closes, even registered for IN", () => {
      using fds = new Descriptors();
      using epoll = new Epoll<string>();
      const { read, write } = fds.pipe();
      epoll.add(write, EpollFlags.IN, "writer");
      expectNoEvents(epoll);
      fds.close(read);
      expectEvents(epoll, [{ fd: write, events: EpollFlags.ERR, data: "writer" }]);
    });

    test("socketpair: RDHUP when the peer shuts down writing, HUP too when it closes", () => {
      using fds = new Descriptors();
      using epoll = new Epoll<string>();
      const [mine, peer] = fds.socketPair();
      epoll.add(mine, EpollFlags.IN | EpollFlags.RDHUP, "socket");
      expectNoEvents(epoll);
      expect(loadSockets()!.shutdown(peer, constant("SHUT_WR"))).toBe(0);
      const [shut] = expectEvents(epoll, [{ fd: mine, events: EpollFlags.IN | EpollFlags.RDHUP, data: "socket" }]);
      expect(shut!.events & EpollFlags.HUP).toBe(0);
      fds.close(peer);
      expectEvents(epoll, [{ fd: mine, events: EpollFlags.IN | EpollFlags.RDHUP | EpollFlags.HUP, data: "socket" }]);
    });

    test("socketpair: without RDHUP asked for, a peer's shutdown shows as readable (end of stream) only", () => {
      using fds = new Descriptors();
      using epoll = new Epoll<string>();
      const [mine, peer] = fds.socketPair();
      epoll.add(mine, EpollFlags.IN, "socket");
      expect(loadSockets()!.shutdown(peer, constant("SHUT_WR"))).toBe(0);
      const events = pollEvents(epoll);
      expect(events).toEqual([{ fd: mine, events: EpollFlags.IN, data: "socket" }]);
    });
  });

  test("EXCLUSIVE and WAKEUP are accepted by add", () => {
    using fds = new Descriptors();
    using epoll = new Epoll<string>();
    const efd = fds.eventFd(1);
    epoll.add(efd, EpollFlags.IN | EpollFlags.EXCLUSIVE | EpollFlags.WAKEUP, "flags");
    expectEvents(epoll, [{ fd: efd, events: EpollFlags.IN, data: "flags" }]);
  });

  test("PRI on a socket without out-of-band data is never reported", () => {
    using fds = new Descriptors();
    using epoll = new Epoll<string>();
    const [mine, peer] = fds.socketPair();
    epoll.add(mine, EpollFlags.PRI, "pri");
    writeBytes(peer, 1);
    expectNoEvents(epoll);
  });
});
