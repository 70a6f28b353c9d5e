// The default transport of Epoll.waitAsync: Bun's own event loop watches a duplicate of the
// instance's descriptor. What it holds while a wait is pending (one descriptor, no thread), what it
// leaves after (nothing), the Bun behaviour it relies on, and the fallback to the readiness thread
// when Bun's loop cannot take the instance.
import { afterEach, describe, expect, test } from "bun:test";
import { LoopDuplicateWatch, asyncHelperThreads, existingReadinessEngine } from "../../../src/async/index.ts";
import { Epoll, EpollFlags } from "../../../src/epoll/epoll.ts";
import { isNonblocking } from "../../../src/core/fd.ts";
import { setLogger } from "../../../src/core/log.ts";
import { platform } from "../../../src/core/platform.ts";
import { listOpenFds } from "../../../src/testing/index.ts";
import { helpersStopped, sleepingWaits, threadCount } from "../../helpers/async-env.ts";
import { Descriptors, isOpen, readEventFd, writeEventFd } from "../../helpers/descriptors.ts";
import { emulated } from "../../helpers/env.ts";

const { IN } = EpollFlags;
const openFds = () => listOpenFds().map(({ fd }) => fd);
const epollFds = () => listOpenFds().filter(({ target }) => target.includes("eventpoll")).map(({ fd }) => fd);

/** The descriptors open now that were not open in `before`. */
const added = (before: number[]) => openFds().filter((fd) => !before.includes(fd));

describe.skipIf(!platform.supports.epoll)("Epoll.waitAsync through Bun's event loop", () => {
  test("a pending wait holds one duplicate of the instance and no thread; settling in any way closes it", async () => {
    await helpersStopped();
    using fds = new Descriptors();
    // Closed by the last step; `using` closes it (again, a no-op) if a step fails first.
    using epoll = new Epoll<string>();
    const efd = fds.eventFd();
    epoll.add(efd, IN, "mine");
    const before = openFds();

    const expectWatching = async () => {
      await Bun.sleep(5);
      const extra = added(before);
      expect(extra).toHaveLength(1);
      expect(listOpenFds().find(({ fd }) => fd === extra[0])?.target).toContain("eventpoll");
      // (Bun starts threads of its own now and then: helper threads are counted, not all threads.)
      expect(asyncHelperThreads()).toBe(0);
    };

    // Resolved by readiness.
    const resolved = epoll.waitAsync(5000);
    await expectWatching();
    writeEventFd(efd);
    expect((await resolved).data(0)).toBe("mine");
    readEventFd(efd);
    expect(added(before)).toEqual([]);

    // Timed out.
    // Long enough that the 5 ms look at the descriptors lands inside it even on a loaded machine.
    const timedOut = epoll.waitAsync(250);
    await expectWatching();
    expect((await timedOut).length).toBe(0);
    expect(added(before)).toEqual([]);

    // Aborted.
    const controller = new AbortController();
    const aborted = epoll.waitAsync(-1, { signal: controller.signal });
    await expectWatching();
    controller.abort();
    expect(((await aborted.catch((e: unknown) => e)) as DOMException).name).toBe("AbortError");
    expect(added(before)).toEqual([]);

    // Closed.
    const closed = epoll.waitAsync(-1);
    await expectWatching();
    epoll.close();
    expect(await closed.catch((e: { code: string }) => e.code)).toBe("EBADF");
    expect(added(before).length).toBe(0);
    expect(existingReadinessEngine()?.threads ?? 0).toBe(0);
  });

  test("10 000 waits leave heap, threads and descriptors where they were", async () => {
    using fds = new Descriptors();
    using epoll = new Epoll<number>();
    const efd = fds.eventFd();
    epoll.add(efd, IN, 1);
    const total = emulated ? 2000 : 10_000;
    await sleepingWaits(epoll, efd, 1000);
    Bun.gc(true);
    const heapBefore = process.memoryUsage().heapUsed;
    const threadsBefore = threadCount();
    const fdsBefore = openFds();
    await sleepingWaits(epoll, efd, total - 1000);
    Bun.gc(true);
    expect(asyncHelperThreads()).toBe(0);
    expect(threadCount()).toBeLessThanOrEqual(threadsBefore);
    expect(openFds()).toEqual(fdsBefore);
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(2 * 1024 * 1024);
  }, 60_000);
});

// Each point duplicate-watch.ts relies on, checked on Bun itself, so that a Bun upgrade that
// changes one of them fails here rather than somewhere in a wait.
describe.skipIf(!platform.supports.epoll)("what Bun does with a duplicate epoll descriptor", () => {
  type Call = [string, string | undefined];
  const connect = Bun.connect as unknown as (options: object) => Promise<unknown>;
  const recorder = () => {
    const calls: Call[] = [];
    const handlers = {
      open: () => calls.push(["open", undefined]),
      data: () => calls.push(["data", undefined]),
      close: (_socket: unknown, error?: { code?: string }) => calls.push(["close", error?.code]),
      connectError: (_socket: unknown, error?: { code?: string }) => calls.push(["connectError", error?.code]),
    };
    return { calls, handlers };
  };

  test("opens synchronously, closes with ENOTSOCK once the epoll has events, and closes the duplicate", async () => {
    using fds = new Descriptors();
    using epoll = new Epoll();
    const efd = fds.eventFd();
    epoll.add(efd, IN);
    const copy = fds.dup(epoll.fd);
    const { calls, handlers } = recorder();
    void connect({ fd: copy, socket: handlers }).catch(() => {});
    expect(calls).toEqual([["open", undefined]]);
    await Bun.sleep(20);
    // Not ready: nothing happened, the duplicate is open.
    expect(calls).toHaveLength(1);
    expect(isOpen(copy)).toBe(true);
    writeEventFd(efd);
    await Bun.sleep(20);
    expect(calls).toEqual([["open", undefined], ["close", "ENOTSOCK"]]);
    expect(isOpen(copy)).toBe(false);
    fds.release(copy);
    // Nothing was taken from the instance.
    expect(epoll.wait(0).length).toBe(1);
    // The O_NONBLOCK Bun set on the shared file description does not change epoll_wait.
    expect(isNonblocking(epoll.fd)).toBe(true);
    readEventFd(efd);
    const started = performance.now();
    expect(epoll.wait(30).length).toBe(0);
    expect(performance.now() - started).toBeGreaterThanOrEqual(29);
  });

  test("terminate() closes the duplicate at once and calls close synchronously, without an error", async () => {
    using fds = new Descriptors();
    using epoll = new Epoll();
    const copy = fds.dup(epoll.fd);
    const { calls, handlers } = recorder();
    const socket = (await connect({ fd: copy, socket: handlers })) as { terminate(): void };
    socket.terminate();
    expect(calls).toEqual([["open", undefined], ["close", undefined]]);
    expect(isOpen(copy)).toBe(false);
    fds.release(copy);
  });

  test("a descriptor Bun cannot add to its loop (ELOOP) is a connectError, and stays open", async () => {
    using fds = new Descriptors();
    using epoll = new Epoll();
    // This instance watches every epoll open now, Bun's own loop among them: adding it to that loop would close a cycle.
    for (const fd of epollFds()) if (fd !== epoll.fd) epoll.add(fd, IN);
    const copy = fds.dup(epoll.fd);
    const { calls, handlers } = recorder();
    const rejection = await connect({ fd: copy, socket: handlers }).then(
      () => undefined,
      (error: { code?: string }) => error.code,
    );
    expect(rejection).toBe("ECONNREFUSED");
    expect(calls.map(([name]) => name)).toEqual(["connectError"]);
    expect(isOpen(copy)).toBe(true);
  });
});

describe.skipIf(!platform.supports.epoll)("falling back to the readiness thread", () => {
  afterEach(() => setLogger(null));

  test("an instance Bun's loop cannot take still resolves, through the readiness thread, and leaks nothing", async () => {
    const debug: string[] = [];
    setLogger({ debug: (_fields: unknown, message: string) => debug.push(message) });
    using fds = new Descriptors();
    using epoll = new Epoll<string>();
    for (const fd of epollFds()) if (fd !== epoll.fd) epoll.add(fd, IN | EpollFlags.ET, "a loop");
    const efd = fds.eventFd();
    epoll.add(efd, IN, "mine");
    const before = openFds();
    const reportsBefore = existingReadinessEngine()?.reports ?? 0;
    setTimeout(() => writeEventFd(efd), 30);
    // Bun's loop has events of its own now and then (edge-triggered: once per edge), so the
    // eventfd comes within a few waits.
    let seen: unknown[] = [];
    for (let i = 0; i < 20 && !seen.includes("mine"); i++) seen = (await epoll.waitAsync(5000)).toArray().map(({ data }) => data);
    expect(seen).toContain("mine");
    expect(debug.some((line) => line.includes("falls back to the readiness thread"))).toBe(true);
    expect(existingReadinessEngine()!.reports).toBeGreaterThan(reportsBefore);
    epoll.close();
    await helpersStopped();
    // The duplicate Bun refused was closed; the readiness thread's descriptors are gone with it.
    expect(added(before).filter((fd) => fd !== epoll.fd)).toEqual([]);
  });

  test("Bun refuses inside Bun.connect: the report comes after arm() returns, the duplicate is closed, the fallback is made", async () => {
    using epoll = new Epoll();
    for (const fd of epollFds()) if (fd !== epoll.fd) epoll.add(fd, IN | EpollFlags.ET);
    const before = openFds();
    let reports = 0;
    let fallbacks = 0;
    const fallback = { arm() {}, disarm() {}, dispose() {} };
    const source = new LoopDuplicateWatch(epoll.fd, () => reports++, () => (fallbacks++, fallback));
    source.arm();
    expect({ reports, fallbacks }).toEqual({ reports: 0, fallbacks: 1 });
    await Promise.resolve();
    expect(reports).toBe(1);
    expect(added(before)).toEqual([]);
    source.dispose();
  });

  test("a run of reports that each find nothing gives Bun's loop up for the fallback (no endless re-arming)", async () => {
    using fds = new Descriptors();
    using epoll = new Epoll();
    // Always readable, and the "waiter" below never collects: every report looks spurious.
    epoll.add(fds.eventFd(1), IN);
    let fallbacks = 0;
    const fallback = { arm() {}, disarm() {}, dispose() {} };
    let reports = 0;
    const source: LoopDuplicateWatch = new LoopDuplicateWatch(epoll.fd, () => (reports++, source.arm()), () => (fallbacks++, fallback));
    const before = openFds();
    source.arm();
    for (let i = 0; i < 200 && fallbacks === 0; i++) await Bun.sleep(1);
    expect(fallbacks).toBe(1);
    // The first report, then 64 that found nothing, the last of which gave up.
    expect(reports).toBe(65);
    expect(added(before)).toEqual([]);
    source.dispose();
  });

  test("an instance nested too deep for any loop: the kernel's ELOOP from epoll_ctl, as a rejection", async () => {
    // Each level holds the next; the deepest holds an eventfd. One more level (Bun's loop or the
    // readiness thread's outer epoll) is past the kernel's limit of nesting.
    using fds = new Descriptors();
    const levels = Array.from({ length: 5 }, () => new Epoll());
    try {
      levels[4]!.add(fds.eventFd(), IN);
      for (let i = 0; i < 4; i++) levels[i]!.add(levels[i + 1]!.fd, IN);
      const error = (await levels[0]!.waitAsync(1000).catch((e: unknown) => e)) as { code: string; syscall: string };
      expect({ code: error.code, syscall: error.syscall }).toEqual({ code: "ELOOP", syscall: "epoll_ctl" });
    } finally {
      for (const epoll of levels) epoll.close();
    }
    await helpersStopped();
  });
});
