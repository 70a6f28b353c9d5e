import { describe, expect, test } from "bun:test";
import { Epoll, EpollFlags } from "../../src/epoll/epoll.ts";
import { platform } from "../../src/core/platform.ts";
import { listOpenFds } from "../../src/testing/index.ts";
import { Descriptors, writeEventFd } from "../helpers/descriptors.ts";
import { TestWorker } from "../helpers/workers.ts";

const fixture = new URL("./fixtures/epoll-worker.ts", import.meta.url);

function isEpollFd(fd: number): boolean {
  return listOpenFds().some((open) => open.fd === fd && open.target.includes("eventpoll"));
}

describe.skipIf(!platform.supports.epoll)("Epoll in a Worker", () => {
  test("a Worker makes, uses and closes its own Epoll; nothing stays open after terminate", async () => {
    let epollFd = -1;
    {
      await using worker = new TestWorker(fixture);
      worker.post({ kind: "own" });
      const reply = (await worker.next()) as { epollFd: number; events: unknown[] };
      expect(reply.events).toEqual([{ fd: "eventfd", events: EpollFlags.IN, data: "inside the worker" }]);
      epollFd = reply.epollFd;
      expect(epollFd).toBeGreaterThanOrEqual(0);
    }
    expect(isEpollFd(epollFd)).toBe(false);
  });

  test("a Worker blocked in wait() is woken by the main thread making its descriptor ready", async () => {
    using fds = new Descriptors();
    const efd = fds.eventFd();
    await using worker = new TestWorker(fixture);
    worker.post({ kind: "shared", fd: efd, timeoutMs: 10_000 });
    const { waiting } = (await worker.next()) as { waiting: number };
    expect(isEpollFd(waiting)).toBe(true);
    // The main thread's event loop keeps running while the Worker blocks.
    const ticks = await new Promise<number>((resolve) => {
      let count = 0;
      const timer = setInterval(() => {
        if (++count === 5) {
          clearInterval(timer);
          resolve(count);
        }
      }, 10);
    });
    expect(ticks).toBe(5);
    writeEventFd(efd, 1);
    const { events, elapsed } = (await worker.next()) as { events: unknown[]; elapsed: number };
    expect(events).toEqual([{ fd: efd, events: EpollFlags.IN, data: "from the main thread" }]);
    expect(elapsed).toBeGreaterThanOrEqual(40);
    expect(elapsed).toBeLessThan(10_000);
    expect(await worker.next()).toBe("closed");
    expect(isEpollFd(waiting)).toBe(false);
  });

  test("instances on different threads keep their data apart", async () => {
    using fds = new Descriptors();
    using epoll = new Epoll<string>();
    const efd = fds.eventFd();
    epoll.add(efd, EpollFlags.IN, "main");
    await using worker = new TestWorker(fixture);
    worker.post({ kind: "shared", fd: efd, timeoutMs: 10_000 });
    await worker.next();
    writeEventFd(efd, 1);
    const { events } = (await worker.next()) as { events: { data: string }[] };
    expect(events.map((e) => e.data)).toEqual(["from the main thread"]);
    expect(epoll.wait(0).toArray()).toEqual([{ fd: efd, events: EpollFlags.IN, data: "main" }]);
    expect(await worker.next()).toBe("closed");
  });
});
