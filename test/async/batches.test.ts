// batches(): the loop form of waitAsync on Epoll (every transport), Poller and Kqueue. Each batch
// holds events; no event is lost across batches, an abort or a close; ending the loop in any way
// releases the watch (the instance can wait again, the process is not kept alive); a second loop or
// a waitAsync meanwhile is EBUSY.
import { describe, expect, test } from "bun:test";
import { existingReadinessEngine, existingRelay } from "../../src/async/index.ts";
import { Epoll, EpollFlags } from "../../src/epoll/epoll.ts";
import { EventFilter, EventFlags } from "../../src/kqueue/kqueue.ts";
import { Interest, Poller } from "../../src/poller/index.ts";
import { SystemError } from "../../src/core/errors.ts";
import { describeTransports, runChild, srcDir } from "../helpers/async-env.ts";
import { Descriptors, readEventFd, writeEventFd } from "../helpers/descriptors.ts";
import { emulated } from "../helpers/env.ts";
import { haveKqueue, holdKqueueRuntime, needsKqueue, openKqueue } from "../helpers/kqueue-env.ts";
import { TestWorker } from "../helpers/workers.ts";

holdKqueueRuntime();

const writer = new URL("./fixtures/writer.ts", import.meta.url);
const { IN } = EpollFlags;

/** How many watches wait on this thread (relay and readiness thread together). */
const waitingWatches = () => (existingRelay()?.waiting ?? 0) + (existingReadinessEngine()?.waiting ?? 0);

describeTransports("Epoll.batches", (transport) => {
  // The duplicate per wait counts nothing once it has reported: there is no pending duplicate.
  const counted = transport.start !== "event-loop";

  test("yields each batch of events; none is lost while the loop body runs", async () => {
    using fds = new Descriptors();
    using epoll = new Epoll<string>();
    const efd = fds.eventFd();
    epoll.add(efd, IN, "counter");
    const writes = 50;
    await using worker = new TestWorker(writer);
    worker.post(Array.from({ length: writes }, () => ({ fd: efd, delayMs: 1 })));
    let total = 0;
    let batches = 0;
    for await (const events of epoll.batches()) {
      expect(events.length).toBeGreaterThan(0);
      expect(events.data(0)).toBe("counter");
      batches++;
      total += readEventFd(efd);
      if (total === writes) break;
    }
    expect(total).toBe(writes);
    expect(batches).toBeGreaterThan(0);
    expect(batches).toBeLessThanOrEqual(writes);
  });

  test("break releases the watch: nothing waits, and waitAsync works again at once", async () => {
    using fds = new Descriptors();
    using epoll = new Epoll<string>();
    const efd = fds.eventFd(1);
    epoll.add(efd, IN, "ready");
    for await (const events of epoll.batches()) {
      expect(events.data(0)).toBe("ready");
      if (counted) expect(waitingWatches()).toBe(1);
      break;
    }
    expect(waitingWatches()).toBe(0);
    expect((await epoll.waitAsync(1000)).data(0)).toBe("ready");
    // Another loop may start, and an exception out of its body ends it just the same.
    await expect(
      (async () => {
        for await (const _ of epoll.batches()) throw new Error("out of the body");
      })(),
    ).rejects.toThrow("out of the body");
    expect(waitingWatches()).toBe(0);
    expect((await epoll.waitAsync(1000)).length).toBe(1);
  });

  test("abort rejects the pending next() with the signal's reason and loses no event", async () => {
    using fds = new Descriptors();
    using epoll = new Epoll<string>();
    const efd = fds.eventFd();
    epoll.add(efd, IN | EpollFlags.ET, "edge");
    const controller = new AbortController();
    const reason = new Error("stop");
    const loop = epoll.batches({ signal: controller.signal });
    const pending = loop.next();
    setTimeout(() => controller.abort(reason), 10);
    await expect(pending).rejects.toBe(reason);
    expect(await loop.next()).toEqual({ done: true, value: undefined });
    expect(waitingWatches()).toBe(0);
    // An edge that comes now is not lost: the next wait gets it.
    writeEventFd(efd);
    expect((await epoll.waitAsync(1000)).data(0)).toBe("edge");
  });

  test("an abort between batches rejects the next next(); an aborted signal rejects the first", async () => {
    using fds = new Descriptors();
    using epoll = new Epoll<string>();
    epoll.add(fds.eventFd(1), IN, "ready");
    const controller = new AbortController();
    const loop = epoll.batches({ signal: controller.signal });
    expect((await loop.next()).done).toBe(false);
    controller.abort();
    await expect(loop.next()).rejects.toMatchObject({ name: "AbortError" });
    await expect(epoll.batches({ signal: AbortSignal.abort("gone") }).next()).rejects.toBe("gone");
    expect((await epoll.waitAsync(1000)).length).toBe(1);
  });

  test("close rejects the pending next() with EBADF", async () => {
    using fds = new Descriptors();
    const epoll = new Epoll();
    epoll.add(fds.eventFd(), IN);
    const loop = epoll.batches();
    const pending = loop.next();
    setTimeout(() => epoll.close(), 5);
    const error = await pending.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SystemError);
    expect(error).toMatchObject({ code: "EBADF", syscall: "Epoll.batches" });
    expect(waitingWatches()).toBe(0);
    await expect(epoll.batches().next()).rejects.toMatchObject({ code: "EBADF" });
  });

  test("a second loop or a waitAsync while a loop runs is EBUSY; a sync wait is allowed", async () => {
    using fds = new Descriptors();
    using epoll = new Epoll();
    epoll.add(fds.eventFd(1), IN);
    const loop = epoll.batches();
    expect((await loop.next()).done).toBe(false);
    await expect(epoll.batches().next()).rejects.toMatchObject({ code: "EBUSY", syscall: "Epoll.batches" });
    await expect(epoll.waitAsync(0)).rejects.toMatchObject({ code: "EBUSY", syscall: "Epoll.waitAsync" });
    expect(epoll.wait(0).length).toBe(1);
    await loop.return!();
    expect((await epoll.waitAsync(0)).length).toBe(1);
  });
});

describe("batches and the process", () => {
  test("a loop left by break does not keep the process alive", async () => {
    const script = `
      import { Epoll, EpollFlags } from "${srcDir}epoll/epoll.ts";
      import { EventFd } from "${srcDir}sources/eventfd.ts";
      const efd = new EventFd(1);
      const epoll = new Epoll();
      epoll.add(efd.fd, EpollFlags.IN);
      for await (const events of epoll.batches()) { console.log("batch", events.length); break; }
      // Not closed on purpose: only the loop could keep the process alive.
    `;
    const run = await runChild(script, { timeoutMs: emulated ? 60_000 : 5000 });
    expect(run.stderr).toBe("");
    expect(run.stdout).toBe("batch 1\n");
    expect(run.exitCode).toBe(0);
  }, 60_000);
});

// The internal switch watchFd's unref'd watches use: every transport must honour it, and hand the
// instance back keeping the process alive.
describeTransports("batches and the process, keepProcessAlive off", (transport) => {
  const script = (mode: "idle" | "on-again" | "ended") => `
    import { setWatchStart } from "${srcDir}async/index.ts";
    import { keepProcessAlive } from "${srcDir}async/batch-loop.ts";
    import { Epoll, EpollFlags } from "${srcDir}epoll/epoll.ts";
    import { EventFd } from "${srcDir}sources/eventfd.ts";
    setWatchStart("${transport.start}");
    const efd = new EventFd(0, { nonblocking: true });
    const epoll = new Epoll();
    epoll.add(efd.fd, EpollFlags.IN);
    const loop = epoll.batches();
    loop[keepProcessAlive](false);
    const mode = "${mode}";
    // Unref'd: it runs only while something else keeps the process alive.
    setTimeout(() => efd.write(1), 100).unref();
    process.on("exit", () => console.log("exit"));
    if (mode === "idle") {
      void loop.next().then(() => console.log("batch"));
    } else if (mode === "on-again") {
      loop[keepProcessAlive](true);
      const { value } = await loop.next();
      console.log("batch", value.length);
      await loop.return();
    } else {
      await loop.return();
      const events = await epoll.waitAsync(-1);
      console.log("waitAsync", events.length);
    }
  `;
  const expected = { idle: "exit\n", "on-again": "batch 1\nexit\n", ended: "waitAsync 1\nexit\n" };
  for (const mode of ["idle", "on-again", "ended"] as const) {
    test(mode === "idle" ? "a waiting loop lets the process exit" : mode === "on-again" ? "turned on again, it keeps the process alive" : "once the loop ends, the instance's next waitAsync keeps the process alive", async () => {
      const run = await runChild(script(mode), { timeoutMs: emulated ? 60_000 : 5000 });
      expect({ stderr: run.stderr, stdout: run.stdout, exitCode: run.exitCode }).toEqual({ stderr: "", stdout: expected[mode], exitCode: 0 });
    }, 60_000);
  }
});

describe("Poller.batches", () => {
  test("yields readable entries, and a Waker's wake-up, with no event lost", async () => {
    using fds = new Descriptors();
    using poller = new Poller<string>();
    const efd = fds.eventFd();
    poller.add(efd, Interest.READABLE, "counter");
    const waker = poller.waker();
    setTimeout(() => waker.wake(), 5);
    setTimeout(() => writeEventFd(efd, 3), 20);
    let woken = false;
    let total = 0;
    for await (const events of poller.batches()) {
      if (events.length === 0) {
        woken = true;
        continue;
      }
      expect(events.toArray()[0]).toMatchObject({ data: "counter", readable: true });
      total += readEventFd(efd);
      break;
    }
    expect(woken).toBe(true);
    expect(total).toBe(3);
    expect((await poller.waitAsync(10)).length).toBe(0);
  });

  test("close rejects the pending next() with EBADF", async () => {
    const poller = new Poller();
    const loop = poller.batches();
    const pending = loop.next();
    setTimeout(() => poller.close(), 5);
    await expect(pending).rejects.toMatchObject({ code: "EBADF", syscall: "Poller.batches" });
  });
});

describe.skipIf(!haveKqueue)(`Kqueue.batches${needsKqueue}`, () => {
  test("yields timer events batch by batch, and an abort loses none", async () => {
    using kq = openKqueue<string>();
    kq.registerTimer(5, EventFlags.ADD, "tick");
    let ticks = 0;
    for await (const list of kq.batches()) {
      expect(list.udata(0)).toBe("tick");
      expect(list.filter(0)).toBe(EventFilter.Timer);
      ticks += list.data(0);
      if (ticks >= 3) break;
    }
    expect(ticks).toBeGreaterThanOrEqual(3);
    const controller = new AbortController();
    const loop = kq.batches({ signal: controller.signal });
    const pending = loop.next();
    controller.abort();
    await expect(pending).rejects.toMatchObject({ name: "AbortError" });
    // The timer kept firing meanwhile: the next wait has it.
    expect((await kq.waitAsync(1000)).udata(0)).toBe("tick");
  });
});
