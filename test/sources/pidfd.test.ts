import { describe, expect, test } from "bun:test";
import { constants as osConstants } from "node:os";
import { errno, errnoName } from "../../ffi/index.ts";
import { Epoll, EpollFlags } from "../../src/epoll/epoll.ts";
import { closeDescriptor, isCloseOnExec, isNonblocking } from "../../src/core/fd.ts";
import { SystemError, platform } from "../../src/index.ts";
import { PidFd, pidfdCalls } from "../../src/sources/pidfd.ts";
import { spawnBun, spawnSleeper, stopChild } from "../helpers/sources-child.ts";

const supported = platform.supports.pidfd;

/** What `call` threw, so its fields can be checked one by one. */
function thrown(call: () => unknown): unknown {
  try {
    call();
  } catch (error) {
    return error;
  }
  throw new Error("expected the call to throw");
}

describe.skipIf(!supported)("PidFd", () => {
  test("open() works for a live child; sendSignal('SIGTERM') kills it", async () => {
    const child = spawnSleeper();
    try {
      using pidfd = PidFd.open(child.pid);
      expect(pidfd.pid).toBe(child.pid);
      expect(pidfd.fd).toBeGreaterThanOrEqual(0);
      pidfd.sendSignal(0); // alive: nothing sent, no error
      pidfd.sendSignal("SIGTERM");
      await child.exited;
      expect(child.signalCode).toBe("SIGTERM");
    } finally {
      await stopChild(child);
    }
  });

  test("sendSignal takes signal numbers", async () => {
    const child = spawnSleeper();
    try {
      using pidfd = PidFd.open(child.pid);
      pidfd.sendSignal(osConstants.signals.SIGKILL);
      await child.exited;
      expect(child.signalCode).toBe("SIGKILL");
    } finally {
      await stopChild(child);
    }
  });

  test("sendSignal after the process exited and was reaped is ESRCH", async () => {
    const child = spawnSleeper();
    try {
      using pidfd = PidFd.open(child.pid);
      pidfd.sendSignal("SIGKILL");
      await child.exited; // Bun has reaped it
      for (const signal of [0, "SIGTERM"] as const) {
        const error = thrown(() => pidfd.sendSignal(signal));
        expect(error).toBeInstanceOf(SystemError);
        expect(error).toMatchObject({ code: "ESRCH", syscall: "pidfd_send_signal" });
      }
    } finally {
      await stopChild(child);
    }
  });

  test("open() of a pid that is gone is ESRCH from pidfd_open", async () => {
    const child = spawnBun("process.exit(0)");
    await child.exited;
    // Bun reaped it; the pid is free (reuse within these microseconds is vanishingly unlikely).
    const error = thrown(() => PidFd.open(child.pid));
    expect(error).toBeInstanceOf(SystemError);
    expect(error).toMatchObject({ code: "ESRCH", syscall: "pidfd_open" });
    expect((error as SystemError).message).toStartWith("ESRCH: no such process, pidfd_open");
  });

  test("the descriptor is close-on-exec (the kernel's doing), and O_NONBLOCK only when asked", () => {
    using self = PidFd.open(process.pid);
    using nonblocking = PidFd.open(process.pid, { nonblocking: true });
    expect(self.pid).toBe(process.pid);
    expect(isCloseOnExec(self.fd)).toBe(true);
    expect(isCloseOnExec(nonblocking.fd)).toBe(true);
    expect(isNonblocking(self.fd)).toBe(false);
    expect(isNonblocking(nonblocking.fd)).toBe(true);
  });

  test("it becomes readable once the child exits, even after Bun has reaped it", async () => {
    const child = spawnSleeper();
    try {
      using pidfd = PidFd.open(child.pid);
      using epoll = new Epoll<string>();
      epoll.add(pidfd.fd, EpollFlags.IN, "child");
      expect(epoll.wait(0).length).toBe(0); // alive: not readable
      pidfd.sendSignal("SIGTERM");
      await child.exited; // Bun reaps the child here
      await Bun.sleep(20); // and the test carries on with other things first
      const events = epoll.wait(1000);
      expect(events.length).toBe(1);
      expect(events.fd(0)).toBe(pidfd.fd);
      expect(events.data(0)).toBe("child");
      expect(events.events(0) & EpollFlags.IN).toBe(EpollFlags.IN);
      expect(epoll.wait(0).length).toBe(1); // level-triggered: it stays readable
      epoll.delete(pidfd.fd);
    } finally {
      await stopChild(child);
    }
  });

  test("a child that exits on its own is reported, and Bun still has its exit status", async () => {
    const child = spawnBun("setTimeout(() => process.exit(3), 50)");
    try {
      using pidfd = PidFd.open(child.pid);
      using epoll = new Epoll();
      epoll.add(pidfd.fd, EpollFlags.IN);
      expect(await child.exited).toBe(3); // PidFd never reaps: Bun keeps the status
      expect(epoll.wait(1000).length).toBe(1);
    } finally {
      await stopChild(child);
    }
  });

  test("arguments are validated before any system call", async () => {
    for (const bad of [0, -1, 1.5, Number.NaN, 2 ** 31]) expect(() => PidFd.open(bad)).toThrow(RangeError);
    for (const bad of ["1", null, undefined, 1n]) expect(() => PidFd.open(bad as unknown as number)).toThrow(TypeError);
    expect(() => PidFd.open(-1)).toThrow(/"pid"/);
    expect(() => PidFd.open(process.pid, null as unknown as object)).toThrow(TypeError);
    expect(() => PidFd.open(process.pid, { nonblocking: "yes" as unknown as boolean })).toThrow(/options\.nonblocking/);
    const child = spawnSleeper();
    try {
      using pidfd = PidFd.open(child.pid);
      for (const bad of ["SIGFOO", "sigterm", "toString", "TERM"]) {
        expect(() => pidfd.sendSignal(bad as NodeJS.Signals)).toThrow(TypeError);
      }
      for (const bad of [null, undefined, {}, 15n]) {
        expect(() => pidfd.sendSignal(bad as unknown as number)).toThrow(TypeError);
      }
      for (const bad of [-1, 1.5, Number.NaN]) expect(() => pidfd.sendSignal(bad)).toThrow(RangeError);
      expect(() => pidfd.sendSignal("SIGFOO" as NodeJS.Signals)).toThrow(/"signal"/);
      // A number the kernel does not know reaches it, and it says EINVAL.
      expect(thrown(() => pidfd.sendSignal(100_000))).toMatchObject({ code: "EINVAL", syscall: "pidfd_send_signal" });
      expect(child.exitCode).toBeNull();
      pidfd.sendSignal(0); // still alive: nothing above was delivered
    } finally {
      await stopChild(child);
    }
  });

  test("the raw system-call fallback (for glibc < 2.36) opens and signals the same way", async () => {
    const calls = pidfdCalls("syscall");
    expect(calls).toBeDefined();
    const child = spawnSleeper();
    try {
      const fd = calls!.open(child.pid, 0);
      expect(fd).toBeGreaterThanOrEqual(0);
      try {
        expect(isCloseOnExec(fd)).toBe(true);
        expect(calls!.sendSignal(fd, osConstants.signals.SIGTERM)).toBe(0);
        await child.exited;
        expect(child.signalCode).toBe("SIGTERM");
        expect(calls!.sendSignal(fd, 0)).toBe(-1);
        expect(errnoName(errno())).toBe("ESRCH");
      } finally {
        closeDescriptor(fd);
      }
      expect(calls!.open(child.pid, 0)).toBe(-1);
      expect(errnoName(errno())).toBe("ESRCH");
    } finally {
      await stopChild(child);
    }
  });

  test("a closed PidFd throws EBADF naming the method, and keeps its pid", () => {
    const pidfd = PidFd.open(process.pid);
    pidfd.close();
    pidfd.close();
    expect(pidfd.closed).toBe(true);
    expect(pidfd.pid).toBe(process.pid);
    const error = thrown(() => pidfd.sendSignal(0));
    expect(error).toBeInstanceOf(SystemError);
    expect(error).toMatchObject({ code: "EBADF", syscall: "PidFd.sendSignal" });
    expect((error as SystemError).message).toContain("PidFd is closed");
  });
});

test.skipIf(supported)("PidFd is ENOTSUP where the platform has no pidfd", () => {
  expect(() => PidFd.open(process.pid)).toThrow(expect.objectContaining({ code: "ENOTSUP", syscall: "PidFd" }));
});
