import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { constants } from "node:os";
import { Epoll, EpollFlags } from "../../src/epoll/epoll.ts";
import { platform } from "../../src/core/platform.ts";
import { Descriptors } from "../helpers/descriptors.ts";
import { bunCommand, emulated } from "../helpers/env.ts";
import { currentThread } from "../helpers/threads.ts";
import { TestWorker } from "../helpers/workers.ts";

// Timing bounds are loose: CI machines are noisy, and emulation is several times slower still.
const SLACK_MS = emulated ? 5_000 : 300;

function timed<R>(call: () => R): { result: R; elapsed: number } {
  const started = performance.now();
  const result = call();
  return { result, elapsed: performance.now() - started };
}

describe.skipIf(!platform.supports.epoll)("wait timeouts", () => {
  test("wait(0) polls: it returns at once, empty when nothing is ready", () => {
    using epoll = new Epoll();
    const { result, elapsed } = timed(() => epoll.wait(0));
    expect(result.length).toBe(0);
    expect(elapsed).toBeLessThan(SLACK_MS);
  });

  test("wait(0) returns what is ready, and every wait returns the same result object", () => {
    using fds = new Descriptors();
    using epoll = new Epoll<string>();
    const efd = fds.eventFd(1);
    const empty = epoll.wait(0);
    epoll.add(efd, EpollFlags.IN, "ready");
    const ready = epoll.wait(0);
    expect(ready).toBe(empty);
    expect(ready.length).toBe(1);
    expect(ready.data(0)).toBe("ready");
    expect(epoll.wait(-0)).toBe(ready);
  });

  test("a positive timeout waits at least that long when nothing is ready", () => {
    using epoll = new Epoll();
    const { result, elapsed } = timed(() => epoll.wait(50));
    expect(result.length).toBe(0);
    expect(elapsed).toBeGreaterThanOrEqual(49.5);
    expect(elapsed).toBeLessThan(50 + SLACK_MS);
  });

  test("fractions round up, never down to a poll", () => {
    using epoll = new Epoll();
    for (const fraction of [0.001, 0.5, 1.2]) {
      const { result, elapsed } = timed(() => epoll.wait(fraction));
      expect(result.length).toBe(0);
      expect(elapsed).toBeGreaterThanOrEqual(Math.ceil(fraction) - 0.1);
    }
  });

  test("a wait returns as soon as something is ready, long before its timeout", () => {
    using fds = new Descriptors();
    using epoll = new Epoll<string>();
    epoll.add(fds.eventFd(1), EpollFlags.IN, "ready");
    for (const timeout of [5_000, 2 ** 31 - 1, 2 ** 31 + 5, 1e12]) {
      const { result, elapsed } = timed(() => epoll.wait(timeout));
      expect(result.length).toBe(1);
      expect(elapsed).toBeLessThan(SLACK_MS);
    }
  });

  for (const [label, timeout] of [
    ["omitted", undefined],
    ["-1", -1],
    ["Infinity", Infinity],
    ["longer than one kernel call (2^31 ms)", 2 ** 31],
  ] as const) {
    test(`forever (${label}): blocks until another thread makes a descriptor ready`, async () => {
      using fds = new Descriptors();
      using epoll = new Epoll<string>();
      await using writer = new TestWorker(new URL("./fixtures/delayed-write.ts", import.meta.url));
      const efd = fds.eventFd();
      epoll.add(efd, EpollFlags.IN, "woken");
      writer.post({ fd: efd, delayMs: 50 });
      expect(await writer.next()).toBe("ready");
      const { result, elapsed } = timed(() => (timeout === undefined ? epoll.wait() : epoll.wait(timeout)));
      expect(result.length).toBe(1);
      expect(result.data(0)).toBe("woken");
      expect(elapsed).toBeGreaterThanOrEqual(20);
      expect(await writer.next()).toBe("written");
    });
  }

  describe("signals during a wait (EINTR is retried with the time left)", () => {
    const SIGUSR1 = constants.signals.SIGUSR1;
    let received = 0;
    const onSignal = () => void received++;

    beforeEach(() => {
      received = 0;
      process.on("SIGUSR1", onSignal);
    });
    afterEach(() => {
      process.off("SIGUSR1", onSignal);
    });

    async function signalsHandled(count: number): Promise<void> {
      // JS signal handlers run only after the blocking wait has returned.
      for (let i = 0; i < 200 && received < count; i++) await Bun.sleep(10);
    }

    test("signals sent to the waiting thread: the wait still lasts its whole timeout, no error, no events", async () => {
      using epoll = new Epoll();
      await using sender = new TestWorker(new URL("./fixtures/signal-thread.ts", import.meta.url));
      // Three signals, 100 ms apart, into a 400 ms wait: a retry with the full timeout would end
      // past 600 ms, an unretried EINTR at about 100 ms.
      sender.post({ thread: currentThread(), signal: SIGUSR1, delaysMs: [100, 100, 100] });
      expect(await sender.next()).toBe("ready");
      const { result, elapsed } = timed(() => epoll.wait(400));
      expect(result.length).toBe(0);
      expect(elapsed).toBeGreaterThanOrEqual(399);
      expect(elapsed).toBeLessThan(emulated ? 400 + SLACK_MS : 650); // a full-timeout retry would end near 700
      expect(await sender.next()).toBe("sent");
      await signalsHandled(1);
      expect(received).toBeGreaterThanOrEqual(1);
    });

    test("a signal from another process: the wait neither throws nor ends early", async () => {
      using epoll = new Epoll();
      // The child says it is ready, then signals this process after 100 ms. A process-directed
      // signal may land on any thread of the runtime, so EINTR itself is not asserted: only that
      // the wait behaves the same either way.
      const script = `process.stdout.write("ready\\n"); setTimeout(() => process.kill(${process.pid}, "SIGUSR1"), 100);`;
      const child = Bun.spawn(bunCommand("-e", script), { stdout: "pipe", stderr: "inherit" });
      const reader = child.stdout.getReader();
      const first = await reader.read();
      expect(new TextDecoder().decode(first.value)).toContain("ready");
      const { result, elapsed } = timed(() => epoll.wait(400));
      expect(result.length).toBe(0);
      expect(elapsed).toBeGreaterThanOrEqual(399);
      expect(elapsed).toBeLessThan(400 + SLACK_MS * 2);
      while (!(await reader.read()).done);
      expect(await child.exited).toBe(0);
      await signalsHandled(1);
      expect(received).toBe(1);
    });

    test("a signal during a forever wait: the wait goes on until an event", async () => {
      using fds = new Descriptors();
      using epoll = new Epoll<string>();
      await using sender = new TestWorker(new URL("./fixtures/signal-thread.ts", import.meta.url));
      await using writer = new TestWorker(new URL("./fixtures/delayed-write.ts", import.meta.url));
      const efd = fds.eventFd();
      epoll.add(efd, EpollFlags.IN, "after the signal");
      sender.post({ thread: currentThread(), signal: SIGUSR1, delaysMs: [50] });
      writer.post({ fd: efd, delayMs: 200 });
      expect(await sender.next()).toBe("ready");
      expect(await writer.next()).toBe("ready");
      const { result, elapsed } = timed(() => epoll.wait(-1));
      expect(result.length).toBe(1);
      expect(result.data(0)).toBe("after the signal");
      expect(elapsed).toBeGreaterThanOrEqual(100);
      expect(await sender.next()).toBe("sent");
      expect(await writer.next()).toBe("written");
      await signalsHandled(1);
      expect(received).toBe(1);
    });
  });
});
