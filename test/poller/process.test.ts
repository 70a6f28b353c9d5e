// addProcess: the exit of a spawned child, once; Bun reaping the child first (fine on pidfd and
// native kqueue, a documented loss on libkqueue); ESRCH, EEXIST, ENOENT; release of the watch.
import { expect, test } from "bun:test";
import { SystemError } from "../../src/core/errors.ts";
import { countOpenFds } from "../../src/testing/index.ts";
import { gatedChild } from "../helpers/poller-child.ts";
import { describeEachBackend, openPoller } from "../helpers/poller-backends.ts";
import { expectNoEntries, thrown } from "../helpers/poller-expect.ts";
import { cpuDuring } from "../helpers/cpu.ts";

const EXIT_ENTRY = { fd: -1, readable: true, writable: false, hangup: true, error: false };

describeEachBackend("Poller processes", (backend) => {
  test("the exit of a spawned child is one entry: fd -1, its data, readable and hangup", async () => {
    using poller = openPoller<string>(backend);
    await using gated = gatedChild(3);
    poller.addProcess(gated.child.pid, "child");
    expectNoEntries(poller, 20);
    gated.go();
    // Synchronous: Bun cannot reap the child before the wait has seen it exit (libkqueue needs that).
    expect(poller.wait(10_000).toArray()).toEqual([{ ...EXIT_ENTRY, data: "child" }]);
    expectNoEntries(poller, 50);
    expect(await gated.child.exited).toBe(3);
  });

  test(
    "the exit is reported even when Bun reaped the child first (an await before the wait), and later waits sleep",
    async () => {
      using poller = openPoller<string>(backend);
      await using gated = gatedChild(5);
      await Bun.sleep(10); // an await between spawn and addProcess: the child still runs (gated)
      poller.addProcess(gated.child.pid, "reaped by Bun");
      gated.go();
      expect(await gated.child.exited).toBe(5); // Bun has reaped it now
      await Bun.sleep(10);
      expect(poller.wait(5_000).toArray()).toEqual([{ ...EXIT_ENTRY, data: "reaped by Bun" }]);
      // libkqueue made every kevent() return at once after such an exit: the wait must sleep.
      const cpu = cpuDuring(() => expectNoEntries(poller, 300));
      expect(cpu.used).toBeLessThan(cpu.wall / 4);
    },
  );

  test("a pid that is gone is ESRCH", async () => {
    using poller = openPoller(backend);
    const child = Bun.spawn(["true"], { stdin: "ignore", stdout: "ignore", stderr: "ignore" });
    await child.exited; // reaped: the pid is free
    const error = thrown(() => poller.addProcess(child.pid, "gone"));
    expect(error).toBeInstanceOf(SystemError);
    expect((error as SystemError).code).toBe("ESRCH");
    expect((error as SystemError).syscall).toBe(backend.name === "epoll" ? "pidfd_open" : "kevent");
    expect(thrown(() => poller.deleteProcess(child.pid))).toMatchObject({ code: "ENOENT", syscall: "Poller.deleteProcess" });
  });

  test("watching a pid twice is EEXIST; deleteProcess stops the watch", async () => {
    using poller = openPoller<string>(backend);
    await using gated = gatedChild(0);
    const pid = gated.child.pid;
    poller.addProcess(pid, "first");
    expect(thrown(() => poller.addProcess(pid, "second"))).toMatchObject({
      name: "SystemError",
      code: "EEXIST",
      syscall: "Poller.addProcess",
      message: `EEXIST: process ${pid} is already added, Poller.addProcess`,
    });
    poller.deleteProcess(pid);
    expect(thrown(() => poller.deleteProcess(pid))).toMatchObject({ code: "ENOENT", syscall: "Poller.deleteProcess" });
    gated.go();
    expectNoEntries(poller, 100);
    await gated.child.exited;
  });

  test("after its exit is reported, the watch is gone and its descriptors are released", async () => {
    using poller = openPoller<string>(backend);
    poller.wait(0);
    const before = countOpenFds();
    await using gated = gatedChild(0); // its socketpair stays open until the end: 2 descriptors
    poller.addProcess(gated.child.pid, "child");
    gated.go();
    expect(poller.wait(10_000).length).toBe(1);
    expect(thrown(() => poller.deleteProcess(gated.child.pid))).toMatchObject({ code: "ENOENT" });
    poller.wait(0); // releases the pidfd (epoll) / libkqueue's descriptor
    await gated.child.exited;
    for (let i = 0; i < 50 && countOpenFds() > before + 2; i++) await Bun.sleep(10);
    expect(countOpenFds()).toBe(before + 2);
  });

  test("bad pids are rejected", () => {
    using poller = openPoller(backend);
    expect(() => poller.addProcess(0)).toThrow(RangeError);
    expect(() => poller.addProcess(-5)).toThrow(RangeError);
    expect(() => poller.addProcess(1.5)).toThrow(RangeError);
    expect(() => poller.addProcess("1" as unknown as number)).toThrow(TypeError);
    expect(() => poller.deleteProcess(0)).toThrow(RangeError);
  });
});
