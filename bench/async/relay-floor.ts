/**
 * The floor of the io_uring relay, for `async-cpu`: the relay's kernel work and Bun's socket with
 * no bunix class in the way. One epoll holds the FIFO; a socket pair's one end is handed to Bun's
 * loop with `Bun.connect({ fd })`; each wait submits a `POLL_ADD` on the epoll hard-linked to an
 * 8-byte `SEND` into the other end, with one `io_uring_enter`. When Bun's loop delivers the bytes,
 * the reader polls the epoll with `epoll_wait(0)`, reads the FIFO and arms again, all straight
 * through the ffi/ binding: the same system calls per event as `Poller.waitAsync` on the relay
 * (docs/design/wait-async.md, "The io_uring relay"), so the gap between this row and Bun's stream
 * reader is the mechanism's, and the gap between this row and waitAsync's is the library's.
 *
 * @module
 */
import { ptr } from "bun:ffi";
import { openSync } from "node:fs";
import { IO_URING, constant, loadCore, loadEpoll, loadSockets, struct } from "../../ffi/index.ts";
import { SubmissionRing, encodeSqe } from "../../src/async/io-uring/ring.ts";

/** The parts of Bun's socket this uses. */
interface FloorSocket {
  terminate(): void;
}

// `fd` is accepted at run time but missing from the typed overloads of Bun.connect.
const connect = Bun.connect as unknown as (options: {
  fd: number;
  socket: { data(socket: FloorSocket, bytes: Uint8Array): void };
}) => Promise<FloorSocket>;

/**
 * Reads the FIFO at `path` one event at a time through the bare relay, handing each read's byte
 * count to `add` until it returns true. Resolves then, with everything closed.
 */
export async function relayFloorLoop(path: string, add: (bytes: number) => boolean): Promise<void> {
  const { read, close } = loadCore()!;
  const { epoll_create1, epoll_ctl, epoll_wait } = loadEpoll()!;
  const fifo = openSync(path, "r"); // blocks until the writer opens its end
  const epfd = epoll_create1(constant("EPOLL_CLOEXEC"));
  const layout = struct("epoll_event");
  const request = new Uint32Array(new ArrayBuffer(layout.size));
  request[0] = constant("EPOLLIN");
  if (epoll_ctl(epfd, constant("EPOLL_CTL_ADD"), fifo, request) !== 0) throw new Error("epoll_ctl failed");
  const events = new Uint32Array(new ArrayBuffer(layout.size * 8));
  const buffer = new Uint8Array(64);

  const pair = new Int32Array(2);
  if (loadSockets()!.socketpair(constant("AF_UNIX"), constant("SOCK_STREAM") | constant("SOCK_CLOEXEC"), 0, pair) !== 0) {
    throw new Error("socketpair failed");
  }
  const ring = SubmissionRing.open(8);
  // Shared memory never moves: the SEND may keep its address.
  const record = new Uint32Array(new SharedArrayBuffer(8));
  const address = ptr(record);
  const poll = encodeSqe(IO_URING.OP_POLL_ADD, IO_URING.IOSQE_IO_HARDLINK, epfd, 0, 0, 0, IO_URING.POLLIN, 1, 0);
  const send = encodeSqe(IO_URING.OP_SEND, 0, pair[0]!, address % 2 ** 32, Math.floor(address / 2 ** 32), 8, IO_URING.MSG_NOSIGNAL, 2, 0);
  const submissions = [poll, send];
  const arm = (): void => {
    ring.discardCompletions();
    ring.submitEncoded(submissions);
  };

  let wake: (() => void) | undefined;
  const socket = await connect({
    fd: pair[1]!,
    socket: {
      data: () => {
        const resolve = wake;
        wake = undefined;
        resolve?.();
      },
    },
  });
  try {
    for (;;) {
      // One promise per event, as each waitAsync has.
      const delivered = new Promise<void>((resolve) => {
        wake = resolve;
      });
      arm();
      await delivered;
      if (epoll_wait(epfd, events, 8, 0) <= 0) continue;
      const n = Number(read(fifo, buffer, buffer.length));
      if (n <= 0 || add(n)) break;
    }
  } finally {
    ring.close();
    close(pair[0]!);
    socket.terminate();
    close(epfd);
    close(fifo);
  }
}
