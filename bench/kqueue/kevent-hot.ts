/**
 * kevent-hot: `wait(0)` over N always-ready registrations, summing the udata of every event:
 * N = 1, 64 and 512 (libkqueue's cap per call). The kqueue counterpart of wait-hot.
 *
 * The registrations are user events (`EventFilter.User`, ident i + 1, udata i + 1) added with
 * `ADD` and no `CLEAR`, then triggered once: such an event stays triggered and is reported by
 * every call. The indexed loop (`length`, `udata(i)`) carries the target: at most 1.10× the
 * C + idle-thread floor per event at N = 64. The iterator, `toArray()` and the raw bun:ffi floor
 * are reported beside it.
 *
 * Where the kqueue comes from: the kernel's on macOS and FreeBSD; on Linux, the libkqueue build
 * named by `BUNIX_LIBKQUEUE` (as for the tests). Without either the bench says so and skips.
 * The C reference (`c/kevent-hot.c`) dlopen()s the same build.
 *
 * @module
 */
import { abi, libkqueueAbi, loadKqueueFrom, loadNativeKqueue, struct } from "../../ffi/index.ts";
import { KeventBuffer } from "../../src/kevent/codec.ts";
import { EventFilter, EventFlags, Kqueue, Note } from "../../src/kqueue/kqueue.ts";
import { platform } from "../../src/core/platform.ts";
import { type Bench, cNote } from "../harness/bench.ts";
import { CProgram } from "../harness/c-reference.ts";
import { costTable, type CostRow, interleave, type Probe } from "../harness/compare.ts";
import { DescriptorSet } from "../harness/descriptors.ts";
import { formatNumber, renderTable } from "../harness/format.ts";
import { batchFor, cSampling, nsPerCall, pairedNsPerCall, type Sampling } from "../harness/measure.ts";
import { median } from "../harness/stats.ts";

/** libkqueue returns at most 512 events per call, so N stops there. */
const SIZES = [1, 64, 512] as const;
const TARGET_SIZE = 64;
const TARGET_RATIO = 1.1;

/** The most the indexed loop may cost against C + idle thread at size `n`; `undefined`: reported only. */
function targetAt(n: number): number | undefined {
  return n === TARGET_SIZE ? TARGET_RATIO : undefined;
}

/** The kqueue to measure: native, or libkqueue from `BUNIX_LIBKQUEUE`; a reason when there is none. */
type Source = { readonly library: string | undefined; readonly label: string } | { readonly skip: string };

function kqueueSource(): Source {
  if (platform.supports.kqueue) return { library: undefined, label: `the native kqueue (${process.platform})` };
  const library = process.env.BUNIX_LIBKQUEUE || undefined;
  if (library === undefined) {
    return { skip: `no kqueue here: ${process.platform} has none of its own; set BUNIX_LIBKQUEUE to a libkqueue.so.0 build` };
  }
  try {
    new Kqueue({ library }).close();
  } catch (error) {
    return { skip: `BUNIX_LIBKQUEUE (${library}) gives no kqueue: ${(error as Error).message}` };
  }
  return { library, label: `libkqueue from BUNIX_LIBKQUEUE (${library})` };
}

/** `n` triggered user events on a new `Kqueue<number>` (udata i + 1), checked to be reported by one wait. */
function kqueueOver(library: string | undefined, n: number): Kqueue<number> {
  const kq = new Kqueue<number>(library === undefined ? { maxEvents: n } : { library, maxEvents: n });
  try {
    for (let token = 1; token <= n; token++) {
      kq.register(token, EventFilter.User, EventFlags.ADD, token);
      kq.trigger(token);
    }
    const length = kq.wait(0).length;
    if (length !== n) throw new Error(`kevent-hot: the first wait returned ${length} events, not ${n}`);
  } catch (error) {
    kq.close();
    throw error;
  }
  return kq;
}

/** The expected sum of the udata: 1 + 2 + … + n. */
function sumTo(n: number): number {
  return (n * (n + 1)) / 2;
}

/** One `wait(0)` summing `list.udata(i)` in an indexed loop and checking the sum: the hot path. */
function indexedLoop(kq: Kqueue<number>, expectedSum: number): () => void {
  return () => {
    const list = kq.wait(0);
    let sum = 0;
    for (let i = 0; i < list.length; i++) sum += list.udata(i)!;
    if (sum !== expectedSum) throw new Error(`kevent-hot indexed: sum ${sum}, expected ${expectedSum}`);
  };
}

/** The iterator and `toArray()` ways of reading a batch, each doing one wait and checking the sum. */
function otherLoops(kq: Kqueue<number>, expectedSum: number) {
  const check = (sum: number) => {
    if (sum !== expectedSum) throw new Error(`kevent-hot: sum ${sum}, expected ${expectedSum}`);
  };
  return {
    iterator() {
      let sum = 0;
      for (const event of kq.wait(0)) sum += event.udata!;
      check(sum);
    },
    toArray() {
      const entries = kq.wait(0).toArray();
      let sum = 0;
      for (let i = 0; i < entries.length; i++) sum += entries[i]!.udata!;
      check(sum);
    },
  };
}

/**
 * The bun:ffi floor: a kqueue of its own with the same user events, `kevent()` called straight
 * through the ffi/ binding with a zero timespec, and the low udata word of each event summed from
 * one `Uint32Array`. No Kqueue class, no handle map, no argument checks.
 */
function rawFloor(library: string | undefined, n: number) {
  const symbols = library === undefined ? loadNativeKqueue() : loadKqueueFrom(library);
  if (symbols === undefined) throw new Error("kevent-hot: no kqueue symbols");
  const { kevent } = symbols;
  // The class's layout and constants (src/kevent/constants.ts): the native flavour, else libkqueue's.
  const layout = abi?.kqueue ?? libkqueueAbi;
  const descriptors = new DescriptorSet();
  const kq = symbols.kqueue();
  if (kq < 0) throw new Error("kevent-hot: kqueue() failed");
  descriptors.keep(kq);
  const zero = new Uint32Array(new ArrayBuffer(struct("timespec").size));
  try {
    const change = new KeventBuffer(layout.kevent, 1);
    for (let token = 1; token <= n; token++) {
      // Added, then triggered in a separate change that carries the udata again (libkqueue: see c/kevent-hot.c).
      change.encode(0, token, EventFilter.User, EventFlags.ADD, 0, 0, token, 0);
      if (kevent(kq, change.words, 1, null, 0, zero) < 0) throw new Error("kevent-hot: EV_ADD failed");
      change.encode(0, token, EventFilter.User, 0, Note.TRIGGER, 0, token, 0);
      if (kevent(kq, change.words, 1, null, 0, zero) < 0) throw new Error("kevent-hot: NOTE_TRIGGER failed");
    }
  } catch (error) {
    descriptors[Symbol.dispose]();
    throw error;
  }
  const words = new Uint32Array(new ArrayBuffer(n * layout.kevent.size));
  const stride = layout.kevent.size / 4;
  const udataWord = layout.kevent.fields.udata.offset / 4;
  const expectedSum = sumTo(n);
  return {
    loop(): () => void {
      return () => {
        const count = kevent(kq, null, 0, words, n, zero);
        let sum = 0;
        for (let i = 0, at = udataWord; i < count; i++, at += stride) sum += words[at]!;
        if (sum !== expectedSum) throw new Error(`kevent-hot raw: sum ${sum}, expected ${expectedSum}`);
      };
    },
    [Symbol.dispose]: () => descriptors[Symbol.dispose](),
  };
}

/** One row of the class-cost table: per-run paired differences (ns per event) and the C+idle floor. */
interface ClassCostRow {
  readonly workload: string;
  readonly differences: readonly number[] | undefined;
  readonly floor: readonly number[] | undefined;
}

/**
 * The class's own cost per event, from the paired differences indexed − raw floor (as
 * harness/overhead.ts renders it for Epoll, with this bench's heading).
 */
function classCostTable(rows: readonly ClassCostRow[]): string {
  const body = rows
    .filter((row) => row.differences !== undefined && row.differences.length > 0)
    .map((row) => {
      const differences = row.differences!;
      const ns = median(differences);
      const range = `${formatNumber(Math.min(...differences))} … ${formatNumber(Math.max(...differences))}`;
      const share = row.floor === undefined ? "—" : `${((ns / median(row.floor)) * 100).toFixed(1)}%`;
      return [row.workload, formatNumber(ns), range, share];
    });
  return renderTable(["Kqueue − raw floor", "median ns/event", "runs' range", "of C+idle"], body);
}

/** The C reference, or `null` (said in the report) without a compiler or when it does not compile here. */
function buildReference(print: (line?: string) => void): CProgram | null {
  try {
    const c = CProgram.build("kevent-hot");
    print(cNote(c !== null));
    return c;
  } catch (error) {
    // bench.h is written for Linux first: say why the C columns are missing rather than stop.
    print(`C reference: skipped, it did not compile here: ${(error as Error).message.split("\n").slice(0, 3).join(" ")}`);
    return null;
  }
}

export const keventHot: Bench = {
  name: "kevent-hot",
  title: "Kqueue wait(0) over N always-ready user events, summing list.udata(i); ns per event",
  async run({ runs, minMs, clock, print }) {
    const source = kqueueSource();
    if ("skip" in source) {
      print(`skipped: ${source.skip}`);
      return [];
    }
    print(`kqueue: ${source.label}`);
    const c = buildReference(print);
    const library = source.library;
    const rows: CostRow[] = [];
    const overheads: ClassCostRow[] = [];
    for (const n of SIZES) {
      const sampling: Sampling = { batch: batchFor(n), minMs, clock };
      const expectedSum = sumTo(n);
      using kq = kqueueOver(library, n);
      using raw = rawFloor(library, n);
      const paths = otherLoops(kq, expectedSum);
      const perEvent = (fn: () => void): Probe => async () => (await nsPerCall(fn, sampling)) / n;
      const cArgs = { ready: n, maxevents: n, ...cSampling(sampling), ...(library === undefined ? {} : { library }) };
      const cRun = (mode: string): Probe => (c === null ? () => undefined : () => c.measure({ mode, ...cArgs }, "ns_per_event"));
      const figures = await interleave(runs, {
        indexed: perEvent(indexedLoop(kq, expectedSum)),
        iterator: perEvent(paths.iterator),
        toArray: perEvent(paths.toArray),
        raw: perEvent(raw.loop()),
        overhead: () => pairedNsPerCall(indexedLoop(kq, expectedSum), raw.loop(), sampling).difference / n,
        cSingle: cRun("st"),
        cIdle: cRun("mt"),
      });
      const c1 = figures.cSingle;
      const cMt = figures.cIdle;
      rows.push(
        // The target is at N = 64; N = 1 and N = 512 are reported.
        { workload: `N=${n} indexed udata(i)`, bun: figures.indexed!, cSingle: c1, cIdle: cMt, maxRatio: targetAt(n) },
        { workload: `N=${n} iterator`, bun: figures.iterator!, cSingle: c1, cIdle: cMt },
        { workload: `N=${n} toArray()`, bun: figures.toArray!, cSingle: c1, cIdle: cMt },
        { workload: `N=${n} raw bun:ffi floor`, bun: figures.raw!, cSingle: c1, cIdle: cMt },
      );
      overheads.push({ workload: `N=${n} indexed udata(i)`, differences: figures.overhead, floor: cMt });
    }
    const table = costTable("kevent-hot", "ns/event", rows);
    print(table.text);
    print();
    print("The Kqueue class's own cost, from alternating batches of the indexed loop and the raw floor:");
    print(classCostTable(overheads));
    return table.verdicts;
  },
};
