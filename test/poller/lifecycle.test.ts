// Poller lifetime: fd, closed, close() (idempotent, with everything registered), using, the
// safety net for an unclosed Poller, close-on-exec, and the constructor's choice of backend.
import { afterEach, describe, expect, test } from "bun:test";
import { SystemError } from "../../src/core/errors.ts";
import { setLogger } from "../../src/core/log.ts";
import { platform } from "../../src/core/platform.ts";
import { Interest, Poller, Waker, type WakerTransfer } from "../../src/poller/index.ts";
import { countOpenFds, isCloseOnExec } from "../../src/testing/index.ts";
import { Descriptors, isOpen } from "../helpers/descriptors.ts";
import { gatedChild } from "../helpers/poller-child.ts";
import { describeEachBackend, openPoller } from "../helpers/poller-backends.ts";
import { expectNoEntries, thrown } from "../helpers/poller-expect.ts";

afterEach(() => setLogger(null));

/** Makes a Poller with a waker and a timer, drops it unclosed, and returns what outlives it. */
function leakPoller(options: ConstructorParameters<typeof Poller>[0]): { fd: number; transfer: WakerTransfer } {
  const poller = new Poller(options);
  poller.addTimer(60_000, {}, "never");
  return { fd: poller.fd, transfer: poller.waker().transfer() };
}

describeEachBackend("Poller lifecycle", (backend) => {
  test("fd and closed reflect the state; close() is idempotent; fd reads -1 after", () => {
    const poller = openPoller(backend);
    const fd = poller.fd;
    expect(fd).toBeGreaterThanOrEqual(0);
    expect(isOpen(fd)).toBe(true);
    expect(poller.closed).toBe(false);
    poller.close();
    expect(poller.closed).toBe(true);
    expect(poller.fd).toBe(-1);
    expect(isOpen(fd)).toBe(false);
    poller.close();
    expect(poller.closed).toBe(true);
  });

  test("using closes the Poller at the end of the block", () => {
    let fd = -1;
    {
      using poller = openPoller(backend);
      fd = poller.fd;
    }
    expect(isOpen(fd)).toBe(false);
  });

  test("its descriptors are close-on-exec", () => {
    using poller = openPoller(backend);
    expect(isCloseOnExec(poller.fd)).toBe(true);
    const transfer = poller.waker().transfer();
    if (transfer.kind === "eventfd") expect(isCloseOnExec(transfer.fd)).toBe(true);
  });

  test("close while registered: closes all the Poller opened, never the caller's descriptors", async () => {
    using fds = new Descriptors();
    await using gated = gatedChild(0);
    const afterSpawn = countOpenFds();
    const poller = openPoller<string>(backend);
    const [a] = fds.socketPair();
    const efd = fds.eventFd(1);
    poller.add(a, Interest.READABLE | Interest.WRITABLE, "socket");
    poller.add(efd, Interest.READABLE, "eventfd", { mode: "oneshot" });
    const timer = poller.addTimer(5, { repeat: true }, "tick");
    poller.addTimer(0, {}, "once");
    poller.addProcess(gated.child.pid, "child");
    poller.waker();
    const events = poller.wait(1000);
    expect(events.length).toBeGreaterThan(0);
    poller.close();
    expect(events.length).toBe(0);
    expect(timer.active).toBe(false);
    expect(isOpen(a)).toBe(true);
    expect(isOpen(efd)).toBe(true);
    // Only the caller's three descriptors are left beside what was open before.
    for (let i = 0; i < 50 && countOpenFds() > afterSpawn + 3; i++) await Bun.sleep(10);
    expect(countOpenFds()).toBe(afterSpawn + 3);
    // The caller's descriptors work in a new Poller, without having been deleted from the old.
    using again = openPoller<string>(backend);
    again.add(efd, Interest.READABLE, "again");
    expect(again.wait(0).data(0)).toBe("again");
    again.delete(efd);
    gated.go();
  });

  test("every method of a closed Poller is EBADF naming the method", () => {
    const poller = openPoller(backend);
    poller.close();
    const calls: Record<string, () => unknown> = {
      add: () => poller.add(0, Interest.READABLE),
      modify: () => poller.modify(0, Interest.READABLE),
      delete: () => poller.delete(0),
      addTimer: () => poller.addTimer(1),
      addProcess: () => poller.addProcess(process.pid),
      deleteProcess: () => poller.deleteProcess(process.pid),
      waker: () => poller.waker(),
      wait: () => poller.wait(0),
    };
    for (const [method, call] of Object.entries(calls)) {
      const error = thrown(call);
      expect(error).toBeInstanceOf(SystemError);
      expect(error).toMatchObject({ code: "EBADF", syscall: `Poller.${method}`, message: `EBADF: Poller is closed, Poller.${method}` });
    }
  });

  test("a Poller garbage-collected unclosed: its descriptors are closed, its Wakers refuse, a warning is logged", async () => {
    const warnings: unknown[][] = [];
    setLogger({ warn: (...args: unknown[]) => warnings.push(args) });
    const { fd, transfer } = leakPoller(backend.options);
    const survivor = Waker.from(transfer);
    for (let attempt = 0; attempt < 50 && (isOpen(fd) || !survivor.closed); attempt++) {
      Bun.gc(true);
      await Bun.sleep(10);
    }
    expect(isOpen(fd)).toBe(false);
    expect(survivor.closed).toBe(true);
    expect(warnings.some((args) => String(args[1]).includes(`a Poller (${backend.name}) was garbage-collected without close()`))).toBe(true);
    // Let libkqueue finish closing what the collected kqueue held.
    await Bun.sleep(50);
  });

  test("close() with nothing ever registered or waited for", () => {
    const poller = openPoller(backend);
    expectNoEntries(poller);
    poller.close();
  });
});

describe("Poller backend choice", () => {
  test("new Poller() uses the platform's backend", () => {
    using poller = new Poller();
    expect(poller.backend).toBe(platform.backend as "epoll" | "kqueue");
  });

  test("options are checked before anything is opened", () => {
    expect(() => new Poller({ backend: "select" as "epoll" })).toThrow(TypeError);
    expect(() => new Poller({ backend: 1 as unknown as "epoll" })).toThrow(TypeError);
    expect(() => new Poller({ library: 5 as unknown as string })).toThrow(TypeError);
    expect(() => new Poller({ library: "" })).toThrow(TypeError);
    expect(() => new Poller({ backend: "epoll", library: "/x/libkqueue.so.0" })).toThrow(TypeError);
    expect(() => new Poller({ maxEvents: 0 })).toThrow(RangeError);
    expect(() => new Poller({ maxEvents: 65537 })).toThrow(RangeError);
    expect(() => new Poller({ maxEvents: 1.5 })).toThrow(RangeError);
    expect(() => new Poller(null as unknown as {})).toThrow(TypeError);
  });

  test.skipIf(platform.supports.kqueue)("kqueue without a library where the platform has none is ENOTSUP from Poller", () => {
    expect(thrown(() => new Poller({ backend: "kqueue" }))).toMatchObject({ name: "SystemError", code: "ENOTSUP", syscall: "Poller" });
  });

  test.skipIf(platform.supports.epoll)("epoll where the platform has none is ENOTSUP from Poller", () => {
    expect(thrown(() => new Poller({ backend: "epoll" }))).toMatchObject({ name: "SystemError", code: "ENOTSUP", syscall: "Poller" });
  });

  test("a library that does not exist is ENOENT from Kqueue", () => {
    expect(thrown(() => new Poller({ library: "/nonexistent/libkqueue.so.0" }))).toMatchObject({ code: "ENOENT", syscall: "Kqueue" });
  });
});
