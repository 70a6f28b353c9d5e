import { describe, expect, test } from "bun:test";
import { constant, errno, errnoName, loadMqueueFd } from "../../ffi/index.ts";
import { platform } from "../../src/index.ts";
import { MsgQueue } from "../../src/mqueue/msg-queue.ts";
import { nameLimit } from "../../src/mqueue/name.ts";
import { queueName, thrown, unlinkQueuesAfterEach } from "./helpers.ts";

describe.skipIf(!platform.supports.mqueue)("MsgQueue names", () => {
  unlinkQueuesAfterEach();

  const entryPoints = [
    ["create", (name: unknown) => MsgQueue.create(name as string, { maxMessages: 1, messageSize: 8 })],
    ["open", (name: unknown) => MsgQueue.open(name as string)],
    ["unlink", (name: unknown) => MsgQueue.unlink(name as string)],
  ] as const;

  test("a name that is not a string is a TypeError", () => {
    for (const [, call] of entryPoints) {
      for (const bad of [undefined, null, 7, Symbol("q"), ["/q"]]) {
        const error = thrown(() => call(bad));
        expect(error).toBeInstanceOf(TypeError);
        expect(error.message).toContain('"name"');
      }
    }
  });

  test("a malformed name is a TypeError before any system call (never ENOENT)", () => {
    for (const [, call] of entryPoints) {
      for (const bad of ["", "q", "q/", "/a/b", "//", "/", "/.", "/..", "/a\0b", "x/y"]) {
        const error = thrown(() => call(bad));
        expect(error).toBeInstanceOf(TypeError);
        expect(error.message).toContain('"name"');
      }
    }
  });

  /** `prefix` extended to exactly `bytes` UTF-8 bytes after the slash, mostly with two-byte "é". */
  function nameOfLength(prefix: string, bytes: number): string {
    const room = bytes - (prefix.length - 1);
    return prefix + "é".repeat(Math.floor(room / 2)) + "x".repeat(room % 2);
  }

  test(`the length limit is ${nameLimit()} bytes after the slash, counted in UTF-8`, () => {
    const limit = nameLimit();
    const prefix = queueName();
    const longest = nameOfLength(prefix, limit);
    expect(new TextEncoder().encode(longest).length).toBe(limit + 1);
    {
      using queue = MsgQueue.create(longest, { maxMessages: 1, messageSize: 8 });
      using again = MsgQueue.open(longest);
      MsgQueue.unlink(longest);
    }
    for (const [, call] of entryPoints) {
      const error = thrown(() => call(nameOfLength(prefix, limit + 1)));
      expect(error).toBeInstanceOf(RangeError);
      expect(error.message).toContain(`at most ${limit} bytes`);
    }
  });

  test.skipIf(loadMqueueFd() === undefined)("the limit is the kernel's: one byte more is ENAMETOOLONG from mq_open itself", () => {
    const tooLong = nameOfLength(queueName(), nameLimit() + 1);
    const mq = loadMqueueFd()!;
    const encoded = new TextEncoder().encode(`${tooLong}\0`);
    const fd = mq.mq_open(encoded, constant("O_CREAT") | constant("O_RDWR") | constant("O_CLOEXEC"), 0o600, null);
    const code = fd < 0 ? errnoName(errno()) : "opened";
    if (fd >= 0) {
      mq.mq_close(fd);
      mq.mq_unlink(encoded);
    }
    expect(code).toBe("ENAMETOOLONG");
  });

  test("names are UTF-8: a queue made under a non-ASCII name is found by it", () => {
    const name = `${queueName()}-ünïcødé-✓`;
    using queue = MsgQueue.create(name, { maxMessages: 1, messageSize: 8 });
    using again = MsgQueue.open(name);
    expect(again.name).toBe(name);
    MsgQueue.unlink(name);
  });
});
