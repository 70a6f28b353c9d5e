import { afterEach, expect, test } from "bun:test";
import { closeSync, openSync } from "node:fs";
import { constant, fcntl } from "../../ffi/index.ts";
import { setLogger } from "../../src/index.ts";
import { UnixSocket, socketpair } from "../../src/socket/index.ts";
import { isCloseOnExec } from "../../src/testing/index.ts";
import { isOpen } from "../helpers/socket-fds.ts";
import { systemError } from "../helpers/errors.ts";

afterEach(() => setLogger(null));

test("fromFd adopts a Unix socket: type and mode read from the descriptor, close-on-exec set", () => {
  const [a, b] = socketpair("dgram", { nonblocking: true });
  // A plain descriptor without close-on-exec, as an inherited one would be.
  const raw = a.detach();
  expect(fcntl(raw, constant("F_SETFD"), 0)).toBe(0);
  expect(isCloseOnExec(raw)).toBe(false);
  const adopted = UnixSocket.fromFd(raw);
  try {
    expect(adopted.fd).toBe(raw);
    expect(adopted.type).toBe("dgram");
    expect(adopted.nonblocking).toBe(true);
    expect(isCloseOnExec(raw)).toBe(true);
    adopted.send("adopted");
    expect(b.recv(16)!.bytes).toBe(7);
  } finally {
    adopted.close();
    b.close();
  }
  expect(isOpen(raw)).toBe(false);
});

test("fromFd refuses what is not a Unix socket, and leaves it open", () => {
  const file = openSync("/dev/null", "r");
  try {
    expect(systemError(() => UnixSocket.fromFd(file)).code).toBe("ENOTSOCK");
    expect(isOpen(file)).toBe(true);
  } finally {
    closeSync(file);
  }
  expect(systemError(() => UnixSocket.fromFd(file)).code).toBe("EBADF");
  expect(() => UnixSocket.fromFd(-1)).toThrow(RangeError);
  expect(() => UnixSocket.fromFd("3" as unknown as number)).toThrow(TypeError);
});

test("detach on a closed socket is EBADF", () => {
  const [a, b] = socketpair("stream");
  a.close();
  b.close();
  expect(systemError(() => a.detach()).code).toBe("EBADF");
});

test("a socket garbage-collected unclosed has its descriptor closed, with a warning", async () => {
  const warnings: unknown[][] = [];
  setLogger({ warn: (...args: unknown[]) => warnings.push(args) });
  const fds = (() => {
    const [a, b] = socketpair("stream");
    return [a.fd, b.fd];
  })();
  for (let i = 0; i < 50 && fds.some(isOpen); i++) {
    Bun.gc(true);
    await Bun.sleep(5);
  }
  expect(fds.some(isOpen)).toBe(false);
  expect(warnings.length).toBeGreaterThanOrEqual(2);
  expect(String(warnings[0]!.at(-1))).toContain("UnixSocket");
});
