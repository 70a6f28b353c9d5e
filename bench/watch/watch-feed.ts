/**
 * watch-feed: CPU time per event of a 1 kHz feed read with `watchFd`, against the same feed read
 * with `Bun.file(path).stream()`, in one run.
 *
 * The feed is a FIFO written by another process (feeder.ts) with one 64-byte record per
 * millisecond, as a serial port or a sensor delivers data. The reader is this process; its CPU
 * time (all threads: the JS thread, Bun's event loop, JIT and GC) is taken from the first record
 * to the end of the feed and divided by the records that came in that span. The feeder's CPU time
 * is its own process's and not counted. Rows:
 *
 * - `watchFd`: a nonblocking FIFO descriptor, one `readSync` per callback.
 * - `watchFd`, `unref: true`: the same with an unref'd watch (a ref'd timer keeps the process
 *   alive), which once waited through a path of its own.
 * - `Poller.batches()` loop: the same reads driven by a hand-written `for await` over
 *   `poller.batches()` on a Poller of its own: what watchFd is built on, so the difference is
 *   watchFd's own part.
 * - `Poller.waitAsync` loop: the same with `await poller.waitAsync()` per batch.
 * - `Bun.file().stream()`: Bun's own stream over the FIFO's path, one chunk per iteration.
 * - `idle`: the same span with no reader (a sleeping `await`), the process's floor: what Bun
 *   costs per millisecond doing nothing, shown per "event" for scale.
 *
 * No target: the figures and the ratio are reported.
 *
 * Runs under `bench/run.ts`, or alone: `bun bench/watch/watch-feed.ts [--runs N]`.
 *
 * @module
 */
import { closeSync, constants, mkdtempSync, openSync, readSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { Clock } from "../harness/clock.ts";
import type { Bench } from "../harness/bench.ts";
import { interleave, pairedRatio } from "../harness/compare.ts";
import { formatNumber, formatRatio, formatSummary, renderTable } from "../harness/format.ts";
import { summarise } from "../harness/stats.ts";
import { runStandalone } from "../harness/standalone.ts";
import { Interest, type PollEvents, Poller } from "../../src/poller/index.ts";
import { watchFd } from "../../src/watch/index.ts";
import { RECORD_BYTES } from "./record.ts";

const RECORDS = 1000;
const feederScript = new URL("./feeder.ts", import.meta.url).pathname;

/** What one reading run measured. */
interface Run {
  /** CPU ns from the first record to the end, per record after the first. */
  readonly nsPerEvent: number;
  readonly records: number;
}

function startFeeder(fifo: string): Bun.Subprocess {
  return Bun.spawn([process.execPath, feederScript, fifo, String(RECORDS)], { stdout: "inherit", stderr: "inherit" });
}

/** Counts whole records in a byte stream, and times from the first. */
class Tally {
  bytes = 0;
  startedAt = 0;
  startBytes = 0;

  constructor(private readonly clock: Clock) {}

  add(n: number): void {
    if (this.bytes === 0 && n > 0) {
      this.startedAt = this.clock.now();
      this.startBytes = n;
    }
    this.bytes += n;
  }

  finish(): Run {
    const elapsed = this.clock.now() - this.startedAt;
    const records = Math.floor((this.bytes - this.startBytes) / RECORD_BYTES);
    return { nsPerEvent: elapsed / Math.max(records, 1), records: Math.floor(this.bytes / RECORD_BYTES) };
  }
}

/**
 * Reads what a readiness report says is there into the tally. Returns true at the end of the
 * feed: a FIFO with no writer yet also reads as end of file, so only an end after data counts.
 */
class FeedReader {
  readonly tally: Tally;
  readonly #buffer = new Uint8Array(65536);
  #sawWriter = false;

  constructor(
    private readonly fd: number,
    clock: Clock,
  ) {
    this.tally = new Tally(clock);
  }

  onReady(hangup: boolean): boolean {
    let n = 0;
    try {
      n = readSync(this.fd, this.#buffer);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EAGAIN") throw error;
      return false;
    }
    if (n > 0) this.#sawWriter = true;
    this.tally.add(n);
    return n === 0 && hangup && this.#sawWriter;
  }
}

async function readWithWatch(fifo: string, clock: Clock, unref = false): Promise<Run> {
  const fd = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
  const feeder = startFeeder(fifo);
  const reader = new FeedReader(fd, clock);
  const done = Promise.withResolvers<void>();
  // An unref'd watch does not keep the process alive: a timer that never fires does.
  const alive = unref ? setInterval(() => {}, 2 ** 30) : undefined;
  const watch = watchFd(
    fd,
    { readable: true },
    ({ hangup }) => {
      if (reader.onReady(hangup)) done.resolve();
    },
    { unref },
  );
  await done.promise;
  const run = reader.tally.finish();
  watch.close();
  clearInterval(alive);
  closeSync(fd);
  await feeder.exited;
  return run;
}

/**
 * The feed read through a Poller of its own, with a hand-written loop: `for await` over
 * `poller.batches()`, or `await poller.waitAsync()` per batch.
 */
async function readWithPoller(fifo: string, clock: Clock, form: "batches" | "waitAsync"): Promise<Run> {
  const fd = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
  const feeder = startFeeder(fifo);
  const reader = new FeedReader(fd, clock);
  const ended = (events: PollEvents<unknown>) => events.length > 0 && reader.onReady(events.hangup(0));
  using poller = new Poller();
  poller.add(fd, Interest.READABLE);
  if (form === "batches") {
    for await (const events of poller.batches()) if (ended(events)) break;
  } else {
    while (!ended(await poller.waitAsync(-1)));
  }
  const run = reader.tally.finish();
  poller.delete(fd);
  closeSync(fd);
  await feeder.exited;
  return run;
}

async function readWithStream(fifo: string, clock: Clock): Promise<Run> {
  const feeder = startFeeder(fifo);
  const tally = new Tally(clock);
  for await (const chunk of Bun.file(fifo).stream()) tally.add(chunk.byteLength);
  const run = tally.finish();
  await feeder.exited;
  return run;
}

/** The process's CPU time over as long a span as a feed takes, doing nothing. */
async function idle(clock: Clock): Promise<Run> {
  const started = clock.now();
  await Bun.sleep(RECORDS);
  return { nsPerEvent: (clock.now() - started) / RECORDS, records: RECORDS };
}

export const watchFeed: Bench = {
  name: "watch-feed",
  title: `a ${RECORDS}-record feed at 1 kHz through a FIFO: this process's CPU time per event, µs`,
  async run({ runs, clock, print }) {
    print(`clock: ${clock.name}; the feed is written by another process (its CPU time not counted)`);
    const dir = mkdtempSync("/tmp/bunix-watch-feed-");
    const fifo = join(dir, "feed");
    if (Bun.spawnSync(["mkfifo", fifo]).exitCode !== 0) throw new Error("mkfifo failed");
    const received: Record<string, number[]> = {};
    const probe = (name: string, take: () => Promise<Run>) => async () => {
      const run = await take();
      (received[name] ??= []).push(run.records);
      return run.nsPerEvent / 1000;
    };
    try {
      // Warm up both readers once: the first run compiles them.
      await readWithWatch(fifo, clock);
      await readWithWatch(fifo, clock, true);
      await readWithPoller(fifo, clock, "batches");
      await readWithPoller(fifo, clock, "waitAsync");
      await readWithStream(fifo, clock);
      const figures = await interleave(runs, {
        watch: probe("watch", () => readWithWatch(fifo, clock)),
        unref: probe("unref", () => readWithWatch(fifo, clock, true)),
        batches: probe("batches", () => readWithPoller(fifo, clock, "batches")),
        waitAsync: probe("waitAsync", () => readWithPoller(fifo, clock, "waitAsync")),
        stream: probe("stream", () => readWithStream(fifo, clock)),
        idle: probe("idle", () => idle(clock)),
      });
      const rows = [
        ["watchFd (readSync per callback)", "watch"],
        ["watchFd, unref: true", "unref"],
        ["Poller.batches() loop (readSync per batch)", "batches"],
        ["Poller.waitAsync loop (readSync per batch)", "waitAsync"],
        ["Bun.file(fifo).stream()", "stream"],
        ["idle process, same span", "idle"],
      ].map(([label, key]) => [
        label!,
        formatSummary(figures[key!] ? summarise(figures[key!]!) : undefined),
        formatRatio(pairedRatio(figures[key!], figures.stream)),
        key === "idle" ? "—" : formatNumber(Math.min(...(received[key!] ?? [0]))),
      ]);
      print(renderTable(["reader", "CPU µs/event", "vs stream", "records (min of runs)"], rows));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    return [];
  },
};

if (import.meta.main) await runStandalone(watchFeed);
