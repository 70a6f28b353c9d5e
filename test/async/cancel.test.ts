// Epoll.waitAsync cancelled: an AbortSignal (before and while pending), close() while pending,
// and every error reported as a rejection, never a throw. Nothing is lost either way.
import { expect, test } from "bun:test";
import { Epoll, EpollFlags } from "../../src/epoll/epoll.ts";
import { SystemError } from "../../src/core/errors.ts";
import { describeTransports } from "../helpers/async-env.ts";
import { Descriptors, writeEventFd } from "../helpers/descriptors.ts";
import { TestWorker } from "../helpers/workers.ts";

const writer = new URL("./fixtures/writer.ts", import.meta.url);

/** The settled state of `promise` after `ms` (or as soon as it settles). */
async function settledWithin<T>(promise: Promise<T>, ms: number): Promise<"pending" | { value: T } | { error: unknown }> {
  return Promise.race([
    promise.then((value) => ({ value }), (error: unknown) => ({ error })),
    Bun.sleep(ms).then(() => "pending" as const),
  ]);
}

describeTransports("Epoll.waitAsync with an AbortSignal", () => {
  test("an already-aborted signal rejects at once with its reason (AbortError by default)", async () => {
    using epoll = new Epoll();
    const error = await epoll.waitAsync(-1, { signal: AbortSignal.abort() }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DOMException);
    expect((error as DOMException).name).toBe("AbortError");
    const reason = new Error("stop");
    expect(epoll.waitAsync(-1, { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
  });

  test("aborting while pending rejects with the reason; the event that came meanwhile is not lost", async () => {
    using fds = new Descriptors();
    using epoll = new Epoll<string>();
    const efd = fds.eventFd();
    epoll.add(efd, EpollFlags.IN | EpollFlags.ET, "edge");
    const controller = new AbortController();
    const pending = epoll.waitAsync(-1, { signal: controller.signal });
    expect(await settledWithin(pending, 20)).toBe("pending");
    // The edge happens, and the wait is aborted before it could be delivered.
    writeEventFd(efd);
    controller.abort("changed my mind");
    expect(await pending.catch((e: unknown) => e)).toBe("changed my mind");
    // Edge-triggered: a later write would not repeat it, so it must still be waiting in the kernel.
    await Bun.sleep(20);
    expect(epoll.wait(0).toArray()).toEqual([{ fd: efd, events: EpollFlags.IN, data: "edge" }]);
    expect(epoll.wait(0).length).toBe(0);
  });

  test("after an abort the next waitAsync sees the event, and the signal's timeout works", async () => {
    using fds = new Descriptors();
    using epoll = new Epoll<string>();
    const efd = fds.eventFd();
    epoll.add(efd, EpollFlags.IN | EpollFlags.ET, "kept");
    const error = await epoll.waitAsync(-1, { signal: AbortSignal.timeout(20) }).catch((e: unknown) => e);
    expect((error as DOMException).name).toBe("TimeoutError");
    writeEventFd(efd);
    const controller = new AbortController();
    const events = await epoll.waitAsync(1000, { signal: controller.signal });
    controller.abort();
    expect(events.toArray()).toEqual([{ fd: efd, events: EpollFlags.IN, data: "kept" }]);
  });

  test("an abort after the wait resolved does nothing", async () => {
    using fds = new Descriptors();
    using epoll = new Epoll<string>();
    const efd = fds.eventFd(1);
    epoll.add(efd, EpollFlags.IN, "done");
    const controller = new AbortController();
    const events = await epoll.waitAsync(1000, { signal: controller.signal });
    controller.abort();
    expect(events.data(0)).toBe("done");
    expect((await epoll.waitAsync(0)).data(0)).toBe("done");
  });
});

describeTransports("Epoll.waitAsync and close()", () => {
  test("closing while a wait is pending rejects it with EBADF", async () => {
    using fds = new Descriptors();
    const epoll = new Epoll();
    epoll.add(fds.eventFd(), EpollFlags.IN);
    const pending = epoll.waitAsync();
    expect(await settledWithin(pending, 20)).toBe("pending");
    epoll.close();
    const error = await pending.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SystemError);
    expect(error).toMatchObject({ code: "EBADF", syscall: "Epoll.waitAsync" });
  });

  test("closing before the first poll rejects too, and a later readiness report is harmless", async () => {
    using fds = new Descriptors();
    const efd = fds.eventFd();
    const epoll = new Epoll();
    epoll.add(efd, EpollFlags.IN);
    const pending = epoll.waitAsync(1000);
    epoll.close();
    writeEventFd(efd);
    expect(await pending.catch((e: SystemError) => e.code)).toBe("EBADF");
    await Bun.sleep(20);
  });

  test("a closed instance rejects waitAsync with EBADF, without throwing", async () => {
    const epoll = new Epoll();
    epoll.close();
    // Reaching the next line at all shows it did not throw.
    const promise = epoll.waitAsync(10);
    expect(promise).toBeInstanceOf(Promise);
    const error = (await promise.catch((e: unknown) => e)) as SystemError;
    expect(error).toBeInstanceOf(SystemError);
    expect(error.code).toBe("EBADF");
    expect(error.syscall).toBe("Epoll.waitAsync");
  });

  test("a closed instance's wait in another thread's reach: a report after close resolves nothing", async () => {
    using fds = new Descriptors();
    const efd = fds.eventFd();
    const epoll = new Epoll<string>();
    epoll.add(efd, EpollFlags.IN, "late");
    await using worker = new TestWorker(writer);
    const pending = epoll.waitAsync().catch((e: SystemError) => e.code);
    worker.post({ fd: efd, delayMs: 30 });
    await worker.next();
    epoll.close();
    await worker.next();
    expect(await pending).toBe("EBADF");
  });
});

describeTransports("Epoll.waitAsync errors are rejections", () => {
  test("bad timeouts: RangeError and TypeError, never thrown synchronously", async () => {
    using epoll = new Epoll();
    for (const bad of [NaN, -2, -0.5, -Infinity]) {
      const promise = epoll.waitAsync(bad);
      expect(promise).toBeInstanceOf(Promise);
      expect(await promise.catch((e: unknown) => e)).toBeInstanceOf(RangeError);
    }
    for (const bad of ["10", null, 10n, {}]) {
      expect(await epoll.waitAsync(bad as unknown as number).catch((e: unknown) => e)).toBeInstanceOf(TypeError);
    }
  });

  test("bad options: TypeError naming the option", async () => {
    using epoll = new Epoll();
    for (const bad of [null, 5, "x", [1]]) {
      expect(await epoll.waitAsync(0, bad as never).catch((e: unknown) => e)).toBeInstanceOf(TypeError);
    }
    const signal = (await epoll.waitAsync(0, { signal: {} as AbortSignal }).catch((e: Error) => e)) as Error;
    expect(signal).toBeInstanceOf(TypeError);
    expect(signal.message).toContain("options.signal");
    const busy = (await epoll.waitAsync(0, { busyPoll: "yes" as never }).catch((e: Error) => e)) as Error;
    expect(busy).toBeInstanceOf(TypeError);
    expect(busy.message).toContain("options.busyPoll");
  });

  test("a second waitAsync while one is pending is EBUSY; the first is unaffected", async () => {
    using fds = new Descriptors();
    using epoll = new Epoll<string>();
    const efd = fds.eventFd();
    epoll.add(efd, EpollFlags.IN, "first");
    const first = epoll.waitAsync(2000);
    const second = (await epoll.waitAsync(10).catch((e: unknown) => e)) as SystemError;
    expect(second).toBeInstanceOf(SystemError);
    expect(second).toMatchObject({ code: "EBUSY", syscall: "Epoll.waitAsync" });
    expect(second.message).toContain("already has a waitAsync() pending");
    writeEventFd(efd);
    expect((await first).data(0)).toBe("first");
    // Once it settled, the next is fine.
    expect((await epoll.waitAsync(0)).data(0)).toBe("first");
  });

  test("an already-aborted signal rejects with its reason even while another wait is pending", async () => {
    using epoll = new Epoll();
    const first = epoll.waitAsync(30);
    expect(await epoll.waitAsync(-1, { signal: AbortSignal.abort("no") }).catch((e: unknown) => e)).toBe("no");
    expect((await first).length).toBe(0);
  });
});
