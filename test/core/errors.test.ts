import { expect, test } from "bun:test";
import { closeSync, openSync } from "node:fs";
import { constant, errno, loadCore, loadEpoll } from "../../ffi/index.ts";
import { SystemError } from "../../src/index.ts";
import { closedError, invalidType, lastError, outOfRange, unsupportedError } from "../../src/core/errors.ts";
import { rawEventFd } from "../helpers/test-resource.ts";

/** What Bun's own fs module throws for an operation, to compare shapes with. */
function bunFsError(operation: () => void): NodeJS.ErrnoException {
  try {
    operation();
  } catch (error) {
    return error as NodeJS.ErrnoException;
  }
  throw new Error("expected the operation to fail");
}

test("EBADF from close(-1) has Node's shape, with the same errno as Bun's fs", () => {
  const result = loadCore()!.close(-1);
  const error = lastError("close");
  expect(result).toBe(-1);
  expect(error).toBeInstanceOf(SystemError);
  expect(error).toBeInstanceOf(Error);
  expect(error.code).toBe("EBADF");
  expect(error.syscall).toBe("close");
  expect(error.message).toBe("EBADF: bad file descriptor, close");
  expect(error.errno).toBe(bunFsError(() => closeSync(2 ** 30)).errno!);
  expect(error.errno).toBeLessThan(0);
});

test("EEXIST and ENOENT from epoll_ctl are read from errno right after the call", () => {
  const epoll = loadEpoll()!;
  const epfd = epoll.epoll_create1(constant("EPOLL_CLOEXEC"));
  const fd = rawEventFd();
  const event = new Uint8Array(new ArrayBuffer(16));
  try {
    expect(epoll.epoll_ctl(epfd, constant("EPOLL_CTL_ADD"), fd, event)).toBe(0);
    expect(epoll.epoll_ctl(epfd, constant("EPOLL_CTL_ADD"), fd, event)).toBe(-1);
    const exists = lastError("epoll_ctl");
    expect(exists.code).toBe("EEXIST");
    expect(exists.message).toBe("EEXIST: file already exists, epoll_ctl");

    expect(epoll.epoll_ctl(epfd, constant("EPOLL_CTL_DEL"), fd, null)).toBe(0);
    expect(epoll.epoll_ctl(epfd, constant("EPOLL_CTL_DEL"), fd, null)).toBe(-1);
    const missing = lastError("epoll_ctl");
    expect(missing.code).toBe("ENOENT");
    expect(missing.errno).toBe(bunFsError(() => openSync("/nonexistent/bunix-test", "r")).errno!);
  } finally {
    loadCore()!.close(fd);
    loadCore()!.close(epfd);
  }
});

test("ENOENT carries the same errno number as Bun's fs ENOENT", () => {
  const fsError = bunFsError(() => openSync("/nonexistent/bunix-test", "r"));
  const ours = SystemError.fromErrno(-fsError.errno!, "open", "/nonexistent/bunix-test");
  expect(ours.code).toBe("ENOENT");
  expect(ours.errno).toBe(fsError.errno!);
  expect(ours.path).toBe("/nonexistent/bunix-test");
  expect(ours.message).toBe("ENOENT: no such file or directory, open '/nonexistent/bunix-test'");
});

test("errno is per call: a failure after a success reports the new errno", () => {
  const fd = rawEventFd();
  expect(loadCore()!.close(fd)).toBe(0);
  expect(loadCore()!.close(fd)).toBe(-1);
  expect(errno()).toBe(-bunFsError(() => closeSync(2 ** 30)).errno!);
});

test("errors no system call produced are SystemErrors naming the library method", () => {
  const closed = closedError("Epoll", "add");
  expect(closed).toBeInstanceOf(SystemError);
  expect(closed.code).toBe("EBADF");
  expect(closed.syscall).toBe("Epoll.add");
  expect(closed.message).toBe("EBADF: Epoll is closed, Epoll.add");

  const unsupported = unsupportedError("MsgQueue", "not supported on darwin");
  expect(unsupported.code).toBe("ENOTSUP");
  expect(unsupported.syscall).toBe("MsgQueue");
  expect(unsupported.errno).toBeLessThan(0);
});

test("argument errors name the argument and carry Node's codes", () => {
  const type = invalidType("fd", "of type number", null);
  expect(type).toBeInstanceOf(TypeError);
  expect(type.message).toBe('The "fd" argument must be of type number. Received null');
  expect((type as TypeError & { code: string }).code).toBe("ERR_INVALID_ARG_TYPE");

  const range = outOfRange("fd", "an integer >= 0", 1.5);
  expect(range).toBeInstanceOf(RangeError);
  expect(range.message).toContain('"fd"');
  expect(range.message).toContain("1.5");
});
