// The Waker: coalescing, never an entry, from another Worker while this thread is blocked (and the
// other way round), transfer(), and safety after the Poller is closed; once per backend.
import { expect, test } from "bun:test";
import { Interest, Waker, type WakerTransfer } from "../../src/poller/index.ts";
import { Descriptors, readEventFd } from "../helpers/descriptors.ts";
import { emulated } from "../helpers/env.ts";
import { describeEachBackend, openPoller } from "../helpers/poller-backends.ts";
import { expectNoEntries, thrown } from "../helpers/poller-expect.ts";
import { TestWorker } from "../helpers/workers.ts";

const SLACK_MS = emulated ? 5_000 : 300;
const workerScript = new URL("./fixtures/poller-worker.ts", import.meta.url);

function timed<R>(call: () => R): { result: R; elapsed: number } {
  const started = performance.now();
  const result = call();
  return { result, elapsed: performance.now() - started };
}

describeEachBackend("Poller waker", (backend) => {
  test("waker() returns the same Waker every time", () => {
    using poller = openPoller(backend);
    const waker = poller.waker();
    expect(poller.waker()).toBe(waker);
    expect(waker).toBeInstanceOf(Waker);
    expect(waker.closed).toBe(false);
  });

  test("wakes before a wait coalesce: one early return with no entries, then a full wait", () => {
    using poller = openPoller(backend);
    const waker = poller.waker();
    waker.wake();
    waker.wake();
    waker.wake();
    const first = timed(() => poller.wait(5_000));
    expect(first.result.length).toBe(0);
    expect(first.elapsed).toBeLessThan(SLACK_MS);
    const second = timed(() => poller.wait(60));
    expect(second.result.length).toBe(0);
    expect(second.elapsed).toBeGreaterThanOrEqual(59);
  });

  test("a wake never appears as an entry beside real ones", () => {
    using fds = new Descriptors();
    using poller = openPoller<string>(backend);
    const efd = fds.eventFd(1);
    poller.add(efd, Interest.READABLE, "real");
    poller.addTimer(0, {}, "timer");
    const waker = poller.waker();
    Bun.sleepSync(2);
    waker.wake();
    const seen: (string | undefined)[] = [];
    for (let round = 0; round < 3; round++) for (const entry of poller.wait(0)) seen.push(entry.data);
    expect(seen.filter((data) => data === "timer")).toEqual(["timer"]);
    expect(seen.every((data) => data === "real" || data === "timer")).toBe(true);
    poller.delete(efd);
  });

  test("a Worker's wake ends a wait blocking this thread", async () => {
    using poller = openPoller(backend);
    await using worker = new TestWorker(workerScript);
    worker.post({ kind: "wake", transfer: poller.waker().transfer(), delaysMs: [100] });
    expect(await worker.next()).toBe("ready");
    const { result, elapsed } = timed(() => poller.wait(10_000));
    expect(result.length).toBe(0);
    expect(elapsed).toBeGreaterThanOrEqual(50);
    expect(elapsed).toBeLessThan(100 + SLACK_MS);
    expect(await worker.next()).toBe("woken");
  });

  test("this thread's wake ends a wait blocking a Worker on its own Poller", async () => {
    await using worker = new TestWorker(workerScript);
    worker.post({ kind: "wait", options: backend.options, timeoutMs: 10_000 });
    const { transfer } = (await worker.next()) as { transfer: WakerTransfer };
    expect(transfer.kind).toBe(backend.name === "epoll" ? "eventfd" : "kqueue");
    await Bun.sleep(50); // let it block
    const remote = Waker.from(transfer);
    remote.wake();
    const { length, elapsed } = (await worker.next()) as { length: number; elapsed: number };
    expect(length).toBe(0);
    expect(elapsed).toBeLessThan(10_000);
    expect(await worker.next()).toBe("closed");
    // The Worker closed its Poller: the shared state says so here too.
    expect(remote.closed).toBe(true);
    expect(thrown(() => remote.wake())).toMatchObject({ name: "SystemError", code: "EBADF", syscall: "Waker.wake" });
  });

  test("transfer() is a plain, structured-clonable object; Waker.from of a copy wakes the same Poller", () => {
    using poller = openPoller(backend);
    const transfer = poller.waker().transfer();
    expect(Object.getPrototypeOf(transfer)).toBe(Object.prototype);
    expect(transfer.state).toBeInstanceOf(SharedArrayBuffer);
    if (transfer.kind === "eventfd") {
      expect(transfer.fd).toBeGreaterThanOrEqual(0);
    } else {
      expect(transfer.kqfd).toBe(poller.fd);
      expect(Number.isSafeInteger(transfer.ident)).toBe(true);
      expect(transfer.library).toBe(backend.options.library);
    }
    const copy = Waker.from(structuredClone(transfer));
    copy.wake();
    const { result, elapsed } = timed(() => poller.wait(5_000));
    expect(result.length).toBe(0);
    expect(elapsed).toBeLessThan(SLACK_MS);
  });

  test("after close, wake() throws EBADF on every copy, and nothing is written", () => {
    using fds = new Descriptors();
    const poller = openPoller(backend);
    const waker = poller.waker();
    const copy = Waker.from(waker.transfer());
    const number = backend.name === "epoll" ? (waker.transfer() as { fd: number }).fd : poller.fd;
    poller.close();
    expect(waker.closed).toBe(true);
    expect(copy.closed).toBe(true);
    // The number is free now; take it, and check that no wake reaches it.
    const reused = fds.eventFd();
    const tookNumber = reused === number;
    for (const w of [waker, copy]) {
      const error = thrown(() => w.wake());
      expect(error).toMatchObject({ name: "SystemError", code: "EBADF", syscall: "Waker.wake" });
      expect((error as Error).message).toBe("EBADF: the Poller of this Waker is closed, Waker.wake");
    }
    if (tookNumber) expect(readEventFd(reused)).toBe(0);
    expect(thrown(() => poller.waker())).toMatchObject({ code: "EBADF", syscall: "Poller.waker" });
  });

  test("a Worker waking in a loop while the Poller closes stops with EBADF and never touches the reused number", async () => {
    using fds = new Descriptors();
    const poller = openPoller(backend);
    const transfer = poller.waker().transfer();
    await using worker = new TestWorker(workerScript);
    worker.post({ kind: "wake-loop", transfer });
    expect(await worker.next()).toBe("ready");
    await Bun.sleep(30);
    poller.close(); // waits for a wake in progress, then closes the descriptor
    const reused = fds.eventFd(); // most likely the number the waker wrote to
    const { error, wakes } = (await worker.next()) as { error: { code: string; syscall: string }; wakes: number };
    expect(error).toMatchObject({ code: "EBADF", syscall: "Waker.wake" });
    expect(wakes).toBeGreaterThan(0);
    expect(readEventFd(reused)).toBe(0);
  });

  test("Waker.from rejects what transfer() did not make", () => {
    const state = new SharedArrayBuffer(8);
    expect(() => Waker.from(null as unknown as WakerTransfer)).toThrow(TypeError);
    expect(() => Waker.from({ kind: "eventfd", fd: 3 } as unknown as WakerTransfer)).toThrow(TypeError);
    expect(() => Waker.from({ kind: "eventfd", fd: 3, state: new ArrayBuffer(8) } as unknown as WakerTransfer)).toThrow(TypeError);
    expect(() => Waker.from({ kind: "eventfd", fd: 3, state: new SharedArrayBuffer(4) })).toThrow(TypeError);
    expect(() => Waker.from({ kind: "pipe", fd: 3, state } as unknown as WakerTransfer)).toThrow(TypeError);
    expect(() => Waker.from({ kind: "eventfd", fd: -1, state })).toThrow(RangeError);
    expect(() => Waker.from({ kind: "eventfd", fd: "3" as unknown as number, state })).toThrow(TypeError);
    expect(() => Waker.from({ kind: "kqueue", kqfd: 3, ident: 1.5, state })).toThrow(RangeError);
    expect(() => Waker.from({ kind: "kqueue", kqfd: 3, ident: 1, library: 7 as unknown as string, state })).toThrow(TypeError);
  });

  test("a waker made after registrations does not disturb them", () => {
    using fds = new Descriptors();
    using poller = openPoller<string>(backend);
    const efd = fds.eventFd(1);
    poller.add(efd, Interest.READABLE, "before");
    poller.waker().wake();
    const entries = poller.wait(1000).toArray();
    expect(entries.map((entry) => entry.data)).toEqual(["before"]);
    poller.delete(efd);
    expectNoEntries(poller); // the wake was consumed with that batch
  });
});
