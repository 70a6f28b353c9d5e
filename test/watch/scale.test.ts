import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { asyncHelperThreads, existingReadinessEngine, existingRelay } from "../../src/async/index.ts";
import { platform } from "../../src/core/platform.ts";
import { TimerFd } from "../../src/sources/timerfd.ts";
import { countOpenFds } from "../../src/testing/index.ts";
import { watchHub } from "../../src/watch/hub.ts";
import { watchFd, type FdWatch } from "../../src/watch/index.ts";
import { ioUringWorks } from "../helpers/async-env.ts";
import { emulated } from "../helpers/env.ts";
import { Descriptors, readBytes, readEventFd, writeBytes, writeEventFd } from "../helpers/descriptors.ts";
import { settle, until } from "./helpers.ts";

const WATCHES = 1000;

/** How many registrations the kernel holds in an epoll (its fdinfo lists one `tfd:` line each). */
function epollRegistrations(epollFd: number): number {
  return readFileSync(`/proc/self/fdinfo/${epollFd}`, "utf8").split("\n").filter((line) => line.startsWith("tfd:")).length;
}

test(`${WATCHES} watches cost one registration each, one shared poller and one pending wait`, async () => {
  using fds = new Descriptors();
  const counters = Array.from({ length: WATCHES }, () => fds.eventFd());
  const baseline = countOpenFds();
  const watches: FdWatch[] = [];
  const totals = new Map<number, number>();
  try {
    const watchOne = (fd: number) => watchFd(fd, { readable: true }, () => totals.set(fd, (totals.get(fd) ?? 0) + readEventFd(fd)));
    watches.push(watchOne(counters[0]!));
    await settle(20);
    const openWithOne = countOpenFds() - baseline;
    for (const fd of counters.slice(1)) watches.push(watchOne(fd));
    await settle(20);
    // The same descriptors for a thousand watches as for one: the shared poller (and its wait:
    // the io_uring relay's ring and socket pair, or a duplicate where io_uring is not allowed).
    expect(countOpenFds() - baseline).toBe(openWithOne);
    expect(openWithOne).toBeLessThanOrEqual(4);
    const stats = watchHub().stats;
    expect(stats).toMatchObject({ watches: WATCHES, pendingWaits: 1 });
    if (platform.backend === "epoll") expect(epollRegistrations(stats.pollerFd)).toBe(WATCHES);
    expect(asyncHelperThreads()).toBe(0);

    for (const fd of counters) writeEventFd(fd, 1);
    await until("every watch's callback", () => totals.size === WATCHES);
    expect([...totals.values()].every((total) => total === 1)).toBe(true);
    expect(watchHub().stats.pendingWaits).toBe(1);
  } finally {
    for (const watch of watches) watch.close();
  }
  expect(watchHub().stats).toMatchObject({ watches: 0, pollerFd: -1 });
});

test("unref'd watches are served by the same pending wait as ref'd ones, whichever is open", async () => {
  using fds = new Descriptors();
  const [a, b] = fds.socketPair();
  const [c, d] = fds.socketPair();
  /** Watches waiting on this thread, in the io_uring relay or on the readiness thread. */
  const waiting = () => (existingRelay()?.waiting ?? 0) + (existingReadinessEngine()?.waiting ?? 0);
  // Without io_uring the loop waits through a duplicate per wait, which neither of those counts.
  const oneWaiting = ioUringWorks() ? 1 : 0;
  let unrefdBytes = 0;
  let refdBytes = 0;
  using unrefd = watchFd(b, { readable: true }, () => (unrefdBytes += readBytes(b)), { unref: true });
  await settle(20);
  // Before the ref'd watch, after it opens, and after it closes: one loop, one waiting watch.
  expect({ pendingWaits: watchHub().stats.pendingWaits, waiting: waiting() }).toEqual({ pendingWaits: 1, waiting: oneWaiting });
  writeBytes(a, 2);
  await until("the unref'd watch's callback", () => unrefdBytes === 2);
  const refd = watchFd(d, { readable: true }, () => (refdBytes += readBytes(d)));
  await settle(20);
  expect({ pendingWaits: watchHub().stats.pendingWaits, waiting: waiting() }).toEqual({ pendingWaits: 1, waiting: oneWaiting });
  writeBytes(a, 3);
  writeBytes(c, 4);
  await until("both callbacks", () => unrefdBytes === 5 && refdBytes === 4);
  refd.close();
  await settle(20);
  expect({ pendingWaits: watchHub().stats.pendingWaits, waiting: waiting() }).toEqual({ pendingWaits: 1, waiting: oneWaiting });
  writeBytes(a, 1);
  await until("the unref'd watch's callback once more", () => unrefdBytes === 6);
  expect(unrefd.closed).toBe(false);
});

test("timers keep running while a watch fires at 1 kHz", async () => {
  using ticker = new TimerFd({ nonblocking: true });
  let expirations = 0;
  let callbacks = 0;
  let intervalTicks = 0;
  const interval = setInterval(() => intervalTicks++, 10);
  const runMs = emulated ? 2000 : 1000;
  try {
    using watch = watchFd(ticker.fd, { readable: true }, () => {
      callbacks++;
      expirations += ticker.read() ?? 0;
    });
    ticker.set(1, 1);
    await Bun.sleep(runMs);
    ticker.disarm();
    expect(watch.closed).toBe(false);
  } finally {
    clearInterval(interval);
  }
  // Not speed figures (bench/watch has those): the watch was served and did not starve the timers.
  // The timerfd counts every expiration, however late it is read.
  expect(expirations).toBeGreaterThan(runMs / 2);
  expect(callbacks).toBeGreaterThan(10);
  expect(intervalTicks).toBeGreaterThan(runMs / 100);
});
