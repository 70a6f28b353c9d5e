import { describe, expect, test } from "bun:test";
import { platform } from "../../src/index.ts";
import { MsgQueue } from "../../src/mqueue/msg-queue.ts";
import { bunCommand, emulated } from "../helpers/env.ts";
import { queueName, text, unlinkQueuesAfterEach } from "./helpers.ts";

const echo = new URL("./fixtures/echo.ts", import.meta.url).pathname;

// Tests that start a Bun child process need more than the default under qemu.
const CHILD_TIMEOUT_MS = emulated ? 180_000 : 30_000;

describe.skipIf(!platform.supports.mqueue)("MsgQueue between processes", () => {
  unlinkQueuesAfterEach();

  test("a child process opens the queues by name and answers each request, highest priority first", async () => {
    const requestsName = queueName();
    const repliesName = queueName();
    using requests = MsgQueue.create(requestsName, { maxMessages: 8, messageSize: 64, write: true, read: false });
    using replies = MsgQueue.create(repliesName, { maxMessages: 8, messageSize: 64, write: false });
    // Queued before the child starts, so the child sees them in priority order.
    requests.send("low", 1);
    requests.send("high", 9);
    requests.send("mid", 5);
    requests.send("also mid", 5);
    const child = Bun.spawn(bunCommand(echo, requestsName, repliesName, "5"), { stderr: "pipe" });
    const answers: [string, number][] = [];
    for (let i = 0; i < 4; i++) {
      const reply = replies.timedReceive(20_000);
      expect(reply).not.toBeNull();
      answers.push([text(reply!.data), reply!.priority]);
    }
    expect(answers).toEqual([["HIGH", 9], ["MID", 5], ["ALSO MID", 5], ["LOW", 1]]);
    // One more while the child is blocked waiting for it.
    requests.send("binary-safe ✓", 2);
    const last = replies.timedReceive(20_000)!;
    expect([text(last.data), last.priority]).toEqual(["BINARY-SAFE ✓", 2]);
    expect(await child.exited).toBe(0);
    expect(await new Response(child.stderr).text()).toBe("");
  }, CHILD_TIMEOUT_MS);
});
