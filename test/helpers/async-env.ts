/**
 * What the async-wait tests share: running a suite over both ways an `Epoll` waiter learns of
 * readiness, counting this thread's helper threads and the process's threads, waiting for idle
 * helpers to stop (they linger LINGER_MS after the last wait), and running a short Bun child
 * process.
 *
 * @module
 */
import { afterAll, beforeAll, describe } from "bun:test";
import { readdirSync } from "node:fs";
import { LINGER_MS, type WatchStart, asyncHelperThreads, setWatchStart } from "../../src/async/index.ts";
import { SubmissionRing } from "../../src/async/io-uring/ring.ts";
import { Epoll, EpollFlags } from "../../src/epoll/epoll.ts";
import { platform } from "../../src/core/platform.ts";
import { type Descriptors, readEventFd, writeEventFd } from "./descriptors.ts";
import { bunCommand, emulated } from "./env.ts";

/**
 * How an `Epoll` waiter learns of readiness: the io_uring relay read by Bun's loop (the default),
 * Bun's loop watching a duplicate per wait (the first fallback), or the readiness thread (the last).
 */
export interface EpollTransport {
  readonly name: "io_uring relay" | "event loop" | "readiness thread";
  /** Where the mechanism table starts (src/async/index.ts). */
  readonly start: WatchStart;
  /** Whether the transport runs a helper thread. */
  readonly threaded: boolean;
}

/** Whether this kernel lets the relay run (a sandbox may forbid io_uring: the fallbacks are tested then). */
export function ioUringWorks(): boolean {
  if (!platform.supports.epoll) return false;
  try {
    SubmissionRing.open(2).close();
    return true;
  } catch {
    return false;
  }
}

/** Every transport, the default first. */
export const epollTransports: readonly EpollTransport[] = [
  { name: "io_uring relay", start: "io-uring", threaded: false },
  { name: "event loop", start: "event-loop", threaded: false },
  { name: "readiness thread", start: "readiness-thread", threaded: true },
];

/**
 * Declares the suite `body` once per transport (skipped without epoll), titled `title [transport]`;
 * the instances its tests make use that transport.
 */
export function describeTransports(title: string, body: (transport: EpollTransport) => void): void {
  for (const transport of epollTransports) {
    // Without io_uring (a sandbox, qemu-user) the relay row falls back to the next one, which has
    // its own suite: running the relay's would test the fallback under the relay's expectations.
    const missing = transport.start === "io-uring" && !ioUringWorks();
    const note = missing ? " [skipped: no io_uring here]" : "";
    describe.skipIf(!platform.supports.epoll || missing)(`${title} [${transport.name}]${note}`, () => {
      beforeAll(() => setWatchStart(transport.start));
      afterAll(() => setWatchStart("io-uring"));
      body(transport);
    });
  }
}

/** The repository's `src/` directory as an absolute path, for child scripts' imports. */
export const srcDir: string = new URL("../../src/", import.meta.url).pathname;

/**
 * `count` waits on `epoll`, each of which has to sleep: the eventfd `efd` (registered with data 1)
 * is written only after the waiter's first poll, and read after the wait. Throws on a wait that
 * resolves without it.
 */
export async function sleepingWaits(epoll: Epoll<number>, efd: number, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const pending = epoll.waitAsync(5000);
    // After the waiter's first poll (an immediate queued before this one).
    setImmediate(() => writeEventFd(efd));
    const events = await pending;
    if (events.length !== 1 || events.data(0) !== 1) throw new Error("lost a wake-up");
    readEventFd(efd);
  }
}

/** Instances waiting at once, each on an eventfd of its own registered with its index as data. */
export interface WaitingInstances {
  readonly epolls: Epoll<number>[];
  readonly efds: number[];
  /** Each instance's `waitAsync(5000)`, as its entries. */
  readonly pending: Promise<{ fd: number; events: number; data: number | undefined }[]>[];
  /** Closes every instance. */
  close(): void;
}

/** `count` Epoll instances, each waiting (`waitAsync(5000)`) on a fresh eventfd of `fds`. */
export function waitingInstances(fds: Descriptors, count: number): WaitingInstances {
  const epolls = Array.from({ length: count }, () => new Epoll<number>());
  const efds = epolls.map((epoll, i) => {
    const efd = fds.eventFd();
    epoll.add(efd, EpollFlags.IN, i);
    return efd;
  });
  const pending = epolls.map((epoll) => epoll.waitAsync(5000).then((events) => events.toArray()));
  return { epolls, efds, pending, close: () => epolls.forEach((epoll) => epoll.close()) };
}

/** Threads of this process (`/proc/self/task` entries), or -1 without /proc. */
export function threadCount(): number {
  try {
    return readdirSync("/proc/self/task").length;
  } catch {
    return -1;
  }
}

/** Resolves once this thread has no helper threads left; rejects after `timeoutMs`. */
export async function helpersStopped(timeoutMs = LINGER_MS * 20): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (asyncHelperThreads() > 0) {
    if (performance.now() > deadline) throw new Error(`${asyncHelperThreads()} helper thread(s) still running after ${timeoutMs} ms`);
    await Bun.sleep(5);
  }
}

/**
 * Resolves once the process has at most `limit` threads: an ended Worker's thread leaves the
 * process a moment after its 'close' event. Rejects after `timeoutMs`, naming the count.
 */
export async function threadsAtMost(limit: number, timeoutMs = emulated ? 10_000 : 2000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (threadCount() > limit) {
    if (performance.now() > deadline) throw new Error(`${threadCount()} threads after ${timeoutMs} ms, expected at most ${limit}`);
    await Bun.sleep(5);
  }
}

/** How a child process ended. */
export interface ChildRun {
  readonly exitCode: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Wall time from spawn to exit, in ms. */
  readonly elapsedMs: number;
}

/**
 * Runs `script` (TypeScript, top-level await allowed) with `bun -e`; `onSpawn` gets the process
 * (to write its stdin, say). Kills it after `timeoutMs` (then `exitCode` is the signal's).
 */
export async function runChild(
  script: string,
  options: { timeoutMs?: number; stdin?: "pipe" | "ignore"; onSpawn?: (child: Bun.Subprocess<"pipe", "pipe", "pipe">) => void | Promise<void> } = {},
): Promise<ChildRun> {
  const started = performance.now();
  const child = Bun.spawn(bunCommand("-e", script), { stdin: "pipe", stdout: "pipe", stderr: "pipe" });
  const timeoutMs = options.timeoutMs ?? (emulated ? 60_000 : 10_000);
  const killer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  try {
    await options.onSpawn?.(child);
    const [stdout, stderr, exitCode] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
    return { exitCode, stdout, stderr, elapsedMs: performance.now() - started };
  } finally {
    clearTimeout(killer);
  }
}
