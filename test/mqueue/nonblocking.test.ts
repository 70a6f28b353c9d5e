import { describe, expect, test } from "bun:test";
import { platform } from "../../src/index.ts";
import { MsgQueue } from "../../src/mqueue/msg-queue.ts";
import { queueName, text, thrown, unlinkQueuesAfterEach } from "./helpers.ts";

describe.skipIf(!platform.supports.mqueue)("MsgQueue nonblocking", () => {
  unlinkQueuesAfterEach();

  test("receive on an empty nonblocking queue returns null at once; so do receiveInto and timedReceive", () => {
    using queue = MsgQueue.create(queueName(), { maxMessages: 2, messageSize: 8, nonblocking: true });
    const started = performance.now();
    expect(queue.receive()).toBeNull();
    expect(queue.receiveInto(new Uint8Array(8))).toBeNull();
    // A nonblocking handle never waits, whatever the timeout.
    expect(queue.timedReceive(5_000)).toBeNull();
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  test("send to a full nonblocking queue returns false and nothing is lost or half-sent", () => {
    using queue = MsgQueue.create(queueName(), { maxMessages: 2, messageSize: 8, nonblocking: true });
    expect(queue.send("one", 1)).toBe(true);
    expect(queue.send("two", 2)).toBe(true);
    expect(queue.send("three", 3)).toBe(false);
    expect(queue.send(new Uint8Array([1, 2, 3]))).toBe(false);
    expect(queue.timedSend("four", 4, 5_000)).toBe(false);
    expect(queue.attributes().currentMessages).toBe(2);
    expect(text(queue.receive()!.data)).toBe("two");
    expect(queue.send("five", 0)).toBe(true);
    expect(text(queue.receive()!.data)).toBe("one");
    expect(text(queue.receive()!.data)).toBe("five");
    expect(queue.receive()).toBeNull();
  });

  test("setNonblocking switches this handle only, and attributes() shows it", () => {
    const name = queueName();
    using a = MsgQueue.create(name, { maxMessages: 1, messageSize: 8 });
    using b = MsgQueue.open(name);
    expect(a.attributes().nonblocking).toBe(false);
    a.setNonblocking(true);
    expect(a.attributes().nonblocking).toBe(true);
    expect(b.attributes().nonblocking).toBe(false);
    expect(a.receive()).toBeNull();
    a.setNonblocking(false);
    expect(a.attributes().nonblocking).toBe(false);
    expect(thrown(() => a.setNonblocking(1 as unknown as boolean))).toBeInstanceOf(TypeError);
  });

  test("open with nonblocking: true", () => {
    const name = queueName();
    using creator = MsgQueue.create(name, { maxMessages: 1, messageSize: 8 });
    using reader = MsgQueue.open(name, { write: false, nonblocking: true });
    expect(reader.attributes().nonblocking).toBe(true);
    expect(reader.receive()).toBeNull();
    creator.send("now");
    expect(text(reader.receive()!.data)).toBe("now");
  });
});
