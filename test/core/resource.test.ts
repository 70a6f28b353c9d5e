import { afterEach, expect, test } from "bun:test";
import { constant, fcntl } from "../../ffi/index.ts";
import { SystemError, setLogger } from "../../src/index.ts";
import { closeDescriptor, isCloseOnExec } from "../../src/core/fd.ts";
import { TestResource, rawEventFd } from "../helpers/test-resource.ts";

afterEach(() => setLogger(null));

function isOpen(fd: number): boolean {
  return fcntl(fd, constant("F_GETFD"), 0) >= 0;
}

test("fd and closed reflect the state; close() releases the descriptor", () => {
  const resource = new TestResource();
  const fd = resource.fd;
  expect(fd).toBeGreaterThanOrEqual(0);
  expect(resource.closed).toBe(false);
  expect(isOpen(fd)).toBe(true);
  resource.close();
  expect(resource.closed).toBe(true);
  expect(resource.fd).toBe(-1);
  expect(isOpen(fd)).toBe(false);
});

test("a second close() never closes a descriptor number the kernel has handed out again", () => {
  const resource = new TestResource();
  const number = resource.fd;
  resource.close();
  const reused = rawEventFd();
  try {
    expect(reused).toBe(number); // the kernel hands out the lowest free number
    resource.close();
    resource[Symbol.dispose]();
    expect(isOpen(reused)).toBe(true);
  } finally {
    closeDescriptor(reused);
  }
});

test("using closes at the end of the block", () => {
  let fd = -1;
  {
    using resource = new TestResource();
    fd = resource.fd;
    expect(isOpen(fd)).toBe(true);
  }
  expect(isOpen(fd)).toBe(false);
});

test("a closed resource throws EBADF saying it is closed", () => {
  const resource = new TestResource();
  expect(resource.use()).toBe(resource.fd);
  resource.close();
  let caught: unknown;
  try {
    resource.use();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(SystemError);
  expect((caught as SystemError).code).toBe("EBADF");
  expect((caught as SystemError).syscall).toBe("TestResource.use");
  expect((caught as SystemError).message).toContain("TestResource is closed");
});

test("descriptors the library makes are close-on-exec", () => {
  using resource = new TestResource();
  expect(isCloseOnExec(resource.fd)).toBe(true);
});

test("close() reports a descriptor closed behind the object's back, and still counts as closed", () => {
  const resource = new TestResource();
  closeDescriptor(resource.fd);
  expect(() => resource.close()).toThrow(expect.objectContaining({ code: "EBADF", syscall: "close" }));
  expect(resource.closed).toBe(true);
  resource.close();
});

/** Makes a resource that nothing references once this returns, and gives back its number. */
function leakOne(): number {
  return new TestResource().fd;
}

test("the finalizer closes a leaked descriptor and logs one warning", async () => {
  const warnings: unknown[][] = [];
  setLogger({ warn: (...args: unknown[]) => warnings.push(args) });
  const fd = leakOne();
  expect(isOpen(fd)).toBe(true);
  // Finalization callbacks run between event-loop turns after a full collection.
  for (let attempt = 0; attempt < 50 && isOpen(fd); attempt++) {
    Bun.gc(true);
    await Bun.sleep(10);
  }
  expect(isOpen(fd)).toBe(false);
  expect(warnings).toHaveLength(1);
  expect(warnings[0]![0]).toEqual({ fd, kind: "TestResource" });
  expect(String(warnings[0]![1])).toContain(`TestResource (fd ${fd}) was garbage-collected without close()`);
});

test("a closed resource is never finalized again", async () => {
  const warnings: unknown[][] = [];
  setLogger({ warn: (...args: unknown[]) => warnings.push(args) });
  (() => new TestResource().close())();
  for (let attempt = 0; attempt < 5; attempt++) {
    Bun.gc(true);
    await Bun.sleep(10);
  }
  expect(warnings).toHaveLength(0);
});
