import { expect, test } from "bun:test";
import { closeSync, fstatSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { spawnWithChannel } from "../../src/socket/index.ts";
import { isCloseOnExec, listOpenFds } from "../../src/testing/index.ts";
import { bunCommand } from "../helpers/env.ts";
import { isOpen, openFileWith, readAll } from "../helpers/socket-fds.ts";
import { socketDir } from "../helpers/socket-paths.ts";
import { recvText, recvWithin } from "../helpers/socket-wait.ts";

const path = socketDir("bunix-chan-");
const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

/** Drains and awaits a child started with piped output, returning its stderr for diagnostics. */
async function finish(child: Bun.Subprocess<"ignore", "pipe", "pipe">): Promise<string> {
  const [, stderr] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text()]);
  await child.exited;
  return stderr;
}

test("parent and child exchange messages and descriptors over the channel (fd 3)", async () => {
  const { process: child, channel } = spawnWithChannel(bunCommand(fixture("channel-child.ts")), { stdout: "pipe", stderr: "pipe" });
  const file = openFileWith(path("for-child.txt"), "written by the parent");
  writeFileSync(path("for-parent.txt"), "opened by the child");
  try {
    expect(channel.type).toBe("stream");
    expect(isCloseOnExec(channel.fd)).toBe(true);

    channel.send("hello");
    expect(await recvText(channel)).toBe("echo:hello");

    channel.send("pid");
    expect(await recvText(channel)).toBe(`pid:${child.pid}`);

    // Parent → child: the child reads the file through the descriptor it received.
    channel.send("read-fd", { fds: [file] });
    expect(await recvText(channel)).toBe("content:written by the parent");

    // Child → parent: a descriptor the child opened arrives here, close-on-exec.
    channel.send(`send-fd ${path("for-parent.txt")}`);
    const message = await recvWithin(channel, 64, { maxFds: 1 });
    expect(new TextDecoder().decode(message.data)).toBe("here");
    expect(message.fds).toHaveLength(1);
    expect(isCloseOnExec(message.fds[0]!)).toBe(true);
    expect(readAll(message.fds[0]!)).toBe("opened by the child");
    closeSync(message.fds[0]!);

    channel.send("same");
    expect(await recvText(channel)).toBe("same:true");

    // Closing our end ends the child's loop; it closes its end and exits.
    channel.shutdown("write");
    expect(await child.exited).toBe(0);
    expect((await recvWithin(channel, 16)).bytes).toBe(0);
  } finally {
    closeSync(file);
    channel.close();
    child.kill();
    const stderr = await finish(child);
    if (child.exitCode !== 0) console.error(stderr);
  }
});

test("the parent's copy of the child's end is closed: the parent reads the end of the stream when the child exits", async () => {
  const before = new Set(openFdsNow());
  // No pipes for the child's output: Bun makes those from socketpairs too.
  const { process: child, channel } = spawnWithChannel(bunCommand("-e", "process.exit(0)"), { stdout: "ignore", stderr: "ignore" });
  try {
    const socketsNow = openFdsNow().filter((fd) => !before.has(fd) && fstatSync(fd).isSocket());
    expect(socketsNow).toEqual([channel.fd]);
    expect(await child.exited).toBe(0);
    expect((await recvWithin(channel, 16)).bytes).toBe(0);
  } finally {
    channel.close();
    await child.exited;
  }
});

test("Bun.spawn's options pass through: env, cwd, and stdio entries after index 3", async () => {
  const script = "const fs = require('node:fs'); fs.writeSync(4, process.env.BUNIX_MARK + ' ' + process.cwd()); fs.writeSync(3, 'x');";
  writeFileSync(path("out4.txt"), "");
  const fd4 = openSync(path("out4.txt"), "w");
  const { process: child, channel } = spawnWithChannel(bunCommand("-e", script), {
    env: { ...process.env, BUNIX_MARK: "marked" },
    cwd: "/",
    stdio: ["ignore", "pipe", "pipe", undefined, fd4],
  });
  try {
    expect(await recvText(channel)).toBe("x");
    expect(await child.exited).toBe(0);
    expect(readFileSync(path("out4.txt"), "utf8")).toBe("marked /");
  } finally {
    closeSync(fd4);
    channel.close();
    await finish(child as unknown as Bun.Subprocess<"ignore", "pipe", "pipe">);
  }
});

test("options that would use fd 3 are refused before anything is opened", () => {
  const before = openFdsNow().length;
  expect(() => spawnWithChannel(bunCommand("-e", ""), { stdio: ["ignore", "pipe", "inherit", 1] })).toThrow(TypeError);
  expect(() => spawnWithChannel(bunCommand("-e", ""), { ipc() {} })).toThrow(TypeError);
  expect(() => spawnWithChannel([] as string[])).toThrow(TypeError);
  expect(() => spawnWithChannel("bun" as unknown as string[])).toThrow(TypeError);
  expect(openFdsNow().length).toBe(before);
});

test("a command that cannot start throws (or, under emulation, exits failing), and leaves no descriptor open", async () => {
  const before = openFdsNow().length;
  let started: ReturnType<typeof spawnWithChannel> | undefined;
  try {
    started = spawnWithChannel(["/nonexistent/bunix-no-such-program"], { stdout: "ignore", stderr: "ignore" });
  } catch (error) {
    expect(error).toBeInstanceOf(Error);
  }
  if (started !== undefined) {
    // qemu-user reports a failed exec only as the child's exit status.
    started.channel.close();
    expect(await started.process.exited).not.toBe(0);
  }
  expect(openFdsNow().length).toBe(before);
});

test("childChannel in a process without a channel is a clear error, and adopts nothing", async () => {
  const child = Bun.spawn(bunCommand(fixture("no-channel-child.ts")), { stdout: "pipe", stderr: "pipe" });
  const [stdout] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text()]);
  await child.exited;
  const report = JSON.parse(stdout) as { code: string; syscall: string; message: string };
  // A Bun child opens its own descriptors at start-up, so fd 3 is usually Bun's epoll: ENOTSOCK.
  expect(["EBADF", "ENOTSOCK"]).toContain(report.code);
  expect(report.syscall).toBe("childChannel");
  expect(report.message).toMatch(/fd 3 is not (open|a socket|a connected Unix-domain socket)/);
});

function openFdsNow(): number[] {
  return listOpenFds()
    .map(({ fd }) => fd)
    .filter(isOpen);
}

test("peerCredentials on a channel names the parent on both ends: the parent made the socketpair", async () => {
  const { process: child, channel } = spawnWithChannel(bunCommand(fixture("channel-child.ts")), { stdout: "pipe", stderr: "pipe" });
  try {
    expect(channel.peerCredentials().pid).toBe(process.pid);
    channel.send("peer");
    expect(await recvText(channel)).toBe(`peer:${process.pid}:${process.pid}`);
  } finally {
    channel.close();
    await finish(child);
  }
});
