import { describe, expect, test } from "bun:test";
import { SystemError, platform, setLogger } from "../../src/index.ts";
import { isCloseOnExec } from "../../src/core/fd.ts";
import { MsgQueue } from "../../src/mqueue/msg-queue.ts";
import { queueName, text, thrown, unlinkQueuesAfterEach } from "./helpers.ts";

const supported = platform.supports.mqueue;

test.skipIf(supported)("where the platform has no message queues, every entry point is ENOTSUP", () => {
  for (const attempt of [
    () => MsgQueue.create("/x", { maxMessages: 1, messageSize: 1 }),
    () => MsgQueue.open("/x"),
    () => MsgQueue.unlink("/x"),
  ]) {
    const error = thrown(attempt);
    expect(error).toBeInstanceOf(SystemError);
    expect(error.code).toBe("ENOTSUP");
    expect(error.syscall).toBe("MsgQueue");
  }
});

describe.skipIf(!supported)("MsgQueue basics", () => {
  unlinkQueuesAfterEach();

  test("a string goes through as UTF-8 and a Uint8Array's bytes untouched", () => {
    using queue = MsgQueue.create(queueName(), { maxMessages: 4, messageSize: 64 });
    expect(queue.send("héllo, wörld ✓")).toBe(true);
    const binary = new Uint8Array([0, 255, 10, 13, 0xc3, 0x28, 0]);
    expect(queue.send(binary)).toBe(true);
    expect(text(queue.receive()!.data)).toBe("héllo, wörld ✓");
    expect(queue.receive()!.data).toEqual(binary);
  });

  test("an empty message, a message of exactly messageSize, and a view into a larger buffer", () => {
    using queue = MsgQueue.create(queueName(), { maxMessages: 4, messageSize: 8 });
    const backing = new Uint8Array(32).map((_, i) => i);
    queue.send(new Uint8Array(0));
    queue.send("12345678");
    queue.send(backing.subarray(10, 15));
    expect(queue.receive()!.data.length).toBe(0);
    expect(text(queue.receive()!.data)).toBe("12345678");
    expect(Array.from(queue.receive()!.data)).toEqual([10, 11, 12, 13, 14]);
  });

  test("highest priority first, first in first out within a priority", () => {
    using queue = MsgQueue.create(queueName(), { maxMessages: 10, messageSize: 16 });
    const sent: [string, number][] = [["a", 0], ["b", 3], ["c", 1], ["d", 3], ["e", 0], ["f", 1], ["g", 32767]];
    for (const [message, priority] of sent) queue.send(message, priority);
    const received: [string, number][] = [];
    for (let i = 0; i < sent.length; i++) {
      const message = queue.receive()!;
      received.push([text(message.data), message.priority]);
    }
    expect(received).toEqual([["g", 32767], ["b", 3], ["d", 3], ["c", 1], ["f", 1], ["a", 0], ["e", 0]]);
  });

  test("receive returns a copy: a later receive does not change an earlier message", () => {
    using queue = MsgQueue.create(queueName(), { maxMessages: 4, messageSize: 16 });
    queue.send("first");
    queue.send("second");
    const first = queue.receive()!.data;
    queue.receive();
    expect(text(first)).toBe("first");
  });

  test("receiveInto writes into the caller's buffer and reports length and priority", () => {
    using queue = MsgQueue.create(queueName(), { maxMessages: 4, messageSize: 16 });
    queue.send("abc", 9);
    const buffer = new Uint8Array(40).fill(0xee);
    expect(queue.receiveInto(buffer)).toEqual({ length: 3, priority: 9 });
    expect(text(buffer.subarray(0, 3))).toBe("abc");
    expect(buffer[3]).toBe(0xee);
    // A view at an offset into a larger buffer lands where the view is.
    queue.send("xy");
    const backing = new Uint8Array(64);
    expect(queue.receiveInto(backing.subarray(20, 40))).toEqual({ length: 2, priority: 0 });
    expect(text(backing.subarray(20, 22))).toBe("xy");
  });

  test("attributes() reads the kernel's sizes and count; messageSize is cached at open", () => {
    using queue = MsgQueue.create(queueName(), { maxMessages: 3, messageSize: 100 });
    expect(queue.attributes()).toEqual({ maxMessages: 3, messageSize: 100, currentMessages: 0, nonblocking: false });
    queue.send("x");
    queue.send("y");
    expect(queue.attributes().currentMessages).toBe(2);
    expect(queue.messageSize).toBe(100);
  });

  test("create of an existing queue without exclusive opens it, with the existing queue's sizes", () => {
    const name = queueName();
    using first = MsgQueue.create(name, { maxMessages: 2, messageSize: 32 });
    first.send("kept");
    using second = MsgQueue.create(name, { maxMessages: 5, messageSize: 200 });
    expect(second.attributes()).toEqual({ maxMessages: 2, messageSize: 32, currentMessages: 1, nonblocking: false });
    expect(second.messageSize).toBe(32);
    expect(text(second.receive()!.data)).toBe("kept");
  });

  test("create with exclusive fails with EEXIST on an existing queue", () => {
    const name = queueName();
    using queue = MsgQueue.create(name, { maxMessages: 1, messageSize: 8, exclusive: true });
    const error = thrown(() => MsgQueue.create(name, { maxMessages: 1, messageSize: 8, exclusive: true }));
    expect(error).toBeInstanceOf(SystemError);
    expect(error).toMatchObject({ code: "EEXIST", syscall: "mq_open", path: name });
    expect(queue.closed).toBe(false);
  });

  test("create without sizes takes the system's defaults; with one size, the other's default", () => {
    using both = MsgQueue.create(queueName());
    const defaults = both.attributes();
    expect(defaults.maxMessages).toBeGreaterThan(0);
    expect(defaults.messageSize).toBeGreaterThan(0);
    using one = MsgQueue.create(queueName(), { maxMessages: 2 });
    expect(one.attributes()).toMatchObject({ maxMessages: 2, messageSize: defaults.messageSize });
  });

  test("open finds a queue by name; a missing one is ENOENT", () => {
    const name = queueName();
    using creator = MsgQueue.create(name, { maxMessages: 2, messageSize: 16 });
    using opened = MsgQueue.open(name);
    creator.send("across handles", 4);
    expect(opened.name).toBe(name);
    expect(text(opened.receive()!.data)).toBe("across handles");
    const error = thrown(() => MsgQueue.open(queueName()));
    expect(error).toBeInstanceOf(SystemError);
    expect(error).toMatchObject({ code: "ENOENT", syscall: "mq_open" });
  });

  test("a read-only handle cannot send and a write-only one cannot receive (EBADF, saying why)", () => {
    const name = queueName();
    using reader = MsgQueue.create(name, { maxMessages: 2, messageSize: 16, write: false });
    using writer = MsgQueue.open(name, { read: false });
    expect(writer.send("ok")).toBe(true);
    const sendError = thrown(() => reader.send("no"));
    expect(sendError).toMatchObject({ code: "EBADF", syscall: "mq_send" });
    expect(sendError.message).toContain("without write access");
    expect(thrown(() => reader.timedSend("no", 0, 0))).toMatchObject({ code: "EBADF", syscall: "mq_timedsend" });
    const receiveError = thrown(() => writer.receive());
    expect(receiveError).toMatchObject({ code: "EBADF", syscall: "mq_receive" });
    expect(receiveError.message).toContain("without read access");
    expect(thrown(() => writer.timedReceive(0))).toMatchObject({ code: "EBADF", syscall: "mq_timedreceive" });
    expect(text(reader.receive()!.data)).toBe("ok");
    expect(thrown(() => MsgQueue.open(name, { read: false, write: false }))).toBeInstanceOf(TypeError);
  });

  test("unlink removes the name; open handles keep the old queue, create makes a new one", () => {
    const name = queueName();
    using old = MsgQueue.create(name, { maxMessages: 2, messageSize: 16 });
    old.send("still here");
    MsgQueue.unlink(name);
    expect(thrown(() => MsgQueue.open(name))).toMatchObject({ code: "ENOENT" });
    using fresh = MsgQueue.create(name, { maxMessages: 2, messageSize: 16 });
    expect(fresh.attributes().currentMessages).toBe(0);
    expect(text(old.receive()!.data)).toBe("still here");
  });

  test("unlink of a missing queue is an ENOENT SystemError naming the queue", () => {
    const name = queueName();
    const error = thrown(() => MsgQueue.unlink(name));
    expect(error).toBeInstanceOf(SystemError);
    expect(error).toMatchObject({ code: "ENOENT", syscall: "mq_unlink", path: name });
    expect(error.message).toBe(`ENOENT: no such file or directory, mq_unlink '${name}'`);
  });

  test("the descriptor is close-on-exec", () => {
    using queue = MsgQueue.create(queueName(), { maxMessages: 1, messageSize: 8 });
    expect(queue.fd).toBeGreaterThanOrEqual(0);
    expect(isCloseOnExec(queue.fd)).toBe(true);
  });

  test("close is idempotent, using closes, and a closed queue throws EBADF saying so", () => {
    const name = queueName();
    let scoped: MsgQueue | undefined;
    {
      using queue = MsgQueue.create(name, { maxMessages: 1, messageSize: 8 });
      scoped = queue;
    }
    expect(scoped.closed).toBe(true);
    const queue = MsgQueue.open(name);
    queue.close();
    // The kernel hands the lowest free number out again: a second close must not touch it.
    using reopened = MsgQueue.open(name);
    queue.close();
    queue[Symbol.dispose]();
    expect(reopened.send("open")).toBe(true);
    expect(queue.closed).toBe(true);
    expect(queue.fd).toBe(-1);
    for (const [method, call] of [
      ["send", () => queue.send("x")],
      ["receive", () => queue.receive()],
      ["receiveInto", () => queue.receiveInto(new Uint8Array(8))],
      ["timedSend", () => queue.timedSend("x", 0, 0)],
      ["timedReceive", () => queue.timedReceive(0)],
      ["attributes", () => queue.attributes()],
      ["setNonblocking", () => queue.setNonblocking(true)],
    ] as const) {
      const error = thrown(call);
      expect(error).toBeInstanceOf(SystemError);
      expect(error).toMatchObject({ code: "EBADF", syscall: `MsgQueue.${method}` });
      expect(error.message).toContain("MsgQueue is closed");
    }
    expect(queue.name).toBe(name);
  });

  test("a queue garbage-collected unclosed has its descriptor closed, with a warning", async () => {
    const warnings: unknown[][] = [];
    setLogger({ warn: (...args: unknown[]) => warnings.push(args) });
    try {
      const name = queueName();
      const leak = () => MsgQueue.create(name, { maxMessages: 1, messageSize: 8 }).fd;
      const fd = leak();
      for (let i = 0; i < 20 && warnings.length === 0; i++) {
        Bun.gc(true);
        await Bun.sleep(10);
      }
      expect(JSON.stringify(warnings)).toContain(`"fd":${fd}`);
      expect(JSON.stringify(warnings)).toContain("MsgQueue");
    } finally {
      setLogger(null);
    }
  });
});
