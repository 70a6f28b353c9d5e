// The readiness thread with an outer *kqueue*, as macOS and FreeBSD use it for their native
// kqueues. On Linux it runs over libkqueue, watching Epoll instances (libkqueue can watch an epoll
// descriptor, though not a kqueue one), so the kqueue half of the engine is exercised here too.
import { afterAll, describe, expect, test } from "bun:test";
import { AsyncWaiter, ReadinessEngine } from "../../../src/async/index.ts";
import { openKqueueOuter } from "../../../src/async/readiness-thread/outer-kqueue.ts";
import { Epoll, EpollFlags } from "../../../src/epoll/epoll.ts";
import { EpollEvents } from "../../../src/epoll/epoll-events.ts";
import { platform } from "../../../src/core/platform.ts";
import { Descriptors, readEventFd, writeEventFd } from "../../helpers/descriptors.ts";
import { holdKqueueRuntime, libkqueuePath } from "../../helpers/kqueue-env.ts";
import { TestWorker } from "../../helpers/workers.ts";

holdKqueueRuntime();

const writer = new URL("../fixtures/writer.ts", import.meta.url);
// Linux with libkqueue: the outer is libkqueue's. macOS/FreeBSD: the native one (no Epoll there,
// so these tests skip; the platform's own Kqueue tests in kqueue.test.ts use this engine).
const runnable = platform.supports.epoll && libkqueuePath !== undefined;
const skipNote = runnable ? "" : " [skipped: needs Linux and BUNIX_LIBKQUEUE]";

let engine: ReadinessEngine | undefined;
afterAll(async () => {
  await engine?.shutdown();
});

/** An async waiter for `epoll` served by the kqueue-outer engine. */
function waiterFor<T>(epoll: Epoll<T>): AsyncWaiter<EpollEvents<T>> {
  engine ??= new ReadinessEngine(() => openKqueueOuter(libkqueuePath));
  const shared = engine;
  return new AsyncWaiter<EpollEvents<T>>("Epoll", epoll, (onReady, onError) => shared.watch(epoll.fd, onReady, onError));
}

describe.skipIf(!runnable)(`the readiness thread over an outer kqueue${skipNote}`, () => {
  test("reports readiness made by another thread, once per arm, and times out", async () => {
    using fds = new Descriptors();
    const epoll = new Epoll<string>();
    const waiter = waiterFor(epoll);
    try {
      const efd = fds.eventFd();
      epoll.add(efd, EpollFlags.IN | EpollFlags.ET, "nested");
      await using worker = new TestWorker(writer);
      for (let round = 0; round < 3; round++) {
        const pending = waiter.waitAsync(5000, undefined);
        worker.post({ fd: efd, delayMs: 10 });
        expect((await pending).toArray()).toEqual([{ fd: efd, events: EpollFlags.IN, data: "nested" }]);
        await worker.next();
        await worker.next();
      }
      expect(engine!.threads).toBe(1);
      const started = performance.now();
      expect((await waiter.waitAsync(30, undefined)).length).toBe(0);
      expect(performance.now() - started).toBeGreaterThanOrEqual(30);
      expect(readEventFd(efd)).toBe(3);
    } finally {
      waiter.close();
      epoll.close();
    }
  });

  test("many instances at once; abort and close behave as with the epoll outer", async () => {
    using fds = new Descriptors();
    const epolls = Array.from({ length: 6 }, () => new Epoll<number>());
    const waiters = epolls.map((epoll) => waiterFor(epoll));
    try {
      const efds = epolls.map((epoll, i) => {
        const efd = fds.eventFd();
        epoll.add(efd, EpollFlags.IN, i);
        return efd;
      });
      const controller = new AbortController();
      const aborted = waiters[0]!.waitAsync(-1, { signal: controller.signal }).catch((e: DOMException) => e.name);
      const closed = waiters[1]!.waitAsync(-1, undefined).catch((e: { code: string }) => e.code);
      const others = waiters.slice(2).map((waiter) => waiter.waitAsync(5000, undefined).then((events) => events.data(0)));
      await Bun.sleep(20);
      expect(engine!.waiting).toBe(6);
      controller.abort();
      waiters[1]!.close();
      epolls[1]!.close();
      for (const efd of efds.slice(2).reverse()) writeEventFd(efd);
      expect(await aborted).toBe("AbortError");
      expect(await closed).toBe("EBADF");
      expect(await Promise.all(others)).toEqual([2, 3, 4, 5]);
      // The aborted instance lost nothing.
      writeEventFd(efds[0]!);
      expect((await waiters[0]!.waitAsync(1000, undefined)).data(0)).toBe(0);
    } finally {
      for (const waiter of waiters) waiter.close();
      for (const epoll of epolls) epoll.close();
    }
  });

  test("stops with its descriptors closed when shut down", async () => {
    using epoll = new Epoll();
    const waiter = waiterFor(epoll);
    expect((await waiter.waitAsync(5, undefined)).length).toBe(0);
    expect(engine!.running).toBe(true);
    await engine!.shutdown();
    expect(engine!.threads).toBe(0);
    waiter.close();
  });
});
