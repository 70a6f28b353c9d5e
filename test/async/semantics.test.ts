// Epoll.waitAsync keeps the synchronous API's semantics: edge-triggered and one-shot registrations
// lose and repeat nothing across async waits, sync and async waits mix, many instances wait at
// once, and the busy-poll mode behaves the same. On both transports: Bun's event loop and the readiness thread.
import { describe, expect, test } from "bun:test";
import { asyncHelperThreads, existingReadinessEngine } from "../../src/async/index.ts";
import { Epoll, EpollFlags } from "../../src/epoll/epoll.ts";
import { platform } from "../../src/core/platform.ts";
import { describeTransports, waitingInstances } from "../helpers/async-env.ts";
import { Descriptors, readBytes, readEventFd, writeBytes, writeEventFd } from "../helpers/descriptors.ts";
import { TestWorker } from "../helpers/workers.ts";

const writer = new URL("./fixtures/writer.ts", import.meta.url);
const { IN, ET, ONESHOT } = EpollFlags;

describeTransports("Epoll.waitAsync semantics", (transport) => {
  test("edge-triggered: each edge is delivered once, none is lost between async waits", async () => {
    using fds = new Descriptors();
    using epoll = new Epoll<string>();
    const pipe = fds.pipe();
    epoll.add(pipe.read, IN | ET, "edge");
    await using worker = new TestWorker(writer);
    for (let round = 0; round < 5; round++) {
      const pending = epoll.waitAsync(5000);
      worker.post({ fd: pipe.write, delayMs: 5, bytes: 1 });
      expect((await pending).toArray()).toEqual([{ fd: pipe.read, events: IN, data: "edge" }]);
      await worker.next();
      await worker.next();
      // Unread data, no new edge: nothing more, neither sync nor async.
      expect(epoll.wait(0).length).toBe(0);
      expect((await epoll.waitAsync(15)).length).toBe(0);
    }
    expect(readBytes(pipe.read)).toBe(5);
  });

  test("edge-triggered: an edge that comes while no wait is pending waits for the next one", async () => {
    using fds = new Descriptors();
    using epoll = new Epoll<string>();
    const efd = fds.eventFd();
    epoll.add(efd, IN | ET, "later");
    expect((await epoll.waitAsync(10)).length).toBe(0);
    writeEventFd(efd);
    await Bun.sleep(20);
    expect((await epoll.waitAsync(1000)).toArray()).toEqual([{ fd: efd, events: IN, data: "later" }]);
    expect((await epoll.waitAsync(10)).length).toBe(0);
  });

  test("one-shot: reported once, then silent until modify re-arms it, with its data", async () => {
    using fds = new Descriptors();
    using epoll = new Epoll<string>();
    const efd = fds.eventFd();
    epoll.add(efd, IN | ONESHOT, "job");
    setTimeout(() => writeEventFd(efd), 10);
    expect((await epoll.waitAsync(5000)).toArray()).toEqual([{ fd: efd, events: IN, data: "job" }]);
    // Still readable (never read), but disarmed: neither kind of wait reports it.
    expect((await epoll.waitAsync(20)).length).toBe(0);
    expect(epoll.wait(0).length).toBe(0);
    epoll.modify(efd, IN | ONESHOT);
    expect((await epoll.waitAsync(1000)).data(0)).toBe("job");
    expect((await epoll.waitAsync(10)).length).toBe(0);
  });

  test("sync and async waits alternate on one instance", async () => {
    using fds = new Descriptors();
    using epoll = new Epoll<number>();
    const efd = fds.eventFd();
    epoll.add(efd, IN, 1);
    for (let i = 0; i < 10; i++) {
      writeEventFd(efd);
      if (i % 2 === 0) expect(epoll.wait(100).data(0)).toBe(1);
      else expect((await epoll.waitAsync(100)).data(0)).toBe(1);
      expect(readEventFd(efd)).toBe(1);
      expect(epoll.wait(0).length).toBe(0);
      expect((await epoll.waitAsync(0)).length).toBe(0);
    }
  });

  test("a sync wait while an async one is pending takes the events; the async one goes on waiting", async () => {
    using fds = new Descriptors();
    using epoll = new Epoll<string>();
    const a = fds.eventFd();
    const b = fds.eventFd();
    epoll.add(a, IN | ET, "a");
    epoll.add(b, IN | ET, "b");
    const pending = epoll.waitAsync(5000);
    await Bun.sleep(10);
    writeEventFd(a);
    expect(epoll.wait(100).data(0)).toBe("a");
    let settled = false;
    void pending.then(() => (settled = true));
    await Bun.sleep(30);
    expect(settled).toBe(false);
    writeEventFd(b);
    expect((await pending).toArray()).toEqual([{ fd: b, events: IN, data: "b" }]);
  });

  test("many instances wait at once (on one helper thread, or none), each resolving with its own data", async () => {
    using fds = new Descriptors();
    const count = 20;
    const waiting = waitingInstances(fds, count);
    const { efds, pending } = waiting;
    try {
      await Bun.sleep(10);
      expect(asyncHelperThreads()).toBe(transport.threaded ? 1 : 0);
      expect(existingReadinessEngine()?.waiting ?? 0).toBe(transport.threaded ? count : 0);
      // Made ready from another thread in a scrambled order.
      const order = efds.map((fd, i) => ({ fd, delayMs: 1, key: (i * 7) % count })).sort((x, y) => x.key - y.key);
      await using worker = new TestWorker(writer);
      worker.post(order.map(({ fd, delayMs }) => ({ fd, delayMs })));
      const results = await Promise.all(pending);
      results.forEach((events, i) => expect(events).toEqual([{ fd: efds[i]!, events: IN, data: i }]));
      expect(existingReadinessEngine()?.waiting ?? 0).toBe(0);
    } finally {
      waiting.close();
    }
  });

  test("instances that are never ready do not hold up the others", async () => {
    using fds = new Descriptors();
    using idle = new Epoll();
    using busy = new Epoll<string>();
    idle.add(fds.eventFd(), IN);
    const efd = fds.eventFd();
    busy.add(efd, IN, "busy");
    const idleWait = idle.waitAsync(300);
    for (let i = 0; i < 5; i++) {
      setTimeout(() => writeEventFd(efd), 2);
      expect((await busy.waitAsync(1000)).data(0)).toBe("busy");
      readEventFd(efd);
    }
    expect((await idleWait).length).toBe(0);
  });
});

describe.skipIf(!platform.supports.epoll)("Epoll.waitAsync with busyPoll", () => {
  test("resolves on readiness from another thread, times out, aborts and closes like the default", async () => {
    using fds = new Descriptors();
    const epoll = new Epoll<string>();
    const pipe = fds.pipe();
    epoll.add(pipe.read, IN | ET, "busy");
    await using worker = new TestWorker(writer);
    const pending = epoll.waitAsync(5000, { busyPoll: true });
    worker.post({ fd: pipe.write, delayMs: 20, bytes: 2 });
    expect((await pending).toArray()).toEqual([{ fd: pipe.read, events: IN, data: "busy" }]);
    const started = performance.now();
    expect((await epoll.waitAsync(25, { busyPoll: true })).length).toBe(0);
    expect(performance.now() - started).toBeGreaterThanOrEqual(25);
    const controller = new AbortController();
    const aborted = epoll.waitAsync(-1, { busyPoll: true, signal: controller.signal });
    setTimeout(() => controller.abort(), 10);
    expect(((await aborted.catch((e: unknown) => e)) as DOMException).name).toBe("AbortError");
    writeBytes(pipe.write, 1);
    const closing = epoll.waitAsync(-1, { busyPoll: true });
    // The edge above was not consumed by anyone: the busy poll finds it on its first turn.
    expect((await closing).data(0)).toBe("busy");
    const closed = epoll.waitAsync(-1, { busyPoll: true });
    epoll.close();
    expect(await closed.catch((e: { code: string }) => e.code)).toBe("EBADF");
  });

  test("no helper thread is started for it", async () => {
    using fds = new Descriptors();
    using epoll = new Epoll();
    const efd = fds.eventFd();
    epoll.add(efd, IN);
    const before = existingReadinessEngine()?.threads ?? 0;
    setTimeout(() => writeEventFd(efd), 10);
    expect((await epoll.waitAsync(1000, { busyPoll: true })).length).toBe(1);
    expect(existingReadinessEngine()?.threads ?? 0).toBeLessThanOrEqual(before);
  });
});
