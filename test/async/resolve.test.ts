// Epoll.waitAsync: what resolves it (readiness made by another thread, by a timer, already there)
// and what a timeout gives (an empty result, never early).
import { expect, test } from "bun:test";
import { Epoll, EpollFlags } from "../../src/epoll/epoll.ts";
import { describeTransports } from "../helpers/async-env.ts";
import { Descriptors, readEventFd, writeBytes, writeEventFd } from "../helpers/descriptors.ts";
import { TestWorker } from "../helpers/workers.ts";

const writer = new URL("./fixtures/writer.ts", import.meta.url);

describeTransports("Epoll.waitAsync resolves", () => {
  test("when another thread makes a descriptor ready, with the instance's own reusable result", async () => {
    using fds = new Descriptors();
    using epoll = new Epoll<string>();
    const efd = fds.eventFd();
    epoll.add(efd, EpollFlags.IN, "from a worker");
    await using worker = new TestWorker(writer);
    const started = performance.now();
    const pending = epoll.waitAsync();
    worker.post({ fd: efd, delayMs: 50 });
    const events = await pending;
    expect(performance.now() - started).toBeGreaterThanOrEqual(45);
    expect(events).toBe(epoll.wait(0));
    expect(readEventFd(efd)).toBe(1);
    // The wait(0) above emptied the shared result; wait again for a fresh report.
    writeEventFd(efd, 2);
    const again = await epoll.waitAsync(1000);
    expect(again.toArray()).toEqual([{ fd: efd, events: EpollFlags.IN, data: "from a worker" }]);
  });

  test("when a timer on this thread writes, while timers and promises keep running", async () => {
    using fds = new Descriptors();
    using epoll = new Epoll<number>();
    const pipe = fds.pipe();
    epoll.add(pipe.read, EpollFlags.IN, 7);
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 5);
    setTimeout(() => writeBytes(pipe.write, 3), 60);
    const events = (await epoll.waitAsync(5000)).toArray();
    clearInterval(ticker);
    expect(events).toEqual([{ fd: pipe.read, events: EpollFlags.IN, data: 7 }]);
    expect(ticks).toBeGreaterThanOrEqual(3);
  });

  test("on the next turn when something is ready already, without waiting for the timeout", async () => {
    using fds = new Descriptors();
    using epoll = new Epoll<string>();
    const efd = fds.eventFd(1);
    epoll.add(efd, EpollFlags.IN, "ready");
    const started = performance.now();
    const events = await epoll.waitAsync(10_000);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(events.data(0)).toBe("ready");
  });

  test("with all the instance's ready descriptors in one batch, up to maxEvents", async () => {
    using fds = new Descriptors();
    using epoll = new Epoll<number>({ maxEvents: 4 });
    const efds = Array.from({ length: 6 }, (_, i) => {
      const efd = fds.eventFd();
      epoll.add(efd, EpollFlags.IN, i);
      return efd;
    });
    await using worker = new TestWorker(writer);
    const pending = epoll.waitAsync(5000);
    worker.post(efds.map((fd) => ({ fd, delayMs: 0 })));
    await worker.next();
    await worker.next();
    await Bun.sleep(10);
    const first = await pending;
    expect(first.length).toBeGreaterThanOrEqual(1);
    expect(first.length).toBeLessThanOrEqual(4);
    const seen = new Set(first.toArray().map((e) => e.data));
    // The rest are not lost: they come with the next waits.
    while (seen.size < 6) for (const { data } of (await epoll.waitAsync(1000)).toArray()) seen.add(data);
    expect([...seen].sort()).toEqual([0, 1, 2, 3, 4, 5]);
  });
});

describeTransports("Epoll.waitAsync timeouts", () => {
  test("resolve with an empty result after the time has passed, never before", async () => {
    using epoll = new Epoll();
    for (const ms of [1, 15, 40]) {
      const started = performance.now();
      const events = await epoll.waitAsync(ms);
      expect(performance.now() - started).toBeGreaterThanOrEqual(ms);
      expect(events.length).toBe(0);
    }
  });

  test("0 polls on the next turn: empty when nothing is ready", async () => {
    using fds = new Descriptors();
    using epoll = new Epoll<string>();
    const efd = fds.eventFd();
    epoll.add(efd, EpollFlags.IN, "x");
    expect((await epoll.waitAsync(0)).length).toBe(0);
    writeEventFd(efd);
    expect((await epoll.waitAsync(0)).data(0)).toBe("x");
  });

  test("fractions round up, never down to a poll", async () => {
    using epoll = new Epoll();
    const started = performance.now();
    expect((await epoll.waitAsync(0.2)).length).toBe(0);
    expect(performance.now() - started).toBeGreaterThanOrEqual(0.9);
  });

  test("an event before the timeout resolves at once with it", async () => {
    using fds = new Descriptors();
    using epoll = new Epoll<string>();
    const efd = fds.eventFd();
    epoll.add(efd, EpollFlags.IN, "early");
    setTimeout(() => writeEventFd(efd), 20);
    const started = performance.now();
    const events = await epoll.waitAsync(5000);
    expect(events.data(0)).toBe("early");
    expect(performance.now() - started).toBeLessThan(2500);
  });

  test("-1, Infinity and no argument wait until an event arrives", async () => {
    using fds = new Descriptors();
    using epoll = new Epoll<string>();
    const efd = fds.eventFd();
    epoll.add(efd, EpollFlags.IN, "forever");
    for (const forever of [-1, Infinity, undefined]) {
      setTimeout(() => writeEventFd(efd), 15);
      expect((await epoll.waitAsync(forever)).data(0)).toBe("forever");
      readEventFd(efd);
    }
  });
});
