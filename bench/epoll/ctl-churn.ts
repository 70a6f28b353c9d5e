/**
 * ctl-churn: `modify` and `add`+`delete` pairs on one idle eventfd (never ready, so the kernel's
 * share is epoll_ctl itself and no wait is involved); ns per operation (a pair is two).
 *
 * Target: at most 1.10× the C + idle-thread floor per operation, for `modify` keeping the data
 * (the common re-arm) and for `add`+`delete`. `modify` with new data is reported beside them.
 *
 * @module
 */
import { constant, loadEpoll, struct } from "../../ffi/index.ts";
import { Epoll, EpollFlags } from "../../src/epoll/epoll.ts";
import { type Bench, cNote } from "../harness/bench.ts";
import { CProgram } from "../harness/c-reference.ts";
import { costTable, interleave, type Probe } from "../harness/compare.ts";
import { DescriptorSet } from "../harness/descriptors.ts";
import { overheadTable } from "../harness/overhead.ts";
import { cSampling, nsPerCall, pairedNsPerCall, type Sampling } from "../harness/measure.ts";

const MAX_RATIO = 1.1;

export const ctlChurn: Bench = {
  name: "ctl-churn",
  title: "epoll_ctl through Epoll.modify and Epoll.add + delete on an idle eventfd; ns per operation",
  async run({ runs, minMs, clock, print }) {
    const c = CProgram.build("ctl_churn");
    print(cNote(c !== null));
    const sampling: Sampling = { batch: 4096, minMs, clock };
    using descriptors = new DescriptorSet();
    using epoll = new Epoll<number>();
    const modified = descriptors.eventfd(0);
    const churned = descriptors.eventfd(0);
    epoll.add(modified, EpollFlags.IN, 1);

    // Alternating the mask makes every call a real change, as in the C program.
    const both = EpollFlags.IN | EpollFlags.PRI;
    let k = 0;
    const modifyKeep = () => epoll.modify(modified, ++k & 1 ? both : EpollFlags.IN);
    const modifyData = () => epoll.modify(modified, ++k & 1 ? both : EpollFlags.IN, k);
    const addDelete = () => {
      epoll.add(churned, EpollFlags.IN, ++k);
      epoll.delete(churned);
    };

    // The bun:ffi floor: the same calls through the ffi/ binding on a raw epoll descriptor.
    const { epoll_create1, epoll_ctl } = loadEpoll()!;
    const epfd = descriptors.keep(epoll_create1(constant("EPOLL_CLOEXEC")));
    const rawModified = descriptors.eventfd(0);
    const rawChurned = descriptors.eventfd(0);
    const layout = struct("epoll_event");
    const dataWord = layout.fields.data.offset / 4;
    const request = new Uint32Array(new ArrayBuffer(layout.size));
    const [ADD, MOD, DEL] = [constant("EPOLL_CTL_ADD"), constant("EPOLL_CTL_MOD"), constant("EPOLL_CTL_DEL")];
    request[0] = EpollFlags.IN;
    if (epfd < 0 || epoll_ctl(epfd, ADD, rawModified, request) !== 0) throw new Error("raw epoll setup failed");
    const rawModify = () => {
      request[0] = ++k & 1 ? both : EpollFlags.IN;
      if (epoll_ctl(epfd, MOD, rawModified, request) !== 0) throw new Error("epoll_ctl MOD failed");
    };
    const rawPair = () => {
      request[0] = EpollFlags.IN;
      request[dataWord] = ++k;
      if (epoll_ctl(epfd, ADD, rawChurned, request) !== 0) throw new Error("epoll_ctl ADD failed");
      if (epoll_ctl(epfd, DEL, rawChurned, request) !== 0) throw new Error("epoll_ctl DEL failed");
    };

    const cRun = (op: string, mode: string): Probe =>
      c === null ? () => undefined : () => c.measure({ mode, op, ...cSampling(sampling) }, "ns_per_op");
    const figures = await interleave(runs, {
      modifyKeep: () => nsPerCall(modifyKeep, sampling),
      modifyData: () => nsPerCall(modifyData, sampling),
      pair: async () => (await nsPerCall(addDelete, sampling)) / 2,
      rawModify: () => nsPerCall(rawModify, sampling),
      rawPair: async () => (await nsPerCall(rawPair, sampling)) / 2,
      modifyOverhead: () => pairedNsPerCall(modifyKeep, rawModify, sampling).difference,
      pairOverhead: () => pairedNsPerCall(addDelete, rawPair, sampling).difference / 2,
      modifySingle: cRun("modify", "st"),
      modifyIdle: cRun("modify", "mt"),
      pairSingle: cRun("pair", "st"),
      pairIdle: cRun("pair", "mt"),
    });
    const table = costTable("ctl-churn", "ns/op", [
      { workload: "modify(fd, events)", bun: figures.modifyKeep!, cSingle: figures.modifySingle, cIdle: figures.modifyIdle, maxRatio: MAX_RATIO },
      { workload: "modify(fd, events, data)", bun: figures.modifyData!, cSingle: figures.modifySingle, cIdle: figures.modifyIdle },
      { workload: "raw bun:ffi floor: MOD", bun: figures.rawModify!, cSingle: figures.modifySingle, cIdle: figures.modifyIdle },
      { workload: "add + delete (per op)", bun: figures.pair!, cSingle: figures.pairSingle, cIdle: figures.pairIdle, maxRatio: MAX_RATIO },
      { workload: "raw bun:ffi floor: ADD + DEL", bun: figures.rawPair!, cSingle: figures.pairSingle, cIdle: figures.pairIdle },
    ]);
    print(table.text);
    print();
    print("The Epoll class's own cost, from alternating batches of each Epoll call and its raw floor:");
    print(
      overheadTable("ns/op", [
        { workload: "modify(fd, events)", differences: figures.modifyOverhead, floor: figures.modifyIdle },
        { workload: "add + delete (per op)", differences: figures.pairOverhead, floor: figures.pairIdle },
      ]),
    );
    return table.verdicts;
  },
};
