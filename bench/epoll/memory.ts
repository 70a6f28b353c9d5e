/**
 * memory: the JS heap after 1 000 000 `wait(0)` calls that each return events, against the heap
 * after the first 1 000. Target: within 1 MiB for the indexed loop, which must allocate nothing.
 * The iterator and `toArray()` allocate per call by design; they are reported to show that what
 * they allocate is collected.
 *
 * @module
 */
import { heapStats } from "bun:jsc";
import type { Bench } from "../harness/bench.ts";
import type { Verdict } from "../harness/compare.ts";
import { formatNumber, renderTable } from "../harness/format.ts";
import { median } from "../harness/stats.ts";
import { epollOver, indexedLoop, population } from "./fixtures.ts";

const READY = 4;
const FIRST = 1_000;
const TOTAL = 1_000_000;
const MAX_GROWTH_BYTES = 1024 * 1024;

/** Heap figures after a full collection. */
function heapNow(): { used: number; size: number; objects: number } {
  Bun.gc(true);
  Bun.gc(true);
  const stats = heapStats();
  return { used: process.memoryUsage().heapUsed, size: stats.heapSize, objects: stats.objectCount };
}

/** Growth of each figure from after FIRST calls to after TOTAL calls of `wait`. */
function growth(loop: () => void): { used: number; size: number; objects: number } {
  for (let i = 0; i < FIRST; i++) loop();
  const before = heapNow();
  for (let i = FIRST; i < TOTAL; i++) loop();
  const after = heapNow();
  return { used: after.used - before.used, size: after.size - before.size, objects: after.objects - before.objects };
}

export const memory: Bench = {
  name: "memory",
  title: `JS heap growth from ${FIRST.toLocaleString("en-US")} to ${TOTAL.toLocaleString("en-US")} wait(0) calls, ${READY} events each`,
  async run({ runs, print }) {
    using eventfds = population(READY);
    using epoll = epollOver(eventfds);
    const expected = eventfds.expectedSum;
    const check = (sum: number) => {
      if (sum !== expected) throw new Error(`memory: sum ${sum}, expected ${expected}`);
    };
    const loops: Record<string, () => void> = {
      "indexed data(i)": indexedLoop(epoll, expected),
      iterator: () => {
        let sum = 0;
        for (const event of epoll.wait(0)) sum += event.data!;
        check(sum);
      },
      "toArray()": () => {
        let sum = 0;
        for (const event of epoll.wait(0).toArray()) sum += event.data!;
        check(sum);
      },
    };
    // Each run is a full million calls per loop: three runs show whether growth is systematic.
    const repeats = Math.min(runs, 3);
    const results: Record<string, { used: number; size: number; objects: number }[]> = {};
    for (let run = 0; run < repeats; run++) {
      for (const [name, loop] of Object.entries(loops)) (results[name] ??= []).push(growth(loop));
    }
    const kib = (bytes: number) => `${formatNumber(bytes / 1024)} KiB`;
    const verdicts: Verdict[] = [];
    const body = Object.entries(results).map(([name, figures]) => {
      const worst = Math.max(...figures.map((f) => f.used));
      const targeted = name === "indexed data(i)";
      const pass = worst <= MAX_GROWTH_BYTES;
      if (targeted) verdicts.push({ bench: "memory", workload: name, target: "≤ 1 MiB heap growth", measured: kib(worst), pass });
      return [
        name,
        kib(median(figures.map((f) => f.used))),
        kib(worst),
        kib(median(figures.map((f) => f.size))),
        formatNumber(median(figures.map((f) => f.objects))),
        targeted ? "≤ 1 MiB" : "reported",
        targeted ? (pass ? "PASS" : "MISS") : "",
      ];
    });
    print(`heapUsed: process.memoryUsage() after Bun.gc(true); heapSize, objects: bun:jsc heapStats(); ${repeats} runs`);
    print(renderTable(["loop", "heapUsed growth", "worst run", "heapSize growth", "objects growth", "target", "result"], body));
    return verdicts;
  },
};
