// Kqueue.waitAsync: on macOS and FreeBSD through the shared readiness thread, on Linux through
// libkqueue, whose descriptor cannot be watched, so a helper thread of the instance's own waits in
// kevent() and hands its events over. Either way: nothing lost, nothing repeated, nothing private
// shows up in results, no thread left behind.
import { describe, expect, test } from "bun:test";
import { asyncHelperThreads, keventHelperCount } from "../../src/async/index.ts";
import { EventFilter, EventFlags, type Kqueue } from "../../src/kqueue/kqueue.ts";
import { helpersStopped, threadCount, threadsAtMost } from "../helpers/async-env.ts";
import { Descriptors, readBytes, writeBytes } from "../helpers/descriptors.ts";
import { haveKqueue, holdKqueueRuntime, kqueueOptions, needsKqueue, openKqueue } from "../helpers/kqueue-env.ts";
import { TestWorker } from "../helpers/workers.ts";

holdKqueueRuntime();

const writer = new URL("./fixtures/writer.ts", import.meta.url);
const usesHelper = kqueueOptions?.library !== undefined;
const { ADD, CLEAR, ONESHOT } = EventFlags;

/** Every entry as `{ ident, filter, udata }`. */
function brief<T>(list: ReturnType<Kqueue<T>["wait"]>) {
  return list.toArray().map(({ ident, filter, udata }) => ({ ident, filter, udata }));
}

describe.skipIf(!haveKqueue)(`Kqueue.waitAsync${needsKqueue}`, () => {
  test("resolves when another thread makes a descriptor readable, with its udata", async () => {
    using fds = new Descriptors();
    using kq = openKqueue<string>();
    const pipe = fds.pipe();
    kq.register(pipe.read, EventFilter.Read, ADD, "pipe");
    await using worker = new TestWorker(writer);
    const pending = kq.waitAsync(5000);
    worker.post({ fd: pipe.write, delayMs: 30, bytes: 3 });
    const events = await pending;
    expect(events).toBe(kq.wait(0));
    kq.unregister(pipe.read, EventFilter.Read);
    expect(readBytes(pipe.read)).toBe(3);
  });

  test("resolves with a user event triggered from a timer, and with a one-shot timer once", async () => {
    using kq = openKqueue<string>();
    kq.register(9, EventFilter.User, ADD | CLEAR, "user");
    setTimeout(() => kq.trigger(9), 15);
    expect(brief(await kq.waitAsync(5000))).toEqual([{ ident: 9, filter: EventFilter.User, udata: "user" }]);
    const ident = kq.registerTimer(10, ADD | ONESHOT, "timer");
    expect(brief(await kq.waitAsync(5000))).toEqual([{ ident, filter: EventFilter.Timer, udata: "timer" }]);
    expect((await kq.waitAsync(30)).length).toBe(0);
  });

  test("times out empty, never early; 0 polls", async () => {
    using kq = openKqueue();
    for (const ms of [1, 25]) {
      const started = performance.now();
      expect((await kq.waitAsync(ms)).length).toBe(0);
      expect(performance.now() - started).toBeGreaterThanOrEqual(ms);
    }
    expect((await kq.waitAsync(0)).length).toBe(0);
  });

  test("an abort loses nothing: what arrived meanwhile comes with the next wait, sync or async", async () => {
    using kq = openKqueue<string>();
    kq.register(1, EventFilter.User, ADD | CLEAR, "first");
    kq.register(2, EventFilter.User, ADD | CLEAR, "second");
    const controller = new AbortController();
    const aborted = kq.waitAsync(-1, { signal: controller.signal });
    await Bun.sleep(20);
    controller.abort();
    expect(((await aborted.catch((e: unknown) => e)) as DOMException).name).toBe("AbortError");
    // A helper may still be in kevent(): whatever it collects now is kept for the next wait.
    kq.trigger(1);
    await Bun.sleep(20);
    expect(brief(kq.wait(0))).toEqual([{ ident: 1, filter: EventFilter.User, udata: "first" }]);
    expect(kq.wait(0).length).toBe(0);
    const again = new AbortController();
    const pending = kq.waitAsync(-1, { signal: again.signal });
    await Bun.sleep(20);
    again.abort();
    await pending.catch(() => {});
    kq.trigger(2);
    await Bun.sleep(20);
    expect(brief(await kq.waitAsync(1000))).toEqual([{ ident: 2, filter: EventFilter.User, udata: "second" }]);
    expect((await kq.waitAsync(20)).length).toBe(0);
  });

  test("a sync wait while an async one is pending takes the events; the async one goes on waiting", async () => {
    using kq = openKqueue<string>();
    kq.register(1, EventFilter.User, ADD | CLEAR, "sync");
    kq.register(2, EventFilter.User, ADD | CLEAR, "async");
    const pending = kq.waitAsync(5000);
    await Bun.sleep(20);
    kq.trigger(1);
    expect(brief(kq.wait(1000))).toEqual([{ ident: 1, filter: EventFilter.User, udata: "sync" }]);
    let settled = false;
    void pending.then(() => (settled = true));
    await Bun.sleep(30);
    expect(settled).toBe(false);
    kq.trigger(2);
    expect(brief(await pending)).toEqual([{ ident: 2, filter: EventFilter.User, udata: "async" }]);
  });

  test("closing while a wait is pending rejects it with EBADF and stops the helper", async () => {
    const kq = openKqueue<string>();
    kq.register(1, EventFilter.User, ADD | CLEAR);
    const pending = kq.waitAsync().catch((e: { code: string; syscall: string }) => e);
    await Bun.sleep(20);
    kq.close();
    expect(await pending).toMatchObject({ code: "EBADF", syscall: "Kqueue.waitAsync" });
    // Its helper thread (libkqueue) was out of kevent() before the close, and ends now.
    await helpersStopped(1000);
    expect(await kq.waitAsync(0).catch((e: { code: string }) => e.code)).toBe("EBADF");
  });

  test("errors are rejections: bad arguments and a second pending wait (EBUSY)", async () => {
    using kq = openKqueue();
    expect(await kq.waitAsync(NaN).catch((e: unknown) => e)).toBeInstanceOf(RangeError);
    expect(await kq.waitAsync("1" as never).catch((e: unknown) => e)).toBeInstanceOf(TypeError);
    expect(await kq.waitAsync(1, { signal: 1 as never }).catch((e: unknown) => e)).toBeInstanceOf(TypeError);
    const first = kq.waitAsync(30);
    expect(await kq.waitAsync(10).catch((e: { code: string }) => e.code)).toBe("EBUSY");
    expect((await first).length).toBe(0);
  });

  test("one-shot and clear registrations are delivered exactly once across async waits", async () => {
    using kq = openKqueue<string>();
    kq.register(3, EventFilter.User, ADD | ONESHOT, "once");
    kq.register(4, EventFilter.User, ADD | CLEAR, "cleared");
    for (let round = 0; round < 3; round++) {
      setTimeout(() => kq.trigger(4), 5);
      expect(brief(await kq.waitAsync(5000))).toEqual([{ ident: 4, filter: EventFilter.User, udata: "cleared" }]);
    }
    setTimeout(() => kq.trigger(3), 5);
    expect(brief(await kq.waitAsync(5000))).toEqual([{ ident: 3, filter: EventFilter.User, udata: "once" }]);
    // Gone after its event, as with wait().
    expect(() => kq.trigger(3)).toThrow();
    expect((await kq.waitAsync(30)).length).toBe(0);
  });

  test("many kqueues wait at once", async () => {
    const queues = Array.from({ length: 5 }, () => openKqueue<number>());
    try {
      queues.forEach((kq, i) => kq.register(1, EventFilter.User, ADD | CLEAR, i));
      const pending = queues.map((kq) => kq.waitAsync(5000).then(brief));
      await Bun.sleep(20);
      if (usesHelper) expect(keventHelperCount()).toBe(queues.length);
      for (const kq of [...queues].reverse()) kq.trigger(1);
      const results = await Promise.all(pending);
      results.forEach((events, i) => expect(events).toEqual([{ ident: 1, filter: EventFilter.User, udata: i }]));
    } finally {
      for (const kq of queues) kq.close();
    }
  });

  test("the private wake-up event never shows in results, however waits and aborts interleave", async () => {
    using kq = openKqueue<string>();
    kq.register(5, EventFilter.User, ADD | CLEAR, "mine");
    const seen: string[] = [];
    for (let i = 0; i < 20; i++) {
      const controller = new AbortController();
      const pending = kq.waitAsync(-1, { signal: controller.signal }).then(
        (events) => seen.push(...events.toArray().map((e) => String(e.udata))),
        () => {},
      );
      if (i % 3 === 0) kq.trigger(5);
      await Bun.sleep(i % 2);
      controller.abort();
      await pending;
      // A sync wait wakes the helper with the private event; it must not surface anywhere.
      seen.push(...kq.wait(0).toArray().map((e) => String(e.udata)));
    }
    expect(seen.every((udata) => udata === "mine")).toBe(true);
    expect(seen.length).toBe(7);
    for (const entry of kq.wait(0)) expect(entry.udata).toBe("mine");
  });

  test.skipIf(!usesHelper)("libkqueue: the helper thread stops when idle, and a loop of waits keeps one", async () => {
    await helpersStopped();
    const threadsBefore = threadCount();
    using kq = openKqueue<number>();
    kq.register(1, EventFilter.User, ADD | CLEAR, 1);
    for (let i = 0; i < 500; i++) {
      const pending = kq.waitAsync(5000);
      setImmediate(() => kq.trigger(1));
      if ((await pending).length !== 1) throw new Error("lost a wake-up");
      if (keventHelperCount() !== 1) throw new Error(`${keventHelperCount()} helpers at wait ${i}`);
    }
    await helpersStopped();
    expect(asyncHelperThreads()).toBe(0);
    await threadsAtMost(threadsBefore);
  });
});
