// The default transport of Epoll.waitAsync on Linux: an io_uring poll on the instance, hard-linked
// to a send into a socket that Bun's loop keeps reading. The Bun and kernel behaviour it relies on,
// checked on this Bun and this kernel (so that an upgrade that changes one fails here, not in a
// hung wait); what it holds (three descriptors per JS thread, no thread); that it closes when its
// last instance does; that a waiting instance is never collected under its wait; and the fallback.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ptr } from "bun:ffi";
import { IO_URING, constant, loadSockets } from "../../../ffi/index.ts";
import {
  LINGER_MS,
  asyncHelperThreads,
  existingRelay,
  setRelayUnavailable,
  setWatchStart,
} from "../../../src/async/index.ts";
import { SubmissionRing, encodeSqe } from "../../../src/async/io-uring/ring.ts";
import { Epoll, EpollFlags } from "../../../src/epoll/epoll.ts";
import { closeDescriptor } from "../../../src/core/fd.ts";
import { listOpenFds } from "../../../src/testing/index.ts";
import { ioUringWorks, runChild, srcDir, waitingInstances } from "../../helpers/async-env.ts";
import { Descriptors, isOpen, readBytes, readEventFd, writeBytes, writeEventFd } from "../../helpers/descriptors.ts";
import { emulated } from "../../helpers/env.ts";

const { IN } = EpollFlags;

const relayed = ioUringWorks();
const skipNote = relayed ? "" : " [skipped: no io_uring here]";

const relayFds = () => listOpenFds().filter(({ target }) => target.includes("io_uring")).length;

/** Resolves once this thread's relay has closed; rejects after `timeoutMs`. */
async function relayClosed(timeoutMs = LINGER_MS * 20): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (existingRelay() !== undefined) {
    if (performance.now() > deadline) throw new Error("the relay is still open");
    await Bun.sleep(5);
  }
}

describe.skipIf(!relayed)(`what Bun does with a socketpair end it did not open${skipNote}`, () => {
  const connect = Bun.connect as unknown as (options: { fd: number; socket: Record<string, unknown> }) => Promise<unknown>;

  test("opens synchronously, hands every arrival to data, and keeps the socket registered", async () => {
    // Not from a Descriptors set: Bun owns the end it adopts, and closes it.
    const pair = new Int32Array(2);
    expect(loadSockets()!.socketpair(constant("AF_UNIX"), constant("SOCK_STREAM") | constant("SOCK_CLOEXEC"), 0, pair)).toBe(0);
    let opened: { terminate(): void } | undefined;
    const chunks: number[] = [];
    let closes = 0;
    void connect({
      fd: pair[1]!,
      socket: {
        open: (socket: { terminate(): void }) => (opened = socket),
        data: (_socket: unknown, bytes: Uint8Array) => chunks.push(bytes.length),
        close: () => closes++,
      },
    });
    expect(opened).toBeDefined();
    try {
      for (let i = 0; i < 20; i++) {
        writeBytes(pair[0]!, 8);
        const deadline = performance.now() + 2000;
        while (chunks.reduce((a, b) => a + b, 0) < (i + 1) * 8 && performance.now() < deadline) await Bun.sleep(1);
      }
      expect(chunks.reduce((a, b) => a + b, 0)).toBe(160);
      expect(closes).toBe(0);
      expect(isOpen(pair[1]!)).toBe(true);
    } finally {
      // terminate() closes Bun's end at once.
      opened!.terminate();
      expect(isOpen(pair[1]!)).toBe(false);
      closeDescriptor(pair[0]!);
    }
  });

  test("unref() lets the process exit with the socket open; ref() keeps it alive", async () => {
    const script = (ref: boolean) => `
      import { constant, loadSockets } from "${srcDir}../ffi/index.ts";
      const pair = new Int32Array(2);
      loadSockets().socketpair(constant("AF_UNIX"), constant("SOCK_STREAM") | constant("SOCK_CLOEXEC"), 0, pair);
      const socket = await Bun.connect({ fd: pair[1], socket: { data() {}, open() {}, close() {} } });
      socket.unref();
      ${ref ? "socket.ref();" : ""}
      console.log("waiting");
    `;
    const unref = await runChild(script(false), { timeoutMs: emulated ? 30_000 : 3000 });
    expect(unref.exitCode).toBe(0);
    const ref = await runChild(script(true), { timeoutMs: emulated ? 5000 : 1000 });
    // Killed by the timeout: still alive.
    expect(ref.exitCode).not.toBe(0);
    expect(ref.stdout).toBe("waiting\n");
  }, 60_000);
});

describe.skipIf(!relayed)(`what the kernel does with an io_uring poll on an epoll descriptor${skipNote}`, () => {
  test("completes when the epoll gets events, and at submission when it has some; the hard-linked send follows", async () => {
    using fds = new Descriptors();
    using epoll = new Epoll();
    const efd = fds.eventFd();
    epoll.add(efd, IN);
    const [kernelEnd, readEnd] = fds.socketPair();
    const payload = new Uint32Array(new SharedArrayBuffer(8));
    payload[0] = 7;
    const ring = SubmissionRing.open(8);
    try {
      const address = ptr(payload);
      const arm = () => {
        ring.submitEncoded([
          encodeSqe(IO_URING.OP_POLL_ADD, IO_URING.IOSQE_IO_HARDLINK, epoll.fd, 0, 0, 0, IO_URING.POLLIN, 1, 0),
          encodeSqe(IO_URING.OP_SEND, 0, kernelEnd, address % 2 ** 32, Math.floor(address / 2 ** 32), 8, IO_URING.MSG_NOSIGNAL, 2, 0),
        ]);
      };
      const received = () => Math.max(readBytes(readEnd), 0);
      // Not ready: nothing is sent until the eventfd is written.
      arm();
      await Bun.sleep(20);
      expect(received()).toBe(0);
      writeEventFd(efd);
      await Bun.sleep(20);
      expect(received()).toBe(8);
      // Ready already (level-triggered, not read): completes at submission.
      arm();
      await Bun.sleep(20);
      expect(received()).toBe(8);
      // The poll took no events: the epoll still has its own.
      expect(epoll.wait(0).length).toBe(1);
      readEventFd(efd);
    } finally {
      ring.close();
    }
  });
});

describe.skipIf(!relayed)(`Epoll.waitAsync through the io_uring relay${skipNote}`, () => {
  beforeAll(() => setWatchStart("io-uring"));

  test("many instances share one relay (a ring and two socket ends), no thread; it closes after the last instance", async () => {
    await relayClosed();
    using fds = new Descriptors();
    const before = listOpenFds().length;
    const waiting = waitingInstances(fds, 10);
    const { efds, pending } = waiting;
    try {
      await Bun.sleep(10);
      expect(relayFds()).toBe(1);
      // Ten instances, ten eventfds, and the relay's three.
      expect(listOpenFds().length - before).toBe(23);
      expect(asyncHelperThreads()).toBe(0);
      expect(existingRelay()!.waiting).toBe(10);
      efds.forEach((efd) => writeEventFd(efd));
      const results = await Promise.all(pending);
      results.forEach((events, i) => expect(events).toEqual([{ fd: efds[i]!, events: IN, data: i }]));
      expect(existingRelay()!.waiting).toBe(0);
    } finally {
      waiting.close();
    }
    expect(existingRelay()!.registered).toBe(0);
    await relayClosed();
    expect(relayFds()).toBe(0);
  });

  test("a waiting instance reachable only through its own promise is not collected under its wait", async () => {
    using fds = new Descriptors();
    const efd = fds.eventFd();
    // The instance is reachable only through the promise chain its own waiter holds.
    // Made in a task of its own, so that no stack of this test still points at it.
    // (Handed over in a box: resolving with a promise would adopt it.)
    const { pending } = await new Promise<{ pending: Promise<{ data: string | undefined; epoll: Epoll<string> }> }>((hand) =>
      setTimeout(() => {
        const epoll = new Epoll<string>();
        epoll.add(efd, IN, "kept");
        hand({ pending: epoll.waitAsync(10_000).then((events) => ({ data: events.data(0), epoll })) });
      }, 1),
    );
    for (let i = 0; i < 5; i++) {
      await Bun.sleep(10);
      Bun.gc(true);
    }
    writeEventFd(efd);
    const { data, epoll } = await pending;
    expect(data).toBe("kept");
    expect(epoll.closed).toBe(false);
    epoll.close();
  });

  test("where io_uring cannot be had, waits fall back to a duplicate per wait in Bun's loop", async () => {
    await relayClosed();
    setRelayUnavailable(new Error("pretend: io_uring is forbidden"));
    try {
      using fds = new Descriptors();
      using epoll = new Epoll<string>();
      const efd = fds.eventFd();
      epoll.add(efd, IN, "fallback");
      const eventpolls = () => listOpenFds().filter(({ target }) => target.includes("eventpoll")).length;
      const before = eventpolls();
      const pending = epoll.waitAsync(5000);
      await Bun.sleep(5);
      // The duplicate in Bun's loop, and no relay.
      expect(eventpolls()).toBe(before + 1);
      expect(existingRelay()).toBeUndefined();
      writeEventFd(efd);
      expect((await pending).data(0)).toBe("fallback");
    } finally {
      setRelayUnavailable(undefined);
    }
  });
});

afterAll(() => setWatchStart("io-uring"));
