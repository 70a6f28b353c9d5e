/**
 * A readiness watch through Bun's event loop that stays registered there: the kernel relays an
 * instance's readiness to one socket that Bun's loop reads for the whole JS thread. No helper
 * thread, no descriptor handed to Bun per wait.
 *
 * ```
 *  arm(): io_uring POLL_ADD(instance, POLLIN) ─hardlink─► SEND(kernel end, [slot, generation])
 *         one io_uring_enter
 *  the instance gets events: the kernel completes the poll and sends the 8 bytes
 *  Bun's loop: the relay socket is readable → recv → data(socket, bytes)
 *  data(): each [slot, generation] → that watch's report → the waiter polls with wait(0)
 * ```
 *
 * One relay per JS thread (each Worker its own): an io_uring, a socketpair whose one end the
 * kernel writes (through the ring's SEND) and whose other end Bun owns (`Bun.connect({ fd })`),
 * and the table of registered watches. The poll is one-shot: each `arm()` that finds no poll in
 * flight submits a new poll+send pair; a poll left in flight when a wait settles stays (its later
 * report is ignored, and the next `arm()` finds it armed already). An epoll or kqueue descriptor
 * polls readable exactly when waiting on it would return events, and the poll takes none, so the
 * waiter's own `wait(0)` sees every event with its own semantics. Arming an instance that is
 * ready already completes at once (the kernel polls at submission), so a waiter may arm without
 * polling first.
 *
 * Keeping the process alive: the relay socket is `ref()`ed while any watch that keeps the process
 * alive waits (every watch does, unless `keepAlive(false)` said otherwise) and `unref()`ed
 * otherwise. The relay closes (ring, both socket ends) {@link LINGER_MS} after its last watch was
 * disposed.
 *
 * What this relies on (test/async/io-uring/relay.test.ts checks each, on this kernel and this
 * Bun): `Bun.connect({ fd })` adopts a socketpair end, calls `open` synchronously, hands every
 * arrival to `data` and keeps the socket registered; `unref()`/`ref()` decide whether it keeps the
 * process alive; `terminate()` closes the descriptor; the kernel completes a POLL_ADD on an epoll
 * descriptor when (and at submission if) it has events, and runs the hard-linked SEND after it.
 * Where io_uring is missing or forbidden, {@link RelayUnavailable} makes the caller fall back
 * (src/async/index.ts).
 *
 * @internal
 * @module
 */
import { ptr } from "bun:ffi";
import { IO_URING, constant, loadSockets } from "../../../ffi/index.ts";
import { lastError } from "../../core/errors.ts";
import { closeDescriptor } from "../../core/fd.ts";
import { HandleMap } from "../../core/handle-map.ts";
import { log } from "../../core/log.ts";
import { LINGER_MS, Linger } from "../helper-thread.ts";
import { WaitingWatches } from "../waiting-watches.ts";
import type { ReadinessWatch } from "../watch.ts";
import { SubmissionRing, encodeSqe } from "./ring.ts";

/** Submissions in the ring: each arm takes two, and is submitted at once. */
const RING_ENTRIES = 64;
/** Slots per payload block: the 8 bytes each watch's SEND reads, [slot, generation]. */
const BLOCK_SLOTS = 256;
const RECORD_BYTES = 8;

/** The parts of Bun's socket the relay uses. */
interface RelaySocket {
  ref(): void;
  unref(): void;
  terminate(): void;
}

// `fd` is accepted at run time but missing from the typed overloads of Bun.connect.
const connect = Bun.connect as unknown as (options: {
  fd: number;
  socket: {
    open(socket: RelaySocket): void;
    data(socket: RelaySocket, bytes: Uint8Array): void;
    close(socket: RelaySocket, error?: unknown): void;
    connectError(socket: RelaySocket, error: unknown): void;
  };
}) => Promise<RelaySocket>;

/** A watch's place in the relay, and its two submissions, encoded once. */
export interface Registered {
  readonly slot: number;
  readonly generation: number;
  /** The poll, then the send hard-linked to it: what each arm submits. */
  readonly submissions: readonly [poll: Uint32Array, send: Uint32Array];
}

/** Thrown by {@link relay} when this thread cannot have one; the reason is in `cause`. */
export class RelayUnavailable extends Error {}

/** This thread's relay, and whether one could not be made (then never tried again). */
let current: Relay | undefined;
let unavailable: unknown;

/**
 * This thread's relay, opened on first use.
 * @throws RelayUnavailable when io_uring (or the socket) cannot be had here.
 */
export function relay(): Relay {
  if (current !== undefined) return current;
  if (unavailable !== undefined) throw new RelayUnavailable("no io_uring relay on this thread", { cause: unavailable });
  try {
    current = new Relay();
  } catch (error) {
    unavailable = error;
    log("debug", "waitAsync cannot use an io_uring relay; falling back", { error });
    throw new RelayUnavailable("no io_uring relay on this thread", { cause: error });
  }
  return current;
}

/**
 * Makes this thread behave as if it could have no relay (`reason` defined), so that new watches
 * fall back, or forgets that it could not (`undefined`). For tests of the fallback; an open relay
 * stays open.
 */
export function setRelayUnavailable(reason: unknown): void {
  unavailable = reason;
}

/** This thread's relay if it is open, without opening one. For tests. */
export function existingRelay(): Relay | undefined {
  return current;
}

/** One JS thread's ring, socket pair and registered watches. */
export class Relay {
  readonly #ring: SubmissionRing;
  /** The end the kernel's SENDs write. Blocking, so that io_uring queues a send rather than fail it. */
  readonly #kernelEnd: number;
  readonly #socket: RelaySocket;
  readonly #watches = new HandleMap<WeakRef<RelayWatch>>();
  /** The payloads the SENDs read, in shared memory (which never moves), one block per 256 slots. */
  readonly #blocks: Uint32Array[] = [];
  /** Bytes of a record split across two reads (never seen in practice; kept for safety). */
  readonly #partial = new Uint8Array(RECORD_BYTES);
  #partialLength = 0;
  /**
   * Watches with a pending wait, held strongly: the table holds watches weakly (an instance dropped
   * unclosed can be collected, its finalizer closing the descriptor), but a waiting instance is
   * reachable only through its own pending promise, and must not be collected under its wait.
   */
  readonly #waiting = new WaitingWatches<RelayWatch>();
  #refd = false;
  #registered = 0;
  #closed = false;
  readonly #linger = new Linger(
    () => this.#registered > 0 || this.#closed,
    () => this.close(),
  );

  /** @throws SystemError from io_uring_setup, mmap, socketpair; Error when Bun refuses the socket. */
  constructor() {
    const ring = SubmissionRing.open(RING_ENTRIES);
    const pair = new Int32Array(2);
    try {
      const sockets = loadSockets()!;
      const type = constant("SOCK_STREAM") | constant("SOCK_CLOEXEC");
      if (sockets.socketpair(constant("AF_UNIX"), type, 0, pair) !== 0) throw lastError("socketpair");
    } catch (error) {
      ring.close();
      throw error;
    }
    let socket: RelaySocket | undefined;
    let refused: unknown;
    try {
      void connect({
        fd: pair[1]!,
        socket: {
          open: (s) => {
            socket = s;
          },
          data: (_s, bytes) => this.#received(bytes),
          close: (_s, error) => this.#lost(error),
          connectError: (_s, error) => {
            refused = error;
          },
        },
      }).catch(() => {});
    } catch (error) {
      refused = error;
    }
    if (socket === undefined) {
      ring.close();
      closeDescriptor(pair[0]!);
      // Bun leaves a descriptor it refused open.
      closeDescriptor(pair[1]!);
      throw refused instanceof Error ? refused : new Error("Bun did not open the relay socket synchronously", { cause: refused });
    }
    socket.unref();
    this.#ring = ring;
    this.#kernelEnd = pair[0]!;
    this.#socket = socket;
  }

  /** How many watches wait (while any does, the relay socket keeps the process alive). */
  get waiting(): number {
    return this.#waiting.size;
  }

  /** How many watches are registered. */
  get registered(): number {
    return this.#registered;
  }

  /**
   * Registers the watch of descriptor `fd`: returns its slot and generation, and encodes its two
   * submissions (poll, send) once, to be copied into the ring at each arm.
   * @internal
   */
  register(watch: RelayWatch, fd: number): Registered {
    const slot = this.#watches.insert(new WeakRef(watch), fd);
    const generation = this.#watches.generation(slot);
    const block = (this.#blocks[Math.floor(slot / BLOCK_SLOTS)] ??= new Uint32Array(new SharedArrayBuffer(BLOCK_SLOTS * RECORD_BYTES)));
    const at = (slot % BLOCK_SLOTS) * 2;
    block[at] = slot;
    block[at + 1] = generation;
    // Shared memory never moves: its address can be kept.
    const address = ptr(block) + at * 4;
    this.#registered++;
    // Hard-linked: the send runs even if the poll fails, so that a failure is a (spurious) report
    // rather than a wait that never ends.
    const poll = encodeSqe(IO_URING.OP_POLL_ADD, IO_URING.IOSQE_IO_HARDLINK, fd, 0, 0, 0, IO_URING.POLLIN, slot, generation);
    const send = encodeSqe(IO_URING.OP_SEND, 0, this.#kernelEnd, address % 2 ** 32, Math.floor(address / 2 ** 32), RECORD_BYTES, IO_URING.MSG_NOSIGNAL, slot, generation);
    return { slot, generation, submissions: [poll, send] };
  }

  /** Forgets a watch (its poll, if in flight, was removed). @internal */
  unregister(slot: number): void {
    this.#watches.remove(slot);
    if (--this.#registered === 0) this.#linger.idle();
  }

  /** Submits a registered watch's one-shot poll, which sends its record when it completes. @internal */
  poll(registered: Registered): void {
    const ring = this.#ring;
    ring.discardCompletions();
    ring.submitEncoded(registered.submissions);
  }

  /** Cancels the poll of `slot` (its hard-linked send still runs; the record is stale by then). @internal */
  cancel(slot: number, generation: number): void {
    const ring = this.#ring;
    // POLL_REMOVE names the poll by its 64-bit user data, [slot, generation], in `addr`.
    ring.submitEncoded([encodeSqe(IO_URING.OP_POLL_REMOVE, 0, -1, slot, generation, 0, 0, slot, generation)]);
  }

  /** `watch` started waiting; `keepAlive`: it keeps the process alive meanwhile. @internal */
  acquire(watch: RelayWatch, keepAlive: boolean): void {
    this.#waiting.add(watch, keepAlive);
    this.#updateRef();
  }

  /** Whether waiting `watch` keeps the process alive (ignored while it does not wait). @internal */
  keepAlive(watch: RelayWatch, on: boolean): void {
    this.#waiting.setKeepAlive(watch, on);
    this.#updateRef();
  }

  /** `watch` stopped waiting. @internal */
  release(watch: RelayWatch): void {
    this.#waiting.delete(watch);
    this.#updateRef();
  }

  #updateRef(): void {
    const refd = this.#waiting.keepsAlive;
    if (refd === this.#refd) return;
    this.#refd = refd;
    if (refd) this.#socket.ref();
    else this.#socket.unref();
  }

  /** Closes the ring and both socket ends. Only with no watch registered. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (current === this) current = undefined;
    this.#linger.cancel();
    this.#ring.close();
    closeDescriptor(this.#kernelEnd);
    this.#socket.terminate();
  }

  /** Bun read records from the relay socket: report each live watch. */
  #received(bytes: Uint8Array): void {
    let offset = 0;
    if (this.#partialLength > 0) {
      const take = Math.min(RECORD_BYTES - this.#partialLength, bytes.length);
      this.#partial.set(bytes.subarray(0, take), this.#partialLength);
      this.#partialLength += take;
      offset = take;
      if (this.#partialLength < RECORD_BYTES) return;
      this.#partialLength = 0;
      this.#report(this.#partial, 0);
    }
    // Indexing the bytes directly: a DataView would make Bun materialize the chunk's ArrayBuffer.
    for (; offset + RECORD_BYTES <= bytes.length; offset += RECORD_BYTES) this.#report(bytes, offset);
    if (offset < bytes.length) {
      this.#partial.set(bytes.subarray(offset));
      this.#partialLength = bytes.length - offset;
    }
  }

  #report(bytes: Uint8Array, at: number): void {
    const slot = (bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24)) >>> 0;
    const generation = (bytes[at + 4]! | (bytes[at + 5]! << 8) | (bytes[at + 6]! << 16) | (bytes[at + 7]! << 24)) >>> 0;
    this.#watches.get(slot, generation)?.deref()?.report();
  }

  /** Bun closed the relay socket: by `close()`, or on its own (then every watch falls back). */
  #lost(error: unknown): void {
    if (this.#closed) return;
    log("error", "the waitAsync relay socket closed unexpectedly; waits fall back", { error });
    this.#closed = true;
    if (current === this) current = undefined;
    unavailable = error ?? new Error("the relay socket closed");
    this.#ring.close();
    closeDescriptor(this.#kernelEnd);
    const watches = this.#watches;
    for (let slot = 0; slot < watches.capacity; slot++) watches.get(slot, watches.generation(slot))?.deref()?.relayLost();
  }
}

/**
 * One instance's watch through this thread's relay, with a fallback (Bun's loop with a duplicate
 * per wait, or the readiness thread) should the relay fail.
 */
export class RelayWatch implements ReadinessWatch {
  readonly #fd: number;
  readonly #onReady: () => void;
  readonly #makeFallback: () => ReadinessWatch;
  #relay: Relay | undefined;
  #fallback: ReadinessWatch | undefined;
  readonly #registered: Registered;
  /** A poll is in the ring and has not reported yet. */
  #inFlight = false;
  #waiting = false;
  /** Whether this watch keeps the process alive while it waits. */
  #keepAlive = true;
  /** A poll costs one `io_uring_enter` and reports an instance that is ready already: arm first. */
  readonly armFirst = true;

  /**
   * @param fd - the instance's descriptor (epoll or kqueue; not owned).
   * @param onReady - the waiter's report.
   * @param fallback - makes the watch used if the relay fails.
   * @throws RelayUnavailable when this thread cannot have a relay.
   */
  constructor(fd: number, onReady: () => void, fallback: () => ReadinessWatch) {
    this.#fd = fd;
    this.#onReady = onReady;
    this.#makeFallback = fallback;
    const shared = relay();
    this.#registered = shared.register(this, fd);
    this.#relay = shared;
  }

  /** Submits a poll unless one is in flight, and counts as waiting. @throws SystemError from io_uring_enter. */
  arm(retry: boolean): void {
    const shared = this.#relay;
    if (shared === undefined) {
      this.#fallback!.arm(retry);
      return;
    }
    if (!this.#inFlight) {
      shared.poll(this.#registered);
      this.#inFlight = true;
    }
    if (!this.#waiting) {
      this.#waiting = true;
      shared.acquire(this, this.#keepAlive);
    }
  }

  /** Whether this watch keeps the process alive while it waits (its fallback's too). */
  keepAlive(on: boolean): void {
    this.#keepAlive = on;
    this.#relay?.keepAlive(this, on);
    this.#fallback?.keepAlive?.(on);
  }

  /** No longer waiting; a poll in flight stays (its report is ignored). */
  disarm(): void {
    if (this.#waiting) {
      this.#waiting = false;
      this.#relay?.release(this);
    }
    this.#fallback?.disarm();
  }

  /** Removes the poll in flight and leaves the relay, before the instance's descriptor closes. */
  dispose(): void {
    this.disarm();
    const shared = this.#relay;
    if (shared !== undefined) {
      this.#relay = undefined;
      try {
        if (this.#inFlight) shared.cancel(this.#registered.slot, this.#registered.generation);
      } catch (error) {
        log("error", "cannot cancel a waitAsync poll; the ring closes with the relay", { error });
      }
      this.#inFlight = false;
      shared.unregister(this.#registered.slot);
    }
    this.#fallback?.dispose();
  }

  /** The relay delivered this watch's record. @internal */
  report(): void {
    this.#inFlight = false;
    if (this.#waiting) this.#onReady();
  }

  /** The relay failed: go on through the fallback, and let the waiter poll and arm again. @internal */
  relayLost(): void {
    const waiting = this.#waiting;
    this.#relay = undefined;
    this.#inFlight = false;
    this.#waiting = false;
    this.#fallback ??= this.#makeFallback();
    this.#fallback.keepAlive?.(this.#keepAlive);
    if (waiting) this.#onReady();
  }
}
