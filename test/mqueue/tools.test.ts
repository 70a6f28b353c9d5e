import { describe, expect, test } from "bun:test";
import { platform } from "../../src/index.ts";
import { MsgQueue } from "../../src/mqueue/msg-queue.ts";
import { bunCommand, emulated } from "../helpers/env.ts";
import { queueName, text, unlinkQueuesAfterEach } from "./helpers.ts";

const tools = {
  mqsend: new URL("../../src/tools/mqsend.ts", import.meta.url).pathname,
  mqrecv: new URL("../../src/tools/mqrecv.ts", import.meta.url).pathname,
};

// Every test starts Bun processes (each takes a second or more under qemu), so give them room
// whatever the default timeout is.
const TIMEOUT_MS = emulated ? 180_000 : 30_000;

interface Run {
  status: number;
  stdout: Uint8Array;
  out: string;
  err: string;
  elapsed: number;
}

/** Runs a tool as a process, with `input` on its standard input. */
async function run(tool: keyof typeof tools, args: string[], input?: Uint8Array | string): Promise<Run> {
  const started = performance.now();
  // A pipe rather than a Blob for stdin: Bun keeps a Blob's memfd open in this process.
  const child = Bun.spawn(bunCommand(tools[tool], ...args), {
    stdin: input === undefined ? "ignore" : "pipe",
    stdout: "pipe",
    stderr: "pipe",
  });
  if (input !== undefined && child.stdin !== undefined) {
    child.stdin.write(input);
    await child.stdin.end();
  }
  const [stdout, err, status] = await Promise.all([new Response(child.stdout).bytes(), new Response(child.stderr).text(), child.exited]);
  return { status, stdout, out: text(stdout), err, elapsed: performance.now() - started };
}

describe("mqsend and mqrecv --help", () => {
  test("print their usage and exit 0", async () => {
    const send = await run("mqsend", ["--help"]);
    expect(send).toMatchObject({ status: 0, err: "" });
    expect(send.out).toStartWith("Usage: mqsend [options] NAME MESSAGE");
    expect(send.out).toContain("--create");
    const receive = await run("mqrecv", ["-h"]);
    expect(receive).toMatchObject({ status: 0, err: "" });
    expect(receive.out).toStartWith("Usage: mqrecv [options] NAME");
    expect(receive.out).toContain("--timeout MS");
  }, TIMEOUT_MS);

  test("--version prints the tool and the package version, anywhere before '--'", async () => {
    const { version } = await Bun.file(new URL("../../package.json", import.meta.url)).json();
    expect(await run("mqsend", ["--version"])).toMatchObject({ status: 0, out: `mqsend ${version}\n`, err: "" });
    expect(await run("mqrecv", ["-n", "--version"])).toMatchObject({ status: 0, out: `mqrecv ${version}\n`, err: "" });
  }, TIMEOUT_MS);
});

describe.skipIf(!platform.supports.mqueue)("mqsend and mqrecv", () => {
  unlinkQueuesAfterEach();

  test("mqsend --create makes the queue with the sizes given, mqrecv prints the text and a newline", async () => {
    const name = queueName();
    expect(await run("mqsend", ["-c", "-m", "4", "-s", "64", name, "hello, wörld"])).toMatchObject({ status: 0, out: "", err: "" });
    using queue = MsgQueue.open(name, { nonblocking: true });
    expect(queue.attributes()).toMatchObject({ maxMessages: 4, messageSize: 64, currentMessages: 1 });
    expect(await run("mqrecv", [name])).toMatchObject({ status: 0, out: "hello, wörld\n", err: "" });
    expect(queue.receive()).toBeNull();
  }, TIMEOUT_MS);

  test("priorities: mqsend -p, mqrecv --priority prints PRIO<TAB>TEXT, highest first", async () => {
    const name = queueName();
    using queue = MsgQueue.create(name, { maxMessages: 4, messageSize: 32 });
    expect((await run("mqsend", ["-p", "3", name, "three"])).status).toBe(0);
    expect((await run("mqsend", ["--priority", "12", name, "twelve"])).status).toBe(0);
    expect((await run("mqsend", [name, "zero"])).status).toBe(0);
    const result = await run("mqrecv", ["--priority", "--count", "3", name]);
    expect(result).toMatchObject({ status: 0, out: "12\ttwelve\n3\tthree\n0\tzero\n", err: "" });
  }, TIMEOUT_MS);

  test("MESSAGE '-' sends standard input; --raw gives the bytes back untouched", async () => {
    const name = queueName();
    using queue = MsgQueue.create(name, { maxMessages: 2, messageSize: 16 });
    const bytes = new Uint8Array([0, 1, 2, 0xff, 0xfe, 10, 0]);
    expect(await run("mqsend", [name, "-"], bytes)).toMatchObject({ status: 0, err: "" });
    const result = await run("mqrecv", ["--raw", name]);
    expect(result.status).toBe(0);
    expect(Array.from(result.stdout)).toEqual(Array.from(bytes));
  }, TIMEOUT_MS);

  test("text output leaves out the NULs a C sender leaves at the end", async () => {
    const name = queueName();
    using queue = MsgQueue.create(name, { maxMessages: 2, messageSize: 16 });
    queue.send(new Uint8Array([0x68, 0x69, 0]));
    expect(await run("mqrecv", [name])).toMatchObject({ status: 0, out: "hi\n" });
  }, TIMEOUT_MS);

  test("a message starting with '-' goes after '--'", async () => {
    const name = queueName();
    using queue = MsgQueue.create(name, { maxMessages: 2, messageSize: 16 });
    expect((await run("mqsend", [name, "--", "-5 degrees"])).status).toBe(0);
    expect(text(queue.receive()!.data)).toBe("-5 degrees");
  }, TIMEOUT_MS);

  test("mqrecv exits 1 when fewer messages than --count came: at once with -n, after the timeout with -t", async () => {
    const name = queueName();
    using queue = MsgQueue.create(name, { maxMessages: 2, messageSize: 16 });
    queue.send("only one");
    expect(await run("mqrecv", ["-n", "--count", "2", name])).toMatchObject({ status: 1, out: "only one\n", err: "" });
    expect(await run("mqrecv", ["--nonblock", name])).toMatchObject({ status: 1, out: "", err: "" });
    const timedOut = await run("mqrecv", ["-t", "200", name]);
    expect(timedOut).toMatchObject({ status: 1, out: "", err: "" });
    expect(timedOut.elapsed).toBeGreaterThanOrEqual(200);
  }, TIMEOUT_MS);

  test("mqrecv -t waits for a message that comes in time", async () => {
    const name = queueName();
    using queue = MsgQueue.create(name, { maxMessages: 2, messageSize: 16 });
    const waiting = run("mqrecv", ["-t", emulated ? "60000" : "20000", name]);
    await Bun.sleep(100);
    queue.send("in time");
    expect(await waiting).toMatchObject({ status: 0, out: "in time\n", err: "" });
  }, TIMEOUT_MS);

  test("usage errors exit 2 with a message on standard error", async () => {
    const name = queueName();
    using queue = MsgQueue.create(name, { maxMessages: 2, messageSize: 4 });
    const cases: [keyof typeof tools, string[], string][] = [
      ["mqsend", [name], "expected NAME and MESSAGE"],
      ["mqsend", ["-p", "high", name, "x"], "--priority takes an integer"],
      ["mqsend", ["-p", "40000", name, "x"], '"priority" is out of range'],
      ["mqsend", ["-m", "3", name, "x"], "need --create"],
      ["mqsend", ["--bogus", name, "x"], "Unknown option '--bogus'"],
      ["mqsend", ["no-slash", "x"], "must start with '/'"],
      ["mqsend", [name, "too long"], "longer than the queue's messageSize (4)"],
      ["mqrecv", [], "expected one NAME"],
      ["mqrecv", ["--count", "0", name], "--count takes an integer from 1"],
      ["mqrecv", ["--timeout=-5", name], "--timeout takes an integer from 0"],
      ["mqrecv", ["-n", "-t", "5", name], "exclude each other"],
      ["mqrecv", ["--raw", "--priority", name], "excludes --priority"],
    ];
    for (const [tool, args, message] of cases) {
      const result = await run(tool, args);
      expect({ tool, args, status: result.status, out: result.out }).toEqual({ tool, args, status: 2, out: "" });
      expect(result.err).toStartWith(`${tool}: `);
      expect(result.err).toContain(message);
    }
    expect(queue.attributes().currentMessages).toBe(0);
  }, TIMEOUT_MS);

  test("system errors exit 3 with the error on standard error", async () => {
    const missing = queueName();
    const receive = await run("mqrecv", [missing]);
    expect(receive).toMatchObject({ status: 3, out: "" });
    expect(receive.err).toBe(`mqrecv: ENOENT: no such file or directory, mq_open '${missing}'\n`);
    const send = await run("mqsend", [missing, "x"]);
    expect(send.status).toBe(3);
    expect(send.err).toBe(`mqsend: ENOENT: no such queue (add -c to create it), mq_open '${missing}'\n`);
    const tooBig = await run("mqsend", ["-c", "-m", "100000", "-s", "8", queueName(), "x"]);
    expect(tooBig.status).toBe(3);
    expect(tooBig.err).toContain("EINVAL: maxMessages 100000 exceeds");
  }, TIMEOUT_MS);

  test("mqrecv --unlink removes a queue mqsend -c made; a second --unlink is ENOENT", async () => {
    const name = queueName();
    expect((await run("mqsend", ["-c", name, "left behind"])).status).toBe(0);
    expect(await run("mqrecv", ["--unlink", name])).toMatchObject({ status: 0, out: "", err: "" });
    expect(() => MsgQueue.open(name)).toThrow(expect.objectContaining({ code: "ENOENT" }));
    const again = await run("mqrecv", ["--unlink", name]);
    expect(again.status).toBe(3);
    expect(again.err).toContain("ENOENT");
    const mixed = await run("mqrecv", ["--unlink", "-n", name]);
    expect(mixed).toMatchObject({ status: 2, out: "" });
    expect(mixed.err).toContain("--unlink takes no other option (got --nonblock)");
  }, TIMEOUT_MS);
});
