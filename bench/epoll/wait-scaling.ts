/**
 * wait-scaling: `wait(0)` with 64 ready eventfds among 100, 1 000 and 10 000 registered, summing
 * the data of the 64 events. The kernel hands back only its ready list, and the handle map
 * resolves a token by index, so the cost should be flat in the number registered.
 *
 * Target: the cost at 10 000 registered at most 1.10× the cost at 100 (the C columns show the
 * kernel's own flatness for comparison).
 *
 * @module
 */
import { type Bench, cNote } from "../harness/bench.ts";
import { CProgram } from "../harness/c-reference.ts";
import { costTable, type CostRow, interleave, pairedRatio, type Probe, type Verdict, verdictText } from "../harness/compare.ts";
import { formatRatio, renderTable } from "../harness/format.ts";
import { batchFor, cSampling, nsPerCall, type Sampling } from "../harness/measure.ts";
import { epollOver, indexedLoop, population } from "./fixtures.ts";
import { MAX_EVENTS, rawWaitFixture, rawWaitLoop } from "./raw.ts";

const READY = 64;
const REGISTERED = [100, 1_000, 10_000] as const;
/** The most the cost may grow from the smallest to the largest registration count. */
const MAX_GROWTH = 1.1;

export const waitScaling: Bench = {
  name: "wait-scaling",
  title: `wait(0) with ${READY} ready among ${REGISTERED.join(" / ")} registered; ns per wait`,
  async run({ runs, minMs, clock, print }) {
    const c = CProgram.build("wait");
    print(cNote(c !== null));
    const sampling: Sampling = { batch: batchFor(READY), minMs, clock };
    // All counts are measured in every run, interleaved, so growth is a ratio of figures taken
    // seconds apart rather than minutes.
    using stack = new DisposableStack();
    const probes: Record<string, Probe> = {};
    for (const registered of REGISTERED) {
      // The raw floor's epoll watches the same eventfds: 2 × 11 100 descriptors would pass the
      // usual limit, and a second watcher costs a wait nothing (only wake-ups would see it).
      const eventfds = stack.use(population(READY, registered - READY));
      const indexed = indexedLoop(stack.use(epollOver(eventfds)), eventfds.expectedSum);
      const raw = rawWaitLoop(stack.use(rawWaitFixture(eventfds)));
      const cRun = (mode: string): Probe =>
        c === null
          ? () => undefined
          : () => c.measure({ mode, ready: READY, idle: registered - READY, maxevents: MAX_EVENTS, ...cSampling(sampling) }, "ns_per_call");
      probes[`bun ${registered}`] = () => nsPerCall(indexed, sampling);
      probes[`raw ${registered}`] = () => nsPerCall(raw, sampling);
      probes[`st ${registered}`] = cRun("st");
      probes[`mt ${registered}`] = cRun("mt");
    }
    const figures = await interleave(runs, probes);
    const series = Object.fromEntries(
      REGISTERED.map((registered) => [
        registered,
        {
          bun: figures[`bun ${registered}`]!,
          raw: figures[`raw ${registered}`]!,
          cSingle: figures[`st ${registered}`],
          cIdle: figures[`mt ${registered}`],
        },
      ]),
    );

    const rows: CostRow[] = REGISTERED.flatMap((registered) => {
      const { bun, raw, cSingle, cIdle } = series[registered]!;
      return [
        { workload: `${READY} ready of ${registered}`, bun, cSingle, cIdle },
        { workload: `${READY} ready of ${registered}, raw bun:ffi floor`, bun: raw, cSingle, cIdle },
      ];
    });
    const table = costTable("wait-scaling", "ns/wait", rows);
    print(table.text);

    // Flatness: each count against the smallest, as the median of per-run ratios.
    const base = series[REGISTERED[0]]!;
    const verdicts: Verdict[] = [];
    const flatness = REGISTERED.slice(1).map((registered) => {
      const bunGrowth = pairedRatio(series[registered]!.bun, base.bun);
      const rawGrowth = pairedRatio(series[registered]!.raw, base.raw);
      const cGrowth = pairedRatio(series[registered]!.cIdle, base.cIdle);
      const last = registered === REGISTERED[REGISTERED.length - 1];
      const pass = last && bunGrowth !== undefined ? bunGrowth <= MAX_GROWTH : undefined;
      if (last) {
        verdicts.push({
          bench: "wait-scaling",
          workload: `${registered} vs ${REGISTERED[0]} registered`,
          target: `≤ ${MAX_GROWTH.toFixed(2)}× growth`,
          measured: formatRatio(bunGrowth),
          pass,
        });
      }
      return [`${registered} vs ${REGISTERED[0]}`, formatRatio(bunGrowth), formatRatio(rawGrowth), formatRatio(cGrowth), last ? `≤ ${MAX_GROWTH.toFixed(2)}×` : "reported", last ? verdictText(pass) : ""];
    });
    print();
    print(renderTable(["registered", "Bun growth", "raw bun:ffi growth", "C+idle growth", "target", "result"], flatness));
    return [...table.verdicts, ...verdicts];
  },
};
