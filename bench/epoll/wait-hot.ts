/**
 * wait-hot: `wait(0)` over N always-ready level-triggered eventfds (value 1, registered EPOLLIN,
 * never read), summing the user data of every event: N = 1, 64, 1024.
 *
 * The indexed loop (`length`, `data(i)`) is the zero-allocation hot path and carries the targets:
 * at most 1.05× the C + idle-thread floor per event at N = 64 and 1024, 1.10× at N = 1. The
 * iterator, `toArray()` and the raw bun:ffi floor are reported beside it.
 *
 * @module
 */
import { type Bench, cNote } from "../harness/bench.ts";
import { CProgram } from "../harness/c-reference.ts";
import { type OverheadRow, overheadTable } from "../harness/overhead.ts";
import { costTable, type CostRow, interleave, type Probe } from "../harness/compare.ts";
import { batchFor, cSampling, nsPerCall, pairedNsPerCall, type Sampling } from "../harness/measure.ts";
import type { Epoll } from "../../src/epoll/epoll.ts";
import { epollOver, indexedLoop, population } from "./fixtures.ts";
import { MAX_EVENTS, rawWaitFixture, rawWaitLoop } from "./raw.ts";

const SIZES = [1, 64, 1024] as const;

/** The iterator and `toArray` ways of reading a batch, each doing one wait and checking the data sum. */
function otherLoops(epoll: Epoll<number>, expectedSum: number) {
  const check = (sum: number) => {
    if (sum !== expectedSum) throw new Error(`wait-hot: sum ${sum}, expected ${expectedSum}`);
  };
  return {
    iterator() {
      let sum = 0;
      for (const event of epoll.wait(0)) sum += event.data!;
      check(sum);
    },
    toArray() {
      const entries = epoll.wait(0).toArray();
      let sum = 0;
      for (let i = 0; i < entries.length; i++) sum += entries[i]!.data!;
      check(sum);
    },
  };
}

export const waitHot: Bench = {
  name: "wait-hot",
  title: "wait(0) over N always-ready eventfds, summing events.data(i); ns per event",
  async run({ runs, minMs, clock, print }) {
    const c = CProgram.build("wait");
    print(cNote(c !== null));
    const rows: CostRow[] = [];
    const overheads: OverheadRow[] = [];
    for (const n of SIZES) {
      const sampling: Sampling = { batch: batchFor(n), minMs, clock };
      // The raw floor's epoll watches the same eventfds; a second watcher costs a wait nothing.
      using eventfds = population(n);
      using epoll = epollOver(eventfds);
      using raw = rawWaitFixture(eventfds);
      const paths = otherLoops(epoll, eventfds.expectedSum);
      const perEvent = (fn: () => void): Probe => async () => (await nsPerCall(fn, sampling)) / n;
      const cRun = (mode: string): Probe =>
        c === null ? () => undefined : () => c.measure({ mode, ready: n, maxevents: MAX_EVENTS, ...cSampling(sampling) }, "ns_per_event");
      const figures = await interleave(runs, {
        indexed: perEvent(indexedLoop(epoll, eventfds.expectedSum)),
        iterator: perEvent(paths.iterator),
        toArray: perEvent(paths.toArray),
        raw: perEvent(rawWaitLoop(raw)),
        overhead: () => pairedNsPerCall(indexedLoop(epoll, eventfds.expectedSum), rawWaitLoop(raw), sampling).difference / n,
        cSingle: cRun("st"),
        cIdle: cRun("mt"),
      });
      const c1 = figures.cSingle;
      const cMt = figures.cIdle;
      rows.push(
        { workload: `N=${n} indexed data(i)`, bun: figures.indexed!, cSingle: c1, cIdle: cMt, maxRatio: n === 1 ? 1.1 : 1.05 },
        { workload: `N=${n} iterator`, bun: figures.iterator!, cSingle: c1, cIdle: cMt },
        { workload: `N=${n} toArray()`, bun: figures.toArray!, cSingle: c1, cIdle: cMt },
        { workload: `N=${n} raw bun:ffi floor`, bun: figures.raw!, cSingle: c1, cIdle: cMt },
      );
      overheads.push({ workload: `N=${n} indexed data(i)`, differences: figures.overhead, floor: cMt });
    }
    const table = costTable("wait-hot", "ns/event", rows);
    print(table.text);
    print();
    print("The Epoll class's own cost, from alternating batches of the indexed loop and the raw floor:");
    print(overheadTable("ns/event", overheads));
    return table.verdicts;
  },
};
