// Poller.waitAsync, delegated to its backend's Epoll or Kqueue (see src/async/index.ts). Runs on
// every backend present once the Poller has the method; skipped visibly until then.
import { describe, expect, test } from "bun:test";
import { Interest, Poller } from "../../src/poller/index.ts";
import { platform } from "../../src/core/platform.ts";
import { Descriptors, readEventFd, writeEventFd } from "../helpers/descriptors.ts";
import { holdKqueueRuntime, libkqueuePath } from "../helpers/kqueue-env.ts";

holdKqueueRuntime();

type PollerWithAsync<T> = Poller<T> & {
  waitAsync(timeoutMs?: number, options?: { signal?: AbortSignal }): Promise<ReturnType<Poller<T>["wait"]>>;
};

const wired = typeof (Poller.prototype as Partial<PollerWithAsync<unknown>>).waitAsync === "function";
const backends: { name: string; make: <T>() => PollerWithAsync<T> }[] = [];
if (platform.backend !== "none") backends.push({ name: platform.backend, make: <T>() => new Poller<T>() as PollerWithAsync<T> });
if (platform.backend === "epoll" && libkqueuePath !== undefined) {
  backends.push({ name: "kqueue (libkqueue)", make: <T>() => new Poller<T>({ library: libkqueuePath }) as PollerWithAsync<T> });
}

for (const { name, make } of backends) {
  describe.skipIf(!wired)(`Poller.waitAsync on ${name}${wired ? "" : " [skipped: Poller has no waitAsync yet]"}`, () => {
    test("resolves with the Poller's events when a descriptor becomes ready, and times out empty", async () => {
      using fds = new Descriptors();
      using poller = make<string>();
      const efd = fds.eventFd();
      poller.add(efd, Interest.READABLE, "efd");
      setTimeout(() => writeEventFd(efd), 20);
      const events = await poller.waitAsync(5000);
      expect(events.toArray().map((e) => ({ fd: e.fd, data: e.data, readable: e.readable }))).toEqual([{ fd: efd, data: "efd", readable: true }]);
      readEventFd(efd);
      const started = performance.now();
      expect((await poller.waitAsync(25)).length).toBe(0);
      expect(performance.now() - started).toBeGreaterThanOrEqual(25);
      poller.delete(efd);
    });

    test("timers resolve it; a wake() ends it, possibly empty", async () => {
      using poller = make<string>();
      poller.addTimer(15, {}, "timer");
      expect((await poller.waitAsync(5000)).data(0)).toBe("timer");
      const waker = poller.waker();
      setTimeout(() => waker.wake(), 15);
      const started = performance.now();
      const events = await poller.waitAsync(5000);
      expect(performance.now() - started).toBeLessThan(2500);
      expect(events.length).toBe(0);
    });

    test("abort rejects with the reason, close with EBADF; nothing is lost", async () => {
      using fds = new Descriptors();
      const poller = make<string>();
      const efd = fds.eventFd();
      poller.add(efd, Interest.READABLE, "kept", { mode: "edge" });
      const controller = new AbortController();
      const aborted = poller.waitAsync(-1, { signal: controller.signal }).catch((e: unknown) => e);
      await Bun.sleep(10);
      writeEventFd(efd);
      controller.abort("stop");
      expect(await aborted).toBe("stop");
      expect((await poller.waitAsync(1000)).data(0)).toBe("kept");
      const closed = poller.waitAsync().catch((e: { code: string }) => e.code);
      await Bun.sleep(10);
      poller.delete(efd);
      poller.close();
      expect(await closed).toBe("EBADF");
    });
  });
}
