/**
 * syscall: does entering the kernel through `syscall(2)` beat glibc's `epoll_wait` wrapper?
 *
 * In a multi-threaded process (Bun always is) glibc's cancellable wrappers switch asynchronous
 * cancellation on and off around every call; `syscall()` does not. Measured here on the raw
 * bun:ffi wait loop (no Epoll class) with N = 1 and 64 ready eventfds, against the C program
 * calling epoll_wait and syscall(SYS_epoll_wait) with and without an idle thread. Reported only:
 * the figures are for the lead to decide whether Epoll's hot path should switch.
 *
 * x64 has SYS_epoll_wait; arm64 has only SYS_epoll_pwait, whose fifth argument is the signal mask,
 * so the binding there must pass NULL explicitly: a 4-argument `syscall` binding would hand the
 * kernel whatever the caller left in that register as a sigmask pointer.
 *
 * @module
 */
import { dlopen, FFIType, ptr } from "bun:ffi";
import { abi, loadEpoll, loadSyscall4, optionalConstant } from "../../ffi/index.ts";
import { type Bench, cNote } from "../harness/bench.ts";
import { CProgram } from "../harness/c-reference.ts";
import { costTable, type CostRow, interleave, pairedRatio, type Probe } from "../harness/compare.ts";
import { formatNumber, formatRatio, renderTable } from "../harness/format.ts";
import { batchFor, cSampling, nsPerCall, pairedNsPerCall, type Sampling } from "../harness/measure.ts";
import { median } from "../harness/stats.ts";
import { population } from "./fixtures.ts";
import { MAX_EVENTS, type RawWaitFixture, rawWaitFixture } from "./raw.ts";

const SIZES = [1, 64] as const;

/** `syscall(nr, epfd, buf, maxevents, timeout)`: x64's epoll_wait, typed as the call's own arguments. */
const syscallWaitSymbols = {
  syscall: { args: [FFIType.i64_fast, "i32", "ptr", "i32", "i32"], returns: "i32" },
} as const;

/** `syscall(nr, epfd, buf, maxevents, timeout, sigmask, sigsetsize)`: epoll_pwait with a NULL mask (arm64). */
const syscallPwaitSymbols = {
  syscall: { args: [FFIType.i64_fast, "i32", "ptr", "i32", "i32", "ptr", FFIType.i64_fast], returns: "i32" },
} as const;

/** A wait loop like `rawWaitLoop`, but entering the kernel through `wait(epfd, words)`. */
function loopVia(fixture: RawWaitFixture, wait: (epfd: number, words: Uint32Array) => number): () => void {
  const { epfd, words, stride, dataWord, expectedSum } = fixture;
  return () => {
    const count = wait(epfd, words);
    let sum = 0;
    for (let i = 0, at = dataWord; i < count; i++, at += stride) sum += words[at]!;
    if (sum !== expectedSum) throw new Error(`syscall: sum ${sum}, expected ${expectedSum}`);
  };
}

export const syscallExperiment: Bench = {
  name: "syscall",
  title: "epoll_wait through glibc's wrapper vs syscall(2), raw bun:ffi and C; ns per wait",
  async run({ runs, minMs, clock, print }) {
    const c = CProgram.build("wait");
    print(cNote(c !== null));
    const libc = abi?.libc[0];
    const epollWaitNr = optionalConstant("SYS_epoll_wait");
    const epollPwaitNr = optionalConstant("SYS_epoll_pwait");
    if (libc === undefined || (epollWaitNr === undefined && epollPwaitNr === undefined)) {
      print("skipped: this platform has no epoll system call numbers in ffi/");
      return [];
    }
    const { epoll_wait } = loadEpoll()!;
    // Bound here from the ABI table's libc, as src/ would bind it; closed when the bench ends.
    using libraries = new DisposableStack();
    let viaSyscall: (epfd: number, words: Uint32Array) => number;
    if (epollWaitNr !== undefined) {
      const { symbols, close } = dlopen(libc, syscallWaitSymbols);
      libraries.defer(close);
      viaSyscall = (epfd, words) => symbols.syscall(epollWaitNr, epfd, words, MAX_EVENTS, 0);
    } else {
      const { symbols, close } = dlopen(libc, syscallPwaitSymbols);
      libraries.defer(close);
      viaSyscall = (epfd, words) => symbols.syscall(epollPwaitNr!, epfd, words, MAX_EVENTS, 0, null, 8);
    }
    const callName = epollWaitNr !== undefined ? "syscall(SYS_epoll_wait)" : "syscall(SYS_epoll_pwait, NULL mask)";
    // ffi/'s existing 4-argument binding (all i64_fast): usable for epoll_wait on x64 only.
    const syscall4 = epollWaitNr !== undefined ? loadSyscall4() : undefined;

    const rows: CostRow[] = [];
    const savings: string[][] = [];
    for (const n of SIZES) {
      const sampling: Sampling = { batch: batchFor(n), minMs, clock };
      using eventfds = population(n);
      using fixture = rawWaitFixture(eventfds);
      // A plain ArrayBuffer of 12 KiB never moves, so its address can be taken once.
      const address = ptr(fixture.words);
      const cRun = (mode: string, call: string): Probe =>
        c === null ? () => undefined : () => c.measure({ mode, call, ready: n, maxevents: MAX_EVENTS, ...cSampling(sampling) }, "ns_per_call");
      const probes: Record<string, Probe> = {
        wrapper: () => nsPerCall(loopVia(fixture, (epfd, words) => epoll_wait(epfd, words, MAX_EVENTS, 0)), sampling),
        syscall: () => nsPerCall(loopVia(fixture, viaSyscall), sampling),
        stWrapper: cRun("st", "wrapper"),
        mtWrapper: cRun("mt", "wrapper"),
        stSyscall: cRun("st", "syscall"),
        mtSyscall: cRun("mt", "syscall"),
      };
      // Paired: alternating batches in one loop (Bun) or one process (C); value = wrapper − syscall.
      const wrapperLoop = loopVia(fixture, (epfd, words) => epoll_wait(epfd, words, MAX_EVENTS, 0));
      const syscallLoop = loopVia(fixture, viaSyscall);
      probes.bunPaired = () => pairedNsPerCall(wrapperLoop, syscallLoop, sampling).difference;
      const cPaired = (mode: string): Probe =>
        c === null ? () => undefined : () => c.measure({ mode, call: "paired", ready: n, maxevents: MAX_EVENTS, ...cSampling(sampling) }, "diff_ns");
      probes.stPaired = cPaired("st");
      probes.mtPaired = cPaired("mt");
      if (syscall4 !== undefined) {
        probes.syscall4 = () => nsPerCall(loopVia(fixture, (epfd) => syscall4.syscall(epollWaitNr!, epfd, address, MAX_EVENTS, 0) as number), sampling);
      }
      const f = await interleave(runs, probes);
      rows.push(
        { workload: `N=${n} epoll_wait (glibc wrapper)`, bun: f.wrapper!, cSingle: f.stWrapper, cIdle: f.mtWrapper },
        { workload: `N=${n} ${callName}`, bun: f.syscall!, cSingle: f.stSyscall, cIdle: f.mtSyscall },
      );
      if (f.syscall4) rows.push({ workload: `N=${n} ffi/ loadSyscall4, ptr as number`, bun: f.syscall4, cSingle: f.stSyscall, cIdle: f.mtSyscall });
      // A saving in ns and as a share of the wrapper's cost.
      const saved = (difference: number[] | undefined, wrapper: number[] | undefined) => {
        if (difference === undefined || wrapper === undefined) return "—";
        const ns = median(difference);
        return `${formatNumber(ns)} ns (${((ns / median(wrapper)) * 100).toFixed(1)}%) ±${formatNumber((Math.max(...difference) - Math.min(...difference)) / 2)}`;
      };
      savings.push([
        `N=${n}`,
        saved(f.bunPaired, f.wrapper),
        saved(f.mtPaired, f.mtWrapper),
        saved(f.stPaired, f.stWrapper),
        formatRatio(pairedRatio(f.syscall, f.mtWrapper)),
      ]);
    }
    const table = costTable("syscall", "ns/wait", rows);
    print(table.text);
    print();
    print("What syscall() saves per wait against the wrapper, from alternating batches (median over runs ±half-range):");
    print(renderTable(["size", "Bun saves", "C+idle saves", "C 1-thread saves", "Bun syscall ÷ C+idle wrapper"], savings));
    return [];
  },
};
