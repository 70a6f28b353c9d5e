import { describe, expect, test } from "bun:test";
import { platform } from "../../src/index.ts";
import { MsgQueue } from "../../src/mqueue/msg-queue.ts";
import { bunCommand, emulated } from "../helpers/env.ts";
import { queueName, text, thrown, unlinkQueuesAfterEach } from "./helpers.ts";

// How late a timed call may return: scheduling on a loaded 2-vCPU VM, more under qemu.
const SLACK_MS = emulated ? 1_000 : 150;

// Tests that start a Bun child process need more than the default under qemu.
const CHILD_TIMEOUT_MS = emulated ? 180_000 : 30_000;
const fixture = (file: string) => new URL(`./fixtures/${file}`, import.meta.url).pathname;

/** Runs `fn` and returns its result with the elapsed ms. */
function timed<T>(fn: () => T): [T, number] {
  const started = performance.now();
  const result = fn();
  return [result, performance.now() - started];
}

describe.skipIf(!platform.supports.mqueue)("MsgQueue timed operations", () => {
  unlinkQueuesAfterEach();

  test("timedReceive on an empty queue returns null after the timeout, never before", () => {
    using queue = MsgQueue.create(queueName(), { maxMessages: 1, messageSize: 8 });
    for (const timeout of [30, 120]) {
      const [message, elapsed] = timed(() => queue.timedReceive(timeout));
      expect(message).toBeNull();
      expect(elapsed).toBeGreaterThanOrEqual(timeout);
      expect(elapsed).toBeLessThan(timeout + SLACK_MS);
    }
  });

  test("a fractional timeout rounds up, not down", () => {
    using queue = MsgQueue.create(queueName(), { maxMessages: 1, messageSize: 8 });
    const [message, elapsed] = timed(() => queue.timedReceive(20.2));
    expect(message).toBeNull();
    expect(elapsed).toBeGreaterThanOrEqual(21);
  });

  test("timedSend on a full queue returns false after the timeout, never before, and sends nothing", () => {
    using queue = MsgQueue.create(queueName(), { maxMessages: 1, messageSize: 8 });
    queue.send("full");
    const [sent, elapsed] = timed(() => queue.timedSend("late", 0, 80));
    expect(sent).toBe(false);
    expect(elapsed).toBeGreaterThanOrEqual(80);
    expect(elapsed).toBeLessThan(80 + SLACK_MS);
    expect(queue.attributes().currentMessages).toBe(1);
  });

  test("timeout 0 polls: the message if there is one, else null at once", () => {
    using queue = MsgQueue.create(queueName(), { maxMessages: 1, messageSize: 8 });
    const [empty, emptyElapsed] = timed(() => queue.timedReceive(0));
    expect(empty).toBeNull();
    expect(emptyElapsed).toBeLessThan(SLACK_MS);
    expect(queue.timedSend("x", 2, 0)).toBe(true);
    expect(queue.timedSend("y", 2, 0)).toBe(false);
    const message = queue.timedReceive(0)!;
    expect([text(message.data), message.priority]).toEqual(["x", 2]);
  });

  test("a message already there comes back at once, whatever the timeout (-1, undefined, Infinity, ms, years)", () => {
    using queue = MsgQueue.create(queueName(), { maxMessages: 4, messageSize: 16 });
    for (const timeout of [-1, undefined, Infinity, 10_000, 1e12]) {
      expect(queue.timedSend(`t${timeout}`, 1, timeout)).toBe(true);
      const [message, elapsed] = timed(() => queue.timedReceive(timeout));
      expect(text(message!.data)).toBe(`t${timeout}`);
      expect(elapsed).toBeLessThan(SLACK_MS);
    }
  });

  test("timedReceive wakes when another process sends mid-wait", async () => {
    const name = queueName();
    using queue = MsgQueue.create(name, { maxMessages: 1, messageSize: 32 });
    const child = Bun.spawn(bunCommand(fixture("send-later.ts"), name, "100", "from the child", "7"), { stderr: "pipe" });
    const [message, elapsed] = timed(() => queue.timedReceive(20_000));
    expect(await child.exited).toBe(0);
    expect(text(message!.data)).toBe("from the child");
    expect(message!.priority).toBe(7);
    expect(elapsed).toBeGreaterThanOrEqual(100);
    expect(elapsed).toBeLessThan(15_000);
  }, CHILD_TIMEOUT_MS);

  test("timedSend wakes when another process makes room mid-wait", async () => {
    const name = queueName();
    using queue = MsgQueue.create(name, { maxMessages: 1, messageSize: 32 });
    queue.send("first", 3);
    const child = Bun.spawn(bunCommand(fixture("receive-later.ts"), name, "100"), { stdout: "pipe" });
    const [sent, elapsed] = timed(() => queue.timedSend("second", 0, 20_000));
    expect(sent).toBe(true);
    expect(elapsed).toBeLessThan(15_000);
    expect(await child.exited).toBe(0);
    expect(await new Response(child.stdout).text()).toBe("3:first");
    expect(text(queue.receive()!.data)).toBe("second");
  }, CHILD_TIMEOUT_MS);

  test("a signal handled mid-wait neither throws nor cuts the wait short", async () => {
    using queue = MsgQueue.create(queueName(), { maxMessages: 1, messageSize: 8 });
    let signals = 0;
    const onSignal = () => signals++;
    process.on("SIGUSR2", onSignal);
    try {
      const killer = Bun.spawn(["sh", "-c", `sleep 0.1; kill -USR2 ${process.pid}`]);
      const [message, elapsed] = timed(() => queue.timedReceive(400));
      expect(message).toBeNull();
      expect(elapsed).toBeGreaterThanOrEqual(400);
      expect(await killer.exited).toBe(0);
      for (let i = 0; i < 50 && signals === 0; i++) await Bun.sleep(10);
      expect(signals).toBe(1);
    } finally {
      process.off("SIGUSR2", onSignal);
    }
  }, CHILD_TIMEOUT_MS);

  test("bad timeouts are rejected before any call", () => {
    using queue = MsgQueue.create(queueName(), { maxMessages: 1, messageSize: 8 });
    for (const bad of [Number.NaN, -2, -0.5, -Infinity]) {
      expect(thrown(() => queue.timedReceive(bad))).toBeInstanceOf(RangeError);
      expect(thrown(() => queue.timedSend("x", 0, bad))).toBeInstanceOf(RangeError);
    }
    for (const bad of ["10", null, {}]) {
      expect(thrown(() => queue.timedReceive(bad as unknown as number))).toBeInstanceOf(TypeError);
    }
    expect(queue.attributes().currentMessages).toBe(0);
  });
});
