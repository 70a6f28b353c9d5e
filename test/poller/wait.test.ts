// wait(): timeouts with nothing ready, with nothing registered, argument checks, and a signal in
// the middle of a wait (CPython's test_select_interrupt_noraise); once per backend.
import { expect, test } from "bun:test";
import { constants } from "node:os";
import { Interest } from "../../src/poller/index.ts";
import { Descriptors } from "../helpers/descriptors.ts";
import { emulated } from "../helpers/env.ts";
import { describeEachBackend, openPoller } from "../helpers/poller-backends.ts";
import { thrown } from "../helpers/poller-expect.ts";
import { currentThread } from "../helpers/threads.ts";
import { TestWorker } from "../helpers/workers.ts";

const SLACK_MS = emulated ? 5_000 : 300;
const worker = new URL("./fixtures/poller-worker.ts", import.meta.url);

function timed<R>(call: () => R): { result: R; elapsed: number } {
  const started = performance.now();
  const result = call();
  return { result, elapsed: performance.now() - started };
}

describeEachBackend("Poller.wait", (backend) => {
  test("wait(0) with nothing registered returns at once, empty", () => {
    using poller = openPoller(backend);
    const { result, elapsed } = timed(() => poller.wait(0));
    expect(result.length).toBe(0);
    expect(elapsed).toBeLessThan(SLACK_MS);
  });

  test("a wait with nothing registered lasts its timeout and returns empty", () => {
    using poller = openPoller(backend);
    const { result, elapsed } = timed(() => poller.wait(60));
    expect(result.length).toBe(0);
    expect(elapsed).toBeGreaterThanOrEqual(59);
    expect(elapsed).toBeLessThan(60 + SLACK_MS);
  });

  test("an empty wait honours its timeout with idle descriptors registered", () => {
    using fds = new Descriptors();
    using poller = openPoller(backend);
    const [a] = fds.socketPair();
    poller.add(a, Interest.READABLE);
    poller.add(fds.eventFd(), Interest.READABLE);
    const { result, elapsed } = timed(() => poller.wait(80));
    expect(result.length).toBe(0);
    expect(elapsed).toBeGreaterThanOrEqual(79);
    expect(elapsed).toBeLessThan(80 + SLACK_MS);
  });

  test("a fractional timeout is rounded up, never down to a busy poll", () => {
    using poller = openPoller(backend);
    const { elapsed } = timed(() => poller.wait(20.2));
    expect(elapsed).toBeGreaterThanOrEqual(20);
  });

  test("-1 and Infinity wait until something is ready", () => {
    using fds = new Descriptors();
    using poller = openPoller<string>(backend);
    poller.add(fds.eventFd(1), Interest.READABLE, "ready");
    expect(poller.wait(-1).data(0)).toBe("ready");
    expect(poller.wait(Number.POSITIVE_INFINITY).data(0)).toBe("ready");
    expect(poller.wait().data(0)).toBe("ready");
  });

  test("bad timeouts are rejected before waiting", () => {
    using poller = openPoller(backend);
    expect(() => poller.wait(-2)).toThrow(RangeError);
    expect(() => poller.wait(Number.NaN)).toThrow(RangeError);
    expect(() => poller.wait("10" as unknown as number)).toThrow(TypeError);
    expect(() => poller.wait(null as unknown as number)).toThrow(TypeError);
  });

  test("wait on a closed Poller is EBADF from Poller.wait", () => {
    const poller = openPoller(backend);
    poller.close();
    expect(thrown(() => poller.wait(0))).toMatchObject({ name: "SystemError", code: "EBADF", syscall: "Poller.wait" });
  });

  test("signals sent to the waiting thread: the wait still lasts its whole timeout", async () => {
    const SIGUSR1 = constants.signals.SIGUSR1;
    let received = 0;
    const onSignal = () => void received++;
    process.on("SIGUSR1", onSignal);
    try {
      using poller = openPoller(backend);
      await using sender = new TestWorker(worker);
      sender.post({ kind: "signal", thread: currentThread(), signal: SIGUSR1, delaysMs: [100, 100] });
      expect(await sender.next()).toBe("ready");
      const { result, elapsed } = timed(() => poller.wait(350));
      expect(result.length).toBe(0);
      expect(elapsed).toBeGreaterThanOrEqual(349);
      expect(elapsed).toBeLessThan(emulated ? 350 + SLACK_MS : 600); // a full-timeout retry would end past 550
      expect(await sender.next()).toBe("sent");
      for (let i = 0; i < 200 && received === 0; i++) await Bun.sleep(10);
      expect(received).toBeGreaterThanOrEqual(1);
    } finally {
      process.off("SIGUSR1", onSignal);
    }
  });
});
