/**
 * pingpong-stream: 1-byte round trips over a blocking Unix stream socketpair in one thread, send
 * on A, receive on B, send on B, receive on A (the byte is always there, so nothing waits),
 * through the public `UnixSocket.send` / `recv`, against the raw bun:ffi floor: libc's
 * `send`/`recv` bound with `dlopen` in this file and called on the same descriptors, the least any
 * JS wrapper can cost.
 *
 * Target: the public path's time per round trip within 1.05× of the floor's.
 *
 * A third row is the floor of what `recv` must do to keep its contract: recvmsg(2) with a control
 * buffer, the one receive call that tells (MSG_CTRUNC, SCM_RIGHTS) that a peer sent descriptors,
 * which plain recv(2) would close without a word. recvmsg costs the kernel more than recv (it
 * copies a msghdr in and its lengths and flags back), so that row shows how much of the gap is the
 * system call and how much is the wrapper.
 *
 *     bun bench/socket/pingpong-stream.ts [--runs N] [--clock cpu|wall] [--no-pin]
 *
 * @module
 */
import { FFIType, dlopen, ptr } from "bun:ffi";
import { abi, cmsgSpace, struct } from "../../ffi/index.ts";
import type { Bench } from "../harness/bench.ts";
import type { Clock } from "../harness/clock.ts";
import { interleave, pairedRatio } from "../harness/compare.ts";
import { formatNumber, formatRatio, formatSummary, renderTable } from "../harness/format.ts";
import { runStandalone } from "../harness/standalone.ts";
import { summarise } from "../harness/stats.ts";
import { socketpair } from "../../src/socket/index.ts";

const COUNT = 200_000;
const WARMUP = 20_000;
const TARGET = 1.05;

/** libc's send and recv, bound here and nowhere else, as an application could. */
function rawCalls() {
  const table = {
    send: { args: ["i32", "ptr", "u64", "i32"], returns: FFIType.i64_fast },
    recv: { args: ["i32", "ptr", "u64", "i32"], returns: FFIType.i64_fast },
    recvmsg: { args: ["i32", "ptr", "i32"], returns: FFIType.i64_fast },
  } as const;
  for (const name of abi?.libc ?? []) {
    try {
      return dlopen(name, table).symbols;
    } catch {
      // The next candidate.
    }
  }
  throw new Error("pingpong-stream: no libc to bind send and recv from");
}

function timeRoundTrips(roundTrip: () => void, clock: Clock): number {
  for (let i = 0; i < WARMUP; i++) roundTrip();
  const start = clock.now();
  for (let i = 0; i < COUNT; i++) roundTrip();
  return (clock.now() - start) / COUNT;
}

function publicPingPong(clock: Clock): number {
  const [a, b] = socketpair("stream");
  try {
    const byte = new Uint8Array(new ArrayBuffer(1));
    return timeRoundTrips(() => {
      a.send(byte);
      if (b.recv(byte)!.bytes !== 1) throw new Error("pingpong-stream: short receive on B");
      b.send(byte);
      if (a.recv(byte)!.bytes !== 1) throw new Error("pingpong-stream: short receive on A");
    }, clock);
  } finally {
    a.close();
    b.close();
  }
}

function rawPingPong(clock: Clock): number {
  const { send, recv } = rawCalls();
  const [a, b] = socketpair("stream");
  try {
    const byte = new Uint8Array(new ArrayBuffer(1));
    const fa = a.fd;
    const fb = b.fd;
    return timeRoundTrips(() => {
      send(fa, byte, 1, 0);
      if (recv(fb, byte, 1, 0) !== 1) throw new Error("pingpong-stream: short raw receive on B");
      send(fb, byte, 1, 0);
      if (recv(fa, byte, 1, 0) !== 1) throw new Error("pingpong-stream: short raw receive on A");
    }, clock);
  } finally {
    a.close();
    b.close();
  }
}

/** A msghdr for recvmsg into `byte` with a control buffer for one descriptor, and what to reset per call. */
function rawHeader(byte: Uint8Array): { header: Uint32Array; controlWord: number; controlBytes: number; pointedAt: Uint32Array[] } {
  const msghdr = struct("msghdr");
  const iovec = struct("iovec");
  const iov = new Uint32Array(new ArrayBuffer(iovec.size));
  const control = new Uint8Array(new ArrayBuffer(cmsgSpace(4)));
  const header = new Uint32Array(new ArrayBuffer(msghdr.size));
  const put = (words: Uint32Array, offset: number, value: number) => {
    words[offset / 4] = value >>> 0;
    words[offset / 4 + 1] = Math.floor(value / 0x1_0000_0000);
  };
  put(iov, iovec.fields.iov_base.offset, ptr(byte));
  put(iov, iovec.fields.iov_len.offset, 1);
  put(header, msghdr.fields.msg_iov.offset, ptr(iov));
  header[msghdr.fields.msg_iovlen.offset / 4] = 1;
  put(header, msghdr.fields.msg_control.offset, ptr(control));
  const controlWord = msghdr.fields.msg_controllen.offset / 4;
  header[controlWord] = control.byteLength;
  return { header, controlWord, controlBytes: control.byteLength, pointedAt: [iov, new Uint32Array(control.buffer)] };
}

function rawRecvmsgPingPong(clock: Clock): number {
  const { send, recvmsg } = rawCalls();
  const [a, b] = socketpair("stream");
  try {
    const byte = new Uint8Array(new ArrayBuffer(1));
    // pointedAt: what the header points at, held until the run ends.
    const { header, controlWord, controlBytes, pointedAt } = rawHeader(byte);
    const fa = a.fd;
    const fb = b.fd;
    const receive = (fd: number) => {
      header[controlWord] = controlBytes;
      return recvmsg(fd, header, 0);
    };
    const ns = timeRoundTrips(() => {
      send(fa, byte, 1, 0);
      if (receive(fb) !== 1) throw new Error("pingpong-stream: short raw recvmsg on B");
      send(fb, byte, 1, 0);
      if (receive(fa) !== 1) throw new Error("pingpong-stream: short raw recvmsg on A");
    }, clock);
    pointedAt.length = 0;
    return ns;
  } finally {
    a.close();
    b.close();
  }
}

export const pingpongStream: Bench = {
  name: "pingpong-stream",
  title: "1-byte round trips over a blocking stream socketpair: UnixSocket.send/recv against the raw bun:ffi floor",
  async run({ runs, clock, print }) {
    const figures = await interleave(runs, {
      public: () => publicPingPong(clock),
      raw: () => rawPingPong(clock),
      rawRecvmsg: () => rawRecvmsgPingPong(clock),
    });
    const ratio = pairedRatio(figures.public, figures.raw);
    const row = (label: string, key: string) => {
      const ns = summarise(figures[key]!);
      const versusRecvmsg = key === "rawRecvmsg" ? "1.00×" : formatRatio(pairedRatio(figures[key], figures.rawRecvmsg));
      return [label, formatNumber(1e9 / ns.median), formatSummary(ns), key === "raw" ? "1.00×" : formatRatio(pairedRatio(figures[key], figures.raw)), versusRecvmsg];
    };
    print(
      renderTable(
        ["design", "round trips/s", "ns/round trip", "÷ raw floor", "÷ raw recvmsg floor"],
        [row("UnixSocket.send/recv", "public"), row("raw bun:ffi send/recv", "raw"), row("raw bun:ffi send/recvmsg", "rawRecvmsg")],
      ),
    );
    return [
      {
        bench: "pingpong-stream",
        workload: "1-byte round trips, stream socketpair",
        target: `UnixSocket.send/recv ≤ ${TARGET.toFixed(2)}× the raw bun:ffi floor`,
        measured: formatRatio(ratio),
        pass: ratio === undefined ? undefined : ratio <= TARGET,
      },
    ];
  },
};

if (import.meta.main) await runStandalone(pingpongStream);
