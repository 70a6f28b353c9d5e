import { describe, expect, test } from "bun:test";
import { closeSync, constants, openSync, readSync, writeSync } from "node:fs";
import { SystemError } from "../../src/core/errors.ts";
import { EventFd } from "../../src/sources/eventfd.ts";
import { openPty } from "../../src/testing/index.ts";
import { platform } from "../../src/core/platform.ts";
import { watchFd, type FdWatch } from "../../src/watch/index.ts";
import { Descriptors, isOpen, readBytes, readEventFd, writeBytes, writeEventFd } from "../helpers/descriptors.ts";
import { expectSystemError } from "../helpers/errors.ts";
import { socketDir } from "../helpers/socket-paths.ts";
import { recorder, settle, until } from "./helpers.ts";

const path = socketDir("bunix-watch-");

describe("watchFd on a socketpair", () => {
  test("calls back on the event loop, never inside the call that made the descriptor ready", async () => {
    using fds = new Descriptors();
    const [a, b] = fds.socketPair();
    const { calls, callback } = recorder(() => readBytes(b));
    using watch = watchFd(b, { readable: true }, callback);
    writeBytes(a, 3);
    expect(calls).toHaveLength(0);
    await until("the readable callback", () => calls.length === 1);
    expect(calls[0]).toEqual({ readable: true, writable: false, hangup: false, error: false });
    expect(watch.fd).toBe(b);
    await settle();
    // The callback drained the socket: nothing more to report.
    expect(calls).toHaveLength(1);
  });

  test("level-triggered: called again on later turns while the data stays unread, and not after it is read", async () => {
    using fds = new Descriptors();
    const [a, b] = fds.socketPair();
    let turns = 0;
    const counter = setInterval(() => turns++, 0);
    const { calls, callback } = recorder((_ready, all) => {
      if (all.length === 5) readBytes(b);
    });
    try {
      using watch = watchFd(b, { readable: true }, callback);
      writeBytes(a);
      await until("five callbacks", () => calls.length >= 5);
      await settle();
      expect(calls).toHaveLength(5);
      // Each call came on its own turn of the event loop, with timers running in between.
      expect(turns).toBeGreaterThan(0);
      expect(watch.closed).toBe(false);
    } finally {
      clearInterval(counter);
    }
  });

  test("update changes the interest: writable, then readable only", async () => {
    using fds = new Descriptors();
    const [a, b] = fds.socketPair();
    const { calls, callback } = recorder();
    using watch = watchFd(b, { writable: true }, callback);
    await until("a writable callback", () => calls.length >= 2);
    expect(calls[0]).toEqual({ readable: false, writable: true, hangup: false, error: false });
    watch.update({ readable: true });
    await settle(10);
    const after = calls.length;
    await settle();
    expect(calls.length).toBe(after);
    writeBytes(a);
    await until("a readable callback", () => calls.length > after);
    expect(calls.at(-1)).toEqual({ readable: true, writable: false, hangup: false, error: false });
    readBytes(b);
  });

  test("the peer closing is a hangup with readable set", async () => {
    using fds = new Descriptors();
    const [a, b] = fds.socketPair();
    const { calls, callback } = recorder();
    using watch = watchFd(b, { readable: true }, (ready) => {
      callback(ready);
      watch.close();
    });
    fds.close(a);
    await until("the hangup", () => calls.length === 1);
    expect(calls[0]).toMatchObject({ readable: true, hangup: true });
  });

  test("close() stops the callbacks, even one already due in the same batch, and leaves the descriptor open", async () => {
    using fds = new Descriptors();
    const [a, b] = fds.socketPair();
    const [c, d] = fds.socketPair();
    let calls = 0;
    // Both become ready in one batch; whichever callback comes first drains its own socket and
    // closes the other watch, whose entry in that batch must then be skipped.
    const watches: FdWatch[] = [];
    const onReady = (own: number, other: () => FdWatch) => () => {
      calls++;
      readBytes(own);
      other().close();
    };
    watches.push(watchFd(b, { readable: true }, onReady(b, () => watches[1]!)));
    watches.push(watchFd(d, { readable: true }, onReady(d, () => watches[0]!)));
    writeBytes(a);
    writeBytes(c);
    await until("a callback", () => calls > 0);
    await settle();
    expect(calls).toBe(1);
    for (const watch of watches) watch.close();
    for (const watch of watches) watch.close();
    expect(watches.map((watch) => [watch.closed, watch.fd])).toEqual([[true, -1], [true, -1]]);
    expect([isOpen(b), isOpen(d)]).toEqual([true, true]);
    expectSystemError(() => watches[0]!.update({ readable: true }), "EBADF", "FdWatch.update");
  });

  test("using closes the watch at the end of the block", async () => {
    using fds = new Descriptors();
    const [a, b] = fds.socketPair();
    const { calls, callback } = recorder();
    {
      using watch = watchFd(b, { readable: true }, callback);
      expect(watch.closed).toBe(false);
    }
    writeBytes(a);
    await settle();
    expect(calls).toHaveLength(0);
  });

  test("a second watch of one fd is EEXIST; after close the fd can be watched again", () => {
    using fds = new Descriptors();
    const [, b] = fds.socketPair();
    const first = watchFd(b, { readable: true }, () => {});
    const error = expectSystemError(() => watchFd(b, { writable: true }, () => {}), "EEXIST", "watchFd");
    expect(error).toBeInstanceOf(SystemError);
    first.close();
    using again = watchFd(b, { readable: true }, () => {});
    expect(again.fd).toBe(b);
  });

  test("bad arguments are TypeErrors and RangeErrors; a descriptor that is not open is EBADF", () => {
    using fds = new Descriptors();
    const [, b] = fds.socketPair();
    const noop = () => {};
    expect(() => watchFd(-1, { readable: true }, noop)).toThrow(RangeError);
    expect(() => watchFd(1.5, { readable: true }, noop)).toThrow(RangeError);
    expect(() => watchFd("3" as unknown as number, { readable: true }, noop)).toThrow(TypeError);
    expect(() => watchFd(b, {}, noop)).toThrow(RangeError);
    expect(() => watchFd(b, { readable: false }, noop)).toThrow(RangeError);
    expect(() => watchFd(b, undefined as unknown as { readable: boolean }, noop)).toThrow(TypeError);
    expect(() => watchFd(b, { readable: 1 as unknown as boolean }, noop)).toThrow(TypeError);
    expect(() => watchFd(b, { readable: true }, null as unknown as () => void)).toThrow(TypeError);
    expect(() => watchFd(b, { readable: true }, noop, { unref: "yes" as unknown as boolean })).toThrow(TypeError);
    using watch = watchFd(b, { readable: true }, noop);
    expect(() => watch.update({})).toThrow(RangeError);
    const closed = fds.eventFd();
    fds.close(closed);
    expectSystemError(() => watchFd(closed, { readable: true }, noop), "EBADF");
  });
});

describe("watchFd on other descriptors", () => {
  test("an eventfd: readable while its counter is non-zero", async () => {
    using counter = new EventFd(0, { nonblocking: true });
    let total = 0;
    const { calls, callback } = recorder(() => (total += counter.read() ?? 0));
    using watch = watchFd(counter.fd, { readable: true }, callback);
    counter.write(2);
    await until("the eventfd callback", () => total === 2);
    counter.write(5);
    await until("the second callback", () => total === 7);
    expect(calls.every((ready) => ready.readable)).toBe(true);
    expect(watch.closed).toBe(false);
  });

  test("a raw eventfd from another library, written from outside the callbacks", async () => {
    using fds = new Descriptors();
    const fd = fds.eventFd();
    let total = 0;
    using watch = watchFd(fd, { readable: true }, () => (total += readEventFd(fd)));
    for (let i = 1; i <= 3; i++) {
      writeEventFd(fd, i);
      await until(`the count after write ${i}`, () => total === (i * (i + 1)) / 2);
    }
    expect(watch.fd).toBe(fd);
  });

  test("a FIFO: the writer's data, then a hangup when the writer goes", async () => {
    const fifo = path("fifo");
    expect(Bun.spawnSync(["mkfifo", fifo]).exitCode).toBe(0);
    const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    const writer = openSync(fifo, constants.O_WRONLY);
    const buffer = Buffer.alloc(64);
    let received = "";
    const { calls, callback } = recorder((ready) => {
      const n = ready.readable ? readSync(reader, buffer) : 0;
      received += buffer.subarray(0, n).toString();
      if (ready.hangup && n === 0) watch.close();
    });
    const watch = watchFd(reader, { readable: true }, callback);
    try {
      writeSync(writer, "through the fifo");
      await until("the data", () => received === "through the fifo");
      closeSync(writer);
      await until("the hangup", () => watch.closed);
      expect(calls.at(-1)).toMatchObject({ hangup: true });
    } finally {
      watch.close();
      closeSync(reader);
    }
  });

  test("a pty: bytes written on the controller side reach a watch on the device side, as from a serial port", async () => {
    const pty = openPty();
    const buffer = Buffer.alloc(256);
    let received = "";
    const watch = watchFd(pty.device, { readable: true }, () => {
      received += buffer.subarray(0, readSync(pty.device, buffer)).toString();
    });
    try {
      for (const line of ["$GPGGA,1\r\n", "$GPGGA,2\r\n"]) writeSync(pty.controller, line);
      await until("both lines", () => received === "$GPGGA,1\r\n$GPGGA,2\r\n");
      expect(pty.path === null || pty.path.startsWith("/dev/")).toBe(true);
    } finally {
      watch.close();
      closeSync(pty.device);
      closeSync(pty.controller);
    }
  });

  test.skipIf(platform.backend !== "epoll")("a regular file cannot be watched on epoll (EPERM): it is always ready", () => {
    const file = openSync(path("plain.txt"), "w");
    try {
      expectSystemError(() => watchFd(file, { readable: true }, () => {}), "EPERM");
    } finally {
      closeSync(file);
    }
  });
});
