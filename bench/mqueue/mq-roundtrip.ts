/**
 * mq-roundtrip: one POSIX message queue, one process, one thread: send a 64-byte message and
 * receive it back, over and over: `queue.send(bytes)` + `queue.receiveInto(buffer)` on a blocking
 * queue of one message, which never has to block. ns per round trip (two system calls).
 *
 * C reference: `bench/c/mq-roundtrip.c`, `mq_send` + `mq_receive` on the same kind of queue,
 * sampled the same way. The raw bun:ffi floor row makes the same two calls straight through the
 * `ffi/` binding, so the gap between it and the MsgQueue row is the cost of the class itself.
 *
 * Target: at most 1.10× the C + idle-thread floor.
 *
 * Runs under `bench/run.ts` (`bun run bench mq-roundtrip`), or alone:
 *
 *     bun bench/mqueue/mq-roundtrip.ts [--runs 5] [--min-ms 300] [--clock cpu|wall] [--no-pin]
 *
 * @module
 */
import { loadMqueueFd } from "../../ffi/index.ts";
import { MsgQueue } from "../../src/mqueue/msg-queue.ts";
import { type Bench, cNote } from "../harness/bench.ts";
import { runStandalone } from "../harness/standalone.ts";
import { CProgram } from "../harness/c-reference.ts";
import { type CostRow, costTable, interleave, type Probe } from "../harness/compare.ts";
import { cSampling, nsPerCall, type Sampling } from "../harness/measure.ts";

const MAX_RATIO = 1.1;
const SIZE = 64;
// A round trip takes a microsecond or two: 1024 of them make a sample of a few ms.
const BATCH = 1024;

export const mqRoundtrip: Bench = {
  name: "mq-roundtrip",
  title: `${SIZE}-byte messages through one POSIX message queue: MsgQueue.send + receiveInto; ns per round trip`,
  async run({ runs, minMs, clock, print }) {
    const c = CProgram.build("mq-roundtrip");
    print(cNote(c !== null));
    const sampling: Sampling = { batch: BATCH, minMs, clock };

    const name = `/bunix-bench-${process.pid}`;
    using queue = MsgQueue.create(name, { maxMessages: 1, messageSize: SIZE, exclusive: true });
    // Unlinked at once, as the C side does: the queue lives as long as the handle.
    MsgQueue.unlink(name);
    const message = new Uint8Array(new ArrayBuffer(SIZE)).fill(0x6d);
    const buffer = new Uint8Array(new ArrayBuffer(SIZE));
    const roundTrip = () => {
      queue.send(message);
      const got = queue.receiveInto(buffer);
      if (got === null || got.length !== SIZE) throw new Error("mq-roundtrip: lost a message");
    };

    // The bun:ffi floor: the same two calls on the same descriptor, no class, no checks. Linux only
    // (where mqd_t is the descriptor); elsewhere the row is left out.
    const mq = loadMqueueFd();
    const priority = new Uint32Array(new ArrayBuffer(4));
    const fd = queue.fd;
    const rawRoundTrip = mq && (() => {
      if (mq.mq_timedsend(fd, message, SIZE, 0, null) !== 0) throw new Error("mq_timedsend failed");
      if (mq.mq_timedreceive(fd, buffer, SIZE, priority, null) !== SIZE) throw new Error("mq_timedreceive failed");
    });

    const cRun = (mode: string): Probe =>
      c === null ? () => undefined : () => c.measure({ mode, size: SIZE, ...cSampling(sampling) }, "ns_per_roundtrip");
    const figures = await interleave(runs, {
      bun: () => nsPerCall(roundTrip, sampling),
      raw: rawRoundTrip === undefined ? () => undefined : () => nsPerCall(rawRoundTrip, sampling),
      cSingle: cRun("st"),
      cIdle: cRun("mt"),
    });
    const rows: CostRow[] = [
      { workload: "send + receiveInto", bun: figures.bun!, cSingle: figures.cSingle, cIdle: figures.cIdle, maxRatio: MAX_RATIO },
    ];
    if (figures.raw) rows.push({ workload: "raw bun:ffi floor", bun: figures.raw, cSingle: figures.cSingle, cIdle: figures.cIdle });
    const table = costTable("mq-roundtrip", "ns", rows);
    print(table.text);
    return table.verdicts;
  },
};

if (import.meta.main) await runStandalone(mqRoundtrip);
