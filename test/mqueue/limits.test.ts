import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { optionalConstant } from "../../ffi/index.ts";
import { SystemError, platform } from "../../src/index.ts";
import { MsgQueue } from "../../src/mqueue/msg-queue.ts";
import { bunCommand, emulated } from "../helpers/env.ts";
import { queueName, thrown, unlinkQueuesAfterEach } from "./helpers.ts";

const fixture = new URL("./fixtures/create-many.ts", import.meta.url).pathname;
// Tests that start a Bun child process need more than the default under qemu.
const CHILD_TIMEOUT_MS = emulated ? 180_000 : 30_000;
const linuxLimits = (() => {
  try {
    return Number(readFileSync("/proc/sys/fs/mqueue/msg_max", "utf8"));
  } catch {
    return undefined;
  }
})();

/** Whether this process may exceed msg_max and msgsize_max (CAP_SYS_RESOURCE, bit 24 of CapEff). */
function hasSysResource(): boolean {
  const hex = readFileSync("/proc/self/status", "utf8").match(/^CapEff:\s*([0-9a-f]+)$/m)![1]!;
  return ((BigInt(`0x${hex}`) >> 24n) & 1n) === 1n;
}

/** Whether `command` runs and exits 0 here (a tool present, and allowed). */
function works(command: string[]): boolean {
  try {
    return Bun.spawnSync(command, { stdio: ["ignore", "ignore", "ignore"] }).exitCode === 0;
  } catch {
    return false;
  }
}

/** Runs the create-many fixture under `prefix` (prlimit, unshare…) and returns what it printed. */
async function createMany(prefix: string[], maxMessages: number, messageSize: number, count: number) {
  const child = Bun.spawn([...prefix, ...bunCommand(fixture, queueName(), String(maxMessages), String(messageSize), String(count))], {
    stdout: "pipe",
    stderr: "pipe",
  });
  const [out, err, status] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
  expect({ status, err }).toEqual({ status: 0, err: "" });
  return JSON.parse(out) as { created: number; error?: { code: string; message: string } };
}

describe.skipIf(!platform.supports.mqueue)("MsgQueue argument checks", () => {
  unlinkQueuesAfterEach();

  test("sizes and mode out of range are RangeErrors, of the wrong type TypeErrors, before any call", () => {
    const name = queueName();
    for (const bad of [0, -1, 1.5, Number.NaN, Infinity, 2 ** 31]) {
      expect(thrown(() => MsgQueue.create(name, { maxMessages: bad, messageSize: 8 }))).toBeInstanceOf(RangeError);
      expect(thrown(() => MsgQueue.create(name, { maxMessages: 1, messageSize: bad }))).toBeInstanceOf(RangeError);
    }
    for (const bad of [-1, 0o1000, 1.5]) {
      expect(thrown(() => MsgQueue.create(name, { maxMessages: 1, messageSize: 8, mode: bad }))).toBeInstanceOf(RangeError);
    }
    for (const options of [
      { maxMessages: "10", messageSize: 8 },
      { maxMessages: 1, messageSize: null },
      { maxMessages: 1, messageSize: 8, mode: "600" },
      { maxMessages: 1, messageSize: 8, exclusive: "yes" },
      { maxMessages: 1, messageSize: 8, nonblocking: 1 },
      { maxMessages: 1, messageSize: 8, read: false, write: false },
    ]) {
      expect(thrown(() => MsgQueue.create(name, options as never))).toBeInstanceOf(TypeError);
    }
    expect(thrown(() => MsgQueue.create(name, 5 as never))).toBeInstanceOf(TypeError);
    expect(thrown(() => MsgQueue.open(name))).toMatchObject({ code: "ENOENT" }); // nothing was created
  });

  test("a message longer than messageSize is a RangeError and nothing is sent", () => {
    using queue = MsgQueue.create(queueName(), { maxMessages: 2, messageSize: 8 });
    const error = thrown(() => queue.send(new Uint8Array(9)));
    expect(error).toBeInstanceOf(RangeError);
    expect(error.message).toContain("9 bytes");
    expect(error.message).toContain("messageSize (8)");
    // Eight characters, but nine UTF-8 bytes.
    expect(thrown(() => queue.send("éabcdefg"))).toBeInstanceOf(RangeError);
    expect(thrown(() => queue.timedSend(new Uint8Array(100), 0, 0))).toBeInstanceOf(RangeError);
    expect(queue.attributes().currentMessages).toBe(0);
  });

  test("a message neither string nor Uint8Array is a TypeError", () => {
    using queue = MsgQueue.create(queueName(), { maxMessages: 2, messageSize: 8 });
    for (const bad of [42, null, undefined, new ArrayBuffer(2), new Uint16Array(2), { length: 1 }]) {
      expect(thrown(() => queue.send(bad as never))).toBeInstanceOf(TypeError);
    }
    expect(queue.attributes().currentMessages).toBe(0);
  });

  test("priority must be an integer from 0 to MQ_PRIO_MAX - 1", () => {
    using queue = MsgQueue.create(queueName(), { maxMessages: 2, messageSize: 8 });
    const prioMax = optionalConstant("MQ_PRIO_MAX");
    for (const bad of [-1, 1.5, Number.NaN, ...(prioMax === undefined ? [] : [prioMax])]) {
      expect(thrown(() => queue.send("x", bad))).toBeInstanceOf(RangeError);
      expect(thrown(() => queue.timedSend("x", bad, 0))).toBeInstanceOf(RangeError);
    }
    expect(thrown(() => queue.send("x", "1" as never))).toBeInstanceOf(TypeError);
    expect(queue.attributes().currentMessages).toBe(0);
    if (prioMax !== undefined) {
      expect(queue.send("top", prioMax - 1)).toBe(true);
      expect(queue.receive()!.priority).toBe(prioMax - 1);
    }
  });

  test("a receive buffer smaller than messageSize is a RangeError, and the message stays queued", () => {
    using queue = MsgQueue.create(queueName(), { maxMessages: 2, messageSize: 16 });
    queue.send("short");
    const error = thrown(() => queue.receiveInto(new Uint8Array(15)));
    expect(error).toBeInstanceOf(RangeError);
    expect(error.message).toContain("messageSize (16)");
    expect(thrown(() => queue.receiveInto(new ArrayBuffer(16) as never))).toBeInstanceOf(TypeError);
    expect(queue.attributes().currentMessages).toBe(1);
    expect(queue.receiveInto(new Uint8Array(16))).toEqual({ length: 5, priority: 0 });
  });
});

describe.skipIf(!platform.supports.mqueue || linuxLimits === undefined)("MsgQueue system limits (Linux)", () => {
  unlinkQueuesAfterEach();

  test("sizes beyond the kernel's hard limits: EINVAL naming the limit", () => {
    const name = queueName();
    const tooMany = thrown(() => MsgQueue.create(name, { maxMessages: 100_000, messageSize: 8 }));
    expect(tooMany).toBeInstanceOf(SystemError);
    expect(tooMany).toMatchObject({ code: "EINVAL", syscall: "mq_open", path: name });
    expect(tooMany.message).toContain("maxMessages 100000 exceeds the kernel's hard limit (65536)");
    expect(tooMany.message).toContain("/proc/sys/fs/mqueue/msg_max");
    const tooBig = thrown(() => MsgQueue.create(name, { maxMessages: 1, messageSize: 32 * 1024 * 1024 }));
    expect(tooBig).toMatchObject({ code: "EINVAL" });
    expect(tooBig.message).toContain("messageSize 33554432 exceeds the kernel's hard limit");
  });

  test("maxMessages above msg_max: EINVAL naming msg_max and the sysctl to raise it, unless CAP_SYS_RESOURCE allows it", () => {
    const name = queueName();
    const wanted = linuxLimits! + 1;
    if (hasSysResource()) {
      using queue = MsgQueue.create(name, { maxMessages: wanted, messageSize: 8 });
      expect(queue.attributes().maxMessages).toBe(wanted);
      return;
    }
    const error = thrown(() => MsgQueue.create(name, { maxMessages: wanted, messageSize: 8 }));
    expect(error).toMatchObject({ code: "EINVAL", syscall: "mq_open" });
    expect(error.message).toBe(
      `EINVAL: maxMessages ${wanted} exceeds /proc/sys/fs/mqueue/msg_max (${linuxLimits}): raise it with \`sysctl fs.mqueue.msg_max=${wanted}\` (up to 65536), or run with CAP_SYS_RESOURCE, mq_open '${name}'`,
    );
  });

  test.skipIf(!works(["prlimit", "--msgqueue=1000:1000", "true"]))(
    "a queue larger than RLIMIT_MSGQUEUE: EMFILE naming the limit and how to raise it",
    async () => {
      const result = await createMany(["prlimit", "--msgqueue=1000:1000"], 10, 1024, 1);
      expect(result.created).toBe(0);
      expect(result.error!.code).toBe("EMFILE");
      expect(result.error!.message).toContain("needs more than 10240 bytes");
      expect(result.error!.message).toContain("RLIMIT_MSGQUEUE (1000 bytes");
      expect(result.error!.message).toContain("prlimit --msgqueue=");
    },
    CHILD_TIMEOUT_MS,
  );

  test.skipIf(!works(["prlimit", "--msgqueue=3000:3000", "true"]))(
    "queues that together exceed RLIMIT_MSGQUEUE: EMFILE saying the budget is shared",
    async () => {
      // Each queue fits alone; the fifth cannot fit beside the others. (The budget is the user's,
      // so queues of a parallel run may make an earlier one fail: the explanation is the same.)
      const result = await createMany(["prlimit", "--msgqueue=3000:3000"], 10, 100, 5);
      expect(result.created).toBeLessThan(5);
      expect(result.error!.code).toBe("EMFILE");
      expect(result.error!.message).toContain("together would exceed RLIMIT_MSGQUEUE (3000 bytes");
    },
    CHILD_TIMEOUT_MS,
  );

  // A private IPC namespace has its own queues and its own queues_max, so filling it up
  // disturbs no other test. Needs CAP_SYS_ADMIN (unshare) and a writable /proc/sys there.
  const unshareQueuesMax = ["unshare", "--ipc", "sh", "-c", 'echo 3 > /proc/sys/fs/mqueue/queues_max && exec "$@"', "sh"];
  test.skipIf(!works([...unshareQueuesMax, "true"]))("more queues than queues_max: ENOSPC naming it", async () => {
    const result = await createMany(unshareQueuesMax, 1, 8, 5);
    expect(result.created).toBe(3);
    expect(result.error!.code).toBe("ENOSPC");
    expect(result.error!.message).toContain("fs.mqueue.queues_max (3)");
  }, CHILD_TIMEOUT_MS);
});
