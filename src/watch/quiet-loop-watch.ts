/**
 * Readiness of the shared Poller's descriptor through Bun's event loop without keeping the process
 * alive: what the watches need while every open one is `unref`.
 *
 * `Poller.waitAsync` keeps the process alive while it is pending, as it should, and has no way to
 * say otherwise. So while only unref'd watches are open, the hub waits this way instead: a
 * duplicate of the Poller's descriptor is handed to Bun's loop with `Bun.connect({ fd })`, and the
 * socket Bun makes of it is unref'd at once. An epoll (or kqueue) descriptor polls readable when a
 * wait on it would return events; Bun then fails to read it (ENOTSOCK), closes the duplicate and
 * calls `close`, which is the report. That is the mechanism of the async engine's event-loop
 * source (src/async/event-loop/event-loop-source.ts explains it and what it relies on in Bun),
 * reduced to one watch at a time, plus the unref.
 *
 * @internal
 * @module
 */
import { closeDescriptor, duplicateDescriptor } from "../core/fd.ts";
import { log } from "../core/log.ts";

/** The parts of Bun's socket used here. */
interface QuietSocket {
  readonly data: QuietArm;
  terminate(): void;
  unref(): void;
}

/** One hand-over of a duplicate to Bun's loop. */
interface QuietArm {
  readonly fd: number;
  readonly onReady: () => void;
  live: boolean;
  socket: QuietSocket | undefined;
}

// `fd` is accepted at run time but missing from the typed overloads of Bun.connect.
const connect = Bun.connect as unknown as (options: { fd: number; data: QuietArm; socket: typeof handlers }) => Promise<unknown>;

const handlers = {
  open(socket: QuietSocket): void {
    socket.unref();
    socket.data.socket = socket;
    if (!socket.data.live) socket.terminate();
  },
  data(): void {
    // An epoll or kqueue descriptor never yields data.
  },
  close(socket: QuietSocket): void {
    const arm = socket.data;
    if (!arm.live) return;
    arm.live = false;
    arm.onReady();
  },
  connectError(socket: QuietSocket): void {
    // Bun leaves the descriptor open when it cannot register it.
    const arm = socket.data;
    closeDescriptor(arm.fd);
    if (!arm.live) return;
    arm.live = false;
    log("warn", "watchFd: Bun's event loop refused the watches' poller; unref'd watches wait for a ref'd one");
  },
};

const ignoreRejection = (): void => {};

/** A one-report, unref'd watch of `fd` in Bun's event loop. */
export class QuietLoopWatch {
  #arm: QuietArm | undefined;

  /**
   * Reports once through `onReady` when `fd` polls readable, without keeping the process alive.
   * Does nothing while a report is already pending.
   * @throws SystemError EMFILE from the duplication.
   */
  arm(fd: number, onReady: () => void): void {
    if (this.#arm?.live === true) return;
    const arm: QuietArm = { fd: duplicateDescriptor(fd), onReady, live: true, socket: undefined };
    this.#arm = arm;
    connect({ fd: arm.fd, data: arm, socket: handlers }).catch(ignoreRejection);
  }

  /** Ends a pending watch: its duplicate leaves Bun's loop and is closed. */
  cancel(): void {
    const arm = this.#arm;
    this.#arm = undefined;
    if (arm === undefined || !arm.live) return;
    arm.live = false;
    arm.socket?.terminate();
  }
}
