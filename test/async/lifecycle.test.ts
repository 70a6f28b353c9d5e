// The process's life with pending waits, on both transports: it lives while a wait is pending and
// exits when none is, and an idle one uses no CPU. Then the readiness thread's own life (the
// fallback transport): started on demand, one per JS thread, stopped with its descriptors closed
// when idle; no growth over many waits; inside a Worker.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { LINGER_MS, asyncHelperThreads, existingReadinessEngine, readinessEngine, setEventLoopWatching } from "../../src/async/index.ts";
import { Epoll, EpollFlags } from "../../src/epoll/epoll.ts";
import { platform } from "../../src/core/platform.ts";
import { listOpenFds } from "../../src/testing/index.ts";
import { describeTransports, helpersStopped, runChild, sleepingWaits, srcDir, threadCount } from "../helpers/async-env.ts";
import { Descriptors, readEventFd, writeEventFd } from "../helpers/descriptors.ts";
import { emulated } from "../helpers/env.ts";
import { TestWorker } from "../helpers/workers.ts";

const waitingWorker = new URL("./fixtures/waiting-worker.ts", import.meta.url);
const epollFds = () => listOpenFds().filter(({ target }) => target.includes("eventpoll")).length;

describeTransports("waitAsync and the process", (transport) => {
  // Child scripts choose the transport the same way.
  const selectTransport = `import { setEventLoopWatching } from "${srcDir}async/index.ts"; setEventLoopWatching(${transport.eventLoop});`;

  test("the process stays alive while a wait without timeout is pending, and exits once it resolves", async () => {
    const script = `
      ${selectTransport}
      import { Epoll, EpollFlags } from "${srcDir}epoll/epoll.ts";
      const epoll = new Epoll();
      epoll.add(0, EpollFlags.IN);
      const started = performance.now();
      epoll.waitAsync().then((events) => {
        console.log("resolved", events.length, Math.round(performance.now() - started));
        epoll.close();
      });
    `;
    let wroteAt = 0;
    const started = performance.now();
    const run = await runChild(script, {
      async onSpawn(child) {
        await Bun.sleep(emulated ? 3000 : 600);
        wroteAt = performance.now() - started;
        child.stdin.write("go");
        await child.stdin.flush();
      },
    });
    expect(run.stderr).toBe("");
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toStartWith("resolved 1 ");
    // Did not exit before the write (exiting earlier would not print "resolved").
    expect(run.elapsedMs).toBeGreaterThanOrEqual(wroteAt);
  });

  test("the process exits at once when nothing is pending, without waiting for the linger", async () => {
    const script = `
      ${selectTransport}
      import { Epoll } from "${srcDir}epoll/epoll.ts";
      const epoll = new Epoll();
      await epoll.waitAsync(30);
      const resolvedAt = performance.now();
      process.on("exit", () => console.log("exit after", Math.round(performance.now() - resolvedAt)));
    `;
    const run = await runChild(script);
    expect(run.stderr).toBe("");
    expect(run.exitCode).toBe(0);
    const after = Number(run.stdout.match(/exit after (\d+)/)?.[1]);
    expect(after).toBeLessThan(LINGER_MS);
  });

  test("a pending wait with a timeout keeps the process alive until it, and an aborted one does not", async () => {
    const script = `
      ${selectTransport}
      import { Epoll } from "${srcDir}epoll/epoll.ts";
      const epoll = new Epoll();
      const started = performance.now();
      epoll.waitAsync(250).then((events) => console.log("timed out", events.length, Math.round(performance.now() - started)));
      const other = new Epoll();
      const controller = new AbortController();
      other.waitAsync(-1, { signal: controller.signal }).catch((error) => console.log("aborted", error.name));
      setTimeout(() => controller.abort(), 20);
    `;
    const run = await runChild(script);
    expect(run.stderr).toBe("");
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toContain("aborted AbortError");
    const waited = Number(run.stdout.match(/timed out 0 (\d+)/)?.[1]);
    expect(waited).toBeGreaterThanOrEqual(250);
  });

  test("an idle process with a pending wait uses (almost) no CPU", async () => {
    const script = `
      ${selectTransport}
      import { Epoll, EpollFlags } from "${srcDir}epoll/epoll.ts";
      import { EventFd } from "${srcDir}sources/eventfd.ts";
      const efd = new EventFd(0, { nonblocking: true });
      const epoll = new Epoll();
      epoll.add(efd.fd, EpollFlags.IN);
      const controller = new AbortController();
      const pending = epoll.waitAsync(-1, { signal: controller.signal }).catch(() => {});
      await Bun.sleep(300);
      const cpu0 = process.cpuUsage();
      const wall0 = performance.now();
      await Bun.sleep(2000);
      const cpu = process.cpuUsage(cpu0);
      const wall = performance.now() - wall0;
      console.log(JSON.stringify({ share: (cpu.user + cpu.system) / 1000 / wall }));
      controller.abort();
      await pending;
      epoll.close();
      efd.close();
    `;
    const run = await runChild(script);
    expect(run.stderr).toBe("");
    const { share } = JSON.parse(run.stdout) as { share: number };
    // Target: under 1 % of a core (about 0.2 % measured natively). Tolerant: the VM is shared and
    // Bun's own threads tick; under qemu-user (the arm64 run) every such tick costs many times more.
    expect(share).toBeLessThan(emulated ? 0.25 : 0.03);
  });
});

describe.skipIf(!platform.supports.epoll)("the readiness thread", () => {
  beforeAll(() => setEventLoopWatching(false));
  afterAll(() => setEventLoopWatching(true));

  test("starts on the first wait that has to sleep, and stops with its descriptors closed when idle", async () => {
    await helpersStopped();
    using fds = new Descriptors();
    using epoll = new Epoll<string>();
    const efd = fds.eventFd(1);
    epoll.add(efd, EpollFlags.IN, "x");
    // Ready at once: no helper needed.
    await epoll.waitAsync(1000);
    expect(asyncHelperThreads()).toBe(0);
    readEventFd(efd);
    const baseline = epollFds();
    const pending = epoll.waitAsync(5000);
    await Bun.sleep(20);
    expect(readinessEngine().threads).toBe(1);
    // Its outer epoll is open (and the helper Worker's own event loop has one too).
    expect(epollFds()).toBeGreaterThan(baseline);
    writeEventFd(efd);
    await pending;
    // Lingering: the next wait reuses it.
    await Bun.sleep(LINGER_MS / 4);
    expect(readinessEngine().running).toBe(true);
    const started = performance.now();
    await helpersStopped();
    expect(performance.now() - started).toBeLessThan(LINGER_MS * 10);
    expect(readinessEngine().running).toBe(false);
    expect(epollFds()).toBe(baseline);
  });

  test("10 000 waits through the helper thread leave heap, threads and descriptors where they were", async () => {
    using fds = new Descriptors();
    using epoll = new Epoll<number>();
    const efd = fds.eventFd();
    epoll.add(efd, EpollFlags.IN, 1);
    const total = emulated ? 2000 : 10_000;
    await sleepingWaits(epoll, efd, 1000);
    const reportsBefore = readinessEngine().reports;
    Bun.gc(true);
    const heapBefore = process.memoryUsage().heapUsed;
    const threadsBefore = threadCount();
    const fdsBefore = listOpenFds().length;
    await sleepingWaits(epoll, efd, total - 1000);
    Bun.gc(true);
    const heapGrowth = process.memoryUsage().heapUsed - heapBefore;
    expect(existingReadinessEngine()?.threads).toBe(1);
    // (Nearly) every one of them slept and was woken by the readiness thread.
    expect(readinessEngine().reports - reportsBefore).toBeGreaterThanOrEqual((total - 1000) * 0.9);
    expect(threadCount()).toBeLessThanOrEqual(threadsBefore + 1);
    expect(listOpenFds().length).toBe(fdsBefore);
    expect(heapGrowth).toBeLessThan(2 * 1024 * 1024);
  }, 60_000);

  test("a Worker that uses waitAsync gets a helper of its own and can be terminated after shutting it down", async () => {
    using fds = new Descriptors();
    const efd = fds.eventFd();
    const threadsBefore = threadCount();
    {
      await using worker = new TestWorker(waitingWorker);
      worker.post({ fd: efd, shutdown: true, eventLoop: false });
      const waiting = (await worker.next()) as { waiting: boolean; helpers: number };
      expect(waiting).toEqual({ waiting: true, helpers: 1 });
      // This thread's own engine is not involved.
      expect(existingReadinessEngine()?.running ?? false).toBe(false);
      writeEventFd(efd);
      expect(await worker.next()).toEqual({ events: [{ fd: efd, events: EpollFlags.IN, data: "seen in the worker" }] });
      expect(await worker.next()).toBe("clean");
    }
    expect(threadCount()).toBeLessThanOrEqual(threadsBefore + 1);
  });

  test("a Worker that ends by itself after waitAsync leaves no helper or descriptor behind", async () => {
    using fds = new Descriptors();
    const efd = fds.eventFd();
    const worker = new Worker(waitingWorker.href);
    const ended = new Promise<void>((resolve) => worker.addEventListener("close", () => resolve()));
    const messages: unknown[] = [];
    const nextMessage = () => new Promise<unknown>((resolve) => worker.addEventListener("message", (e) => resolve(e.data), { once: true }));
    let next = nextMessage();
    worker.postMessage({ fd: efd, shutdown: false, eventLoop: false });
    messages.push(await next);
    next = nextMessage();
    writeEventFd(efd);
    messages.push(await next);
    await ended;
    expect(messages[1]).toEqual({ events: [{ fd: efd, events: EpollFlags.IN, data: "seen in the worker" }] });
  });
});
