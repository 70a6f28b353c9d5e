import { expect, test } from "bun:test";
import { fileURLToPath } from "node:url";
import { SystemError, platform } from "../../src/index.ts";
import { socketpair, type SocketType } from "../../src/socket/index.ts";
import { bunCommand } from "../helpers/env.ts";

const sigpipeChild = fileURLToPath(new URL("./fixtures/sigpipe-child.ts", import.meta.url));
const connected: SocketType[] = platform.supports.seqpacket ? ["stream", "seqpacket"] : ["stream"];

test.each(connected)("%p: a send after the peer closed is EPIPE from sendmsg", (type) => {
  const [a, b] = socketpair(type);
  b.close();
  let caught: unknown;
  try {
    a.send("nobody listens");
  } catch (error) {
    caught = error;
  }
  a.close();
  expect(caught).toBeInstanceOf(SystemError);
  expect((caught as SystemError).code).toBe("EPIPE");
  expect((caught as SystemError).syscall).toBe("sendmsg");
});

test("a send after the peer shut down reading is EPIPE too", () => {
  const [a, b] = socketpair("stream");
  try {
    b.shutdown("read");
    let caught: unknown;
    try {
      a.send("x");
    } catch (error) {
      caught = error;
    }
    expect((caught as SystemError).code).toBe("EPIPE");
  } finally {
    a.close();
    b.close();
  }
});

async function runChild(...args: string[]): Promise<{ stdout: string; exitCode: number | null; signalCode: string | null }> {
  const child = Bun.spawn(bunCommand(sigpipeChild, ...args), { stdout: "pipe", stderr: "pipe" });
  const stdout = await new Response(child.stdout).text();
  await new Response(child.stderr).text();
  await child.exited;
  return { stdout: stdout.trim(), exitCode: child.exitCode, signalCode: child.signalCode === null ? null : String(child.signalCode) };
}

test("with SIGPIPE at its default action, a plain write to a dead peer kills the process (the control)", async () => {
  const result = await runChild("raw", "stream");
  expect(result.signalCode).toBe("SIGPIPE");
});

test.each(connected)("with SIGPIPE at its default action, send on %p reports EPIPE and the process lives", async (type) => {
  const result = await runChild("send", type);
  expect(result.signalCode).toBeNull();
  expect(result.stdout).toBe("EPIPE");
  expect(result.exitCode).toBe(0);
});
