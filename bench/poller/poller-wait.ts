/**
 * poller-wait: `Poller.wait(0)` over N always-ready eventfds (registered READABLE, never read),
 * summing `events.data(i)`: wait-hot's workload through the portable layer. N = 1, 64, 1024.
 *
 * The reference is the `Epoll` class doing the same in the same run (wait-hot's indexed row), over
 * the same eventfds. Target: the Poller's indexed loop costs at most 1.10× the Epoll class per
 * event. Reported beside it: the Poller with a Waker registered (its batch pass then looks at every
 * entry for wake-ups), reading `readable(i)` as well, and C + idle thread for scale.
 *
 * Runs under `bench/run.ts`, or alone: `bun bench/poller/poller-wait.ts [--runs N] [--min-ms N]`.
 *
 * @module
 */
import { Interest, Poller } from "../../src/poller/index.ts";
import { epollOver, indexedLoop, population, type Population } from "../epoll/fixtures.ts";
import { MAX_EVENTS } from "../epoll/raw.ts";
import { type Bench, cNote } from "../harness/bench.ts";
import { CProgram } from "../harness/c-reference.ts";
import { interleave, pairedRatio, type Probe, type Verdict, verdictText } from "../harness/compare.ts";
import { formatRatio, formatSummary, renderTable } from "../harness/format.ts";
import { batchFor, cSampling, nsPerCall, type Sampling } from "../harness/measure.ts";
import { summarise } from "../harness/stats.ts";
import { runStandalone } from "../harness/standalone.ts";

const SIZES = [1, 64, 1024] as const;
const MAX_RATIO = 1.1;

/** A Poller over every eventfd of the population, data `i + 1`, as epollOver does for Epoll. */
function pollerOver(eventfds: Population): Poller<number> {
  const poller = new Poller<number>({ backend: "epoll", maxEvents: MAX_EVENTS });
  eventfds.fds.forEach((fd, i) => poller.add(fd, Interest.READABLE, i + 1));
  return poller;
}

/** One `wait(0)` summing `data(i)` (and, with `readable`, counting `readable(i)`), checked. */
function pollerLoop(poller: Poller<number>, expectedSum: number, n: number, readable: boolean): () => void {
  return readable
    ? () => {
        const events = poller.wait(0);
        let sum = 0;
        let ready = 0;
        for (let i = 0; i < events.length; i++) {
          sum += events.data(i)!;
          if (events.readable(i)) ready++;
        }
        if (sum !== expectedSum || ready !== n) throw new Error(`poller-wait: sum ${sum}, ${ready} readable`);
      }
    : () => {
        const events = poller.wait(0);
        let sum = 0;
        for (let i = 0; i < events.length; i++) sum += events.data(i)!;
        if (sum !== expectedSum) throw new Error(`poller-wait: sum ${sum}, expected ${expectedSum}`);
      };
}

export const pollerWait: Bench = {
  name: "poller-wait",
  title: "Poller.wait(0) over N always-ready eventfds, summing events.data(i), against the Epoll class; ns per event",
  async run({ runs, minMs, clock, print }) {
    const c = CProgram.build("wait");
    print(cNote(c !== null));
    const rows: string[][] = [];
    const verdicts: Verdict[] = [];
    for (const n of SIZES) {
      const sampling: Sampling = { batch: batchFor(n), minMs, clock };
      using eventfds = population(n);
      using epoll = epollOver(eventfds);
      using plain = pollerOver(eventfds);
      using woken = pollerOver(eventfds);
      woken.waker(); // registered, never woken: the batch pass runs, finds nothing to hide
      const perEvent = (fn: () => void): Probe => async () => (await nsPerCall(fn, sampling)) / n;
      const figures = await interleave(runs, {
        epoll: perEvent(indexedLoop(epoll, eventfds.expectedSum)),
        poller: perEvent(pollerLoop(plain, eventfds.expectedSum, n, false)),
        withWaker: perEvent(pollerLoop(woken, eventfds.expectedSum, n, false)),
        readable: perEvent(pollerLoop(plain, eventfds.expectedSum, n, true)),
        cIdle:
          c === null
            ? () => undefined
            : () => c.measure({ mode: "mt", ready: n, maxevents: MAX_EVENTS, ...cSampling(sampling) }, "ns_per_event"),
      });
      const row = (label: string, key: string, target?: number) => {
        const ratio = pairedRatio(figures[key], figures.epoll);
        let result = "";
        if (target !== undefined) {
          const pass = ratio === undefined ? undefined : ratio <= target;
          result = verdictText(pass);
          verdicts.push({ bench: "poller-wait", workload: `N=${n} ${label}`, target: `≤ ${target.toFixed(2)}× Epoll`, measured: formatRatio(ratio), pass });
        }
        rows.push([
          `N=${n} ${label}`,
          formatSummary(summarise(figures[key]!)),
          formatSummary(summarise(figures.epoll!)),
          formatRatio(ratio),
          figures.cIdle ? formatRatio(pairedRatio(figures[key], figures.cIdle)) : "—",
          target === undefined ? "reported" : `≤ ${target.toFixed(2)}× Epoll`,
          result,
        ]);
      };
      row("Poller data(i)", "poller", MAX_RATIO);
      row("Poller data(i), waker registered", "withWaker");
      row("Poller data(i) + readable(i)", "readable");
    }
    print(renderTable(["workload", "Bun ns/event", "Epoll ns/event", "×Epoll", "×C+idle", "target", "result"], rows));
    return verdicts;
  },
};

if (import.meta.main) await runStandalone(pollerWait);
