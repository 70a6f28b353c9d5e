import { describe, expect, test } from "bun:test";
import { Epoll, EpollFlags } from "../../src/epoll/epoll.ts";
import { platform } from "../../src/index.ts";
import { MsgQueue } from "../../src/mqueue/msg-queue.ts";
import { queueName, unlinkQueuesAfterEach } from "./helpers.ts";

describe.skipIf(!platform.supports.mqueue || !platform.supports.epoll)("MsgQueue.fd with epoll", () => {
  unlinkQueuesAfterEach();

  /** The events epoll reports for the one registered descriptor now, or 0. */
  function readiness(epoll: Epoll): number {
    const events = epoll.wait(0);
    return events.length === 0 ? 0 : events.events(0);
  }

  test("readable when a message waits, writable while there is room", () => {
    using queue = MsgQueue.create(queueName(), { maxMessages: 2, messageSize: 8 });
    using epoll = new Epoll<string>();
    epoll.add(queue.fd, EpollFlags.IN | EpollFlags.OUT, "queue");

    expect(readiness(epoll)).toBe(EpollFlags.OUT);
    queue.send("a");
    expect(readiness(epoll) & (EpollFlags.IN | EpollFlags.OUT)).toBe(EpollFlags.IN | EpollFlags.OUT);
    queue.send("b");
    expect(readiness(epoll) & (EpollFlags.IN | EpollFlags.OUT)).toBe(EpollFlags.IN);
    const events = epoll.wait(0);
    expect(events.data(0)).toBe("queue");
    expect(events.fd(0)).toBe(queue.fd);
    queue.receive();
    queue.receive();
    expect(readiness(epoll) & EpollFlags.IN).toBe(0);
  });

  test("a blocking epoll wait wakes when a message arrives through another handle", () => {
    const name = queueName();
    using reader = MsgQueue.create(name, { maxMessages: 2, messageSize: 8, write: false, nonblocking: true });
    using writer = MsgQueue.open(name, { read: false });
    using epoll = new Epoll();
    epoll.add(reader.fd, EpollFlags.IN);
    expect(epoll.wait(20).length).toBe(0);
    writer.send("ping");
    expect(epoll.wait(1_000).length).toBe(1);
    expect(reader.receive()).not.toBeNull();
    expect(reader.receive()).toBeNull();
  });
});
