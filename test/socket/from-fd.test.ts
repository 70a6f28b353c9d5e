import { afterEach, expect, test } from "bun:test";
import { closeSync, existsSync, openSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { constant, fcntl } from "../../ffi/index.ts";
import { setNonblocking } from "../../src/core/fd.ts";
import { encodeAddress } from "../../src/socket/address.ts";
import { socketKernel } from "../../src/socket/kernel.ts";
import { UnixListener, UnixSocket, listenFds, socketpair, spawnWithChannel } from "../../src/socket/index.ts";
import { isCloseOnExec } from "../../src/testing/index.ts";
import { bunCommand } from "../helpers/env.ts";
import { expectSystemError } from "../helpers/errors.ts";
import { isOpen } from "../helpers/socket-fds.ts";
import { abstractName, socketDir } from "../helpers/socket-paths.ts";
import { acceptWithin, recvText, recvWithin } from "../helpers/socket-wait.ts";

const path = socketDir("bunix-fromfd-");
const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const python = Bun.which("python3");
// Bun prints a skipped test's name, so the name carries the reason.
const withPython = python === null ? test.skip : test;
const pythonNote = python === null ? " [skipped: python3 is not installed]" : "";

afterEach(() => {
  for (const name of ["LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"]) delete process.env[name];
});

/**
 * A listening socket made with bare system calls, as another program would: no bunix object owns
 * it or its socket file, and it is not close-on-exec, as an inherited descriptor is not.
 */
function rawListener(at: string, type: "stream" | "seqpacket" = "stream"): number {
  const k = socketKernel();
  const fd = k.symbols.socket(k.afUnix, k.types[type], 0);
  const address = encodeAddress(at, "at", "test");
  expect(fd).toBeGreaterThanOrEqual(0);
  expect(k.symbols.bind(fd, address.bytes, address.length)).toBe(0);
  expect(k.symbols.listen(fd, 8)).toBe(0);
  return fd;
}

/** Asserts that a failed fromFd left `fd` open and its close-on-exec flag as it was (off). */
function expectUntouched(fd: number): void {
  expect(isOpen(fd)).toBe(true);
  expect(isCloseOnExec(fd)).toBe(false);
}

/** Clears close-on-exec, so that a later check can see whether anything set it. */
function clearCloseOnExec(fd: number): number {
  expect(fcntl(fd, constant("F_SETFD"), 0)).toBe(0);
  return fd;
}

withPython(`UnixListener.fromFd takes a listener another process made and sent over SCM_RIGHTS; closing it leaves the path${pythonNote}`, async () => {
  const at = path("python.sock");
  const { process: child, channel } = spawnWithChannel([python!, fixture("python-listener.py"), at], { stderr: "pipe" });
  let listener: UnixListener | undefined;
  try {
    const message = await recvWithin(channel, 64, { maxFds: 1 });
    expect(new TextDecoder().decode(message.data)).toBe("listener");
    expect(message.fds).toHaveLength(1);
    expect(await child.exited).toBe(0);
    listener = UnixListener.fromFd(message.fds[0]!);
    expect(listener.type).toBe("stream");
    expect(listener.path).toBe(at);
    expect(listener.nonblocking).toBe(false);
    expect(isCloseOnExec(listener.fd)).toBe(true);
    using client = UnixSocket.connect(at);
    using served = await acceptWithin(listener);
    client.send("to python's listener");
    expect(await recvText(served)).toBe("to python's listener");
  } finally {
    listener?.close();
    channel.close();
  }
  // The socket file was python's: a listener from fromFd never removes it.
  expect(existsSync(at)).toBe(true);
});

test("a socket-activated child finds its listener at fd 3 through LISTEN_PID and LISTEN_FDS", async () => {
  const at = path("activated.sock");
  using listener = UnixListener.bind(at);
  // LISTEN_PID must be the child's own pid, known only once it runs: the shell sets it and execs.
  const child = Bun.spawn(["sh", "-c", 'LISTEN_PID=$$ LISTEN_FDS=1 exec "$@"', "sh", ...bunCommand(fixture("activated-child.ts"))], {
    stdio: ["ignore", "pipe", "pipe", listener.fd],
  });
  using client = UnixSocket.connect(at);
  expect(await recvText(client)).toBe(`served by ${child.pid}`);
  const [stdout, stderr] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text()]);
  expect({ code: await child.exited, stderr }).toEqual({ code: 0, stderr: "" });
  expect(JSON.parse(stdout)).toEqual({ fds: [3], cloexec: [true], left: [], path: at, pathAfterClose: true });
});

test("listenFds: [] when LISTEN_PID names another process; the variables are removed unless told otherwise", () => {
  process.env.LISTEN_PID = String(process.pid + 1);
  process.env.LISTEN_FDS = "1";
  expect(listenFds({ unsetEnvironment: false })).toEqual([]);
  expect(process.env.LISTEN_FDS).toBe("1");
  process.env.LISTEN_FDNAMES = "web";
  expect(listenFds()).toEqual([]);
  expect(["LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"].filter((name) => name in process.env)).toEqual([]);
  expect(listenFds()).toEqual([]);
  process.env.LISTEN_PID = String(process.pid);
  process.env.LISTEN_FDS = "0";
  expect(listenFds()).toEqual([]);
});

test("listenFds: a malformed LISTEN_FDS for this process is EINVAL; bad options are TypeErrors", () => {
  process.env.LISTEN_PID = String(process.pid);
  process.env.LISTEN_FDS = "one";
  expectSystemError(() => listenFds(), "EINVAL", "listenFds");
  expect(process.env.LISTEN_FDS).toBeUndefined();
  expect(() => listenFds({ unsetEnvironment: "no" as unknown as boolean })).toThrow(TypeError);
  expect(() => listenFds(null as unknown as undefined)).toThrow(TypeError);
});

test("UnixListener.fromFd: type, path, the mode kept or set, and close never removes the path", async () => {
  const at = path("own.sock");
  const raw = rawListener(at, "seqpacket");
  setNonblocking(raw, true);
  const taken = UnixListener.fromFd(raw);
  expect([taken.fd, taken.type, taken.path, taken.nonblocking, isCloseOnExec(raw)]).toEqual([raw, "seqpacket", at, true, true]);
  taken.close();
  expect(isOpen(raw)).toBe(false);
  expect(existsSync(at)).toBe(true);

  const name = abstractName("fromfd");
  using blocking = UnixListener.fromFd(rawListener(name), { nonblocking: true });
  expect([blocking.path, blocking.nonblocking]).toEqual([name, true]);
  expect(blocking.accept()).toBeNull();
  using client = UnixSocket.connect(name);
  using served = await acceptWithin(blocking);
  expect(served.type).toBe("stream");
});

test("UnixSocket.fromFd refuses a listening socket with EINVAL, leaving it open and untouched", () => {
  const raw = rawListener(path("listening.sock"));
  try {
    expectSystemError(() => UnixSocket.fromFd(raw), "EINVAL", "UnixSocket.fromFd");
    expectUntouched(raw);
  } finally {
    closeSync(raw);
  }
});

test("UnixListener.fromFd refuses connected, bound-datagram and socketpair sockets with EINVAL, leaving them untouched", () => {
  const [a, b] = socketpair("stream");
  const dgram = UnixSocket.bind(path("dgram.sock"));
  const raws = [a, dgram].map((socket) => clearCloseOnExec(socket.detach()));
  try {
    for (const raw of raws) {
      expectSystemError(() => UnixListener.fromFd(raw), "EINVAL", "UnixListener.fromFd");
      expectUntouched(raw);
    }
  } finally {
    raws.forEach((raw) => closeSync(raw));
    b.close();
  }
});

test("fromFd: not a socket is ENOTSOCK, another family EINVAL, a closed fd EBADF; the descriptor stays open", () => {
  const file = clearCloseOnExec(openSync("/dev/null", "r"));
  const k = socketKernel();
  const inet = clearCloseOnExec(k.symbols.socket(constant("AF_INET"), k.types.stream, 0));
  expect(inet).toBeGreaterThanOrEqual(0);
  try {
    expectSystemError(() => UnixListener.fromFd(file), "ENOTSOCK");
    expectSystemError(() => UnixSocket.fromFd(file), "ENOTSOCK");
    expectUntouched(file);
    expectSystemError(() => UnixListener.fromFd(inet), "EINVAL", "UnixListener.fromFd");
    expectSystemError(() => UnixSocket.fromFd(inet), "EINVAL", "UnixSocket.fromFd");
    expectUntouched(inet);
  } finally {
    closeSync(file);
    closeSync(inet);
  }
  expectSystemError(() => UnixListener.fromFd(file), "EBADF");
  expect(() => UnixListener.fromFd(-1)).toThrow(RangeError);
  expect(() => UnixListener.fromFd(1.5)).toThrow(RangeError);
  expect(() => UnixListener.fromFd("3" as unknown as number)).toThrow(TypeError);
  expect(() => UnixListener.fromFd(0, { nonblocking: 1 as unknown as boolean })).toThrow(TypeError);
});

test("UnixListener.detach hands the socket over as a descriptor and closes the object without removing the socket file", async () => {
  const at = path("detached.sock");
  const listener = UnixListener.bind(at);
  const raw = listener.detach();
  expect([listener.closed, existsSync(at), isCloseOnExec(raw)]).toEqual([true, true, true]);
  using taken = UnixListener.fromFd(raw, { nonblocking: true });
  using client = UnixSocket.connect(at);
  using served = await acceptWithin(taken);
  expect(served.closed).toBe(false);
  expectSystemError(() => listener.detach(), "EBADF", "UnixListener.detach");
});
