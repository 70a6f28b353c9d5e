/**
 * The smallest io_uring the waitAsync relay needs: set up a ring, map it, queue submissions and
 * hand them to the kernel with one `io_uring_enter`, and discard completions. No thread, no
 * liburing: the rings are shared memory that this thread reads and writes through typed arrays
 * over the mapping.
 *
 * @internal
 * @module
 */
import { type Pointer, ptr, toArrayBuffer } from "bun:ffi";
import {
  IO_CQRING_OFFSETS,
  IO_SQRING_OFFSETS,
  IO_URING,
  IO_URING_CQE,
  IO_URING_PARAMS,
  IO_URING_SQE,
  IO_URING_SYS,
  errno,
  errnoNumber,
  loadIoUring,
} from "../../../ffi/index.ts";
import { SystemError, lastError, unsupportedError } from "../../core/errors.ts";
import { closeDescriptor } from "../../core/fd.ts";

/** What a ring's kernel must offer: no dropped completions, and IORING_OP_SEND (implied by fast poll). */
const REQUIRED_FEATURES = IO_URING.FEAT_SINGLE_MMAP | IO_URING.FEAT_NODROP | IO_URING.FEAT_FAST_POLL;
const SQE_WORDS = IO_URING_SQE.size / 4;
const EINTR = errnoNumber("EINTR");

/** An io_uring instance of this thread, mapped. */
export class SubmissionRing {
  /** The ring's descriptor. */
  readonly fd: number;
  readonly #ring: Uint32Array;
  readonly #ringPointer: Pointer;
  readonly #ringBytes: number;
  readonly #sqes: Uint32Array;
  readonly #sqesPointer: Pointer;
  readonly #sqesBytes: number;
  readonly #sqHead: number;
  readonly #sqTail: number;
  readonly #sqMask: number;
  readonly #sqEntries: number;
  readonly #sqArray: number;
  readonly #cqHead: number;
  readonly #cqTail: number;
  readonly #syscall: NonNullable<ReturnType<typeof loadIoUring>>["syscall"];
  /** Submissions queued and not yet taken by the kernel. */
  #queued = 0;
  #closed = false;

  /**
   * Sets up a ring of `entries` submissions.
   * @throws SystemError when the kernel has no io_uring (ENOSYS), forbids it (EPERM: the
   *   `kernel.io_uring_disabled` sysctl, a seccomp filter), lacks a feature used here (ENOTSUP),
   *   or cannot map it.
   */
  static open(entries: number): SubmissionRing {
    const calls = loadIoUring();
    if (calls === undefined) throw unsupportedError("io_uring");
    const params = new Uint32Array(IO_URING_PARAMS.size / 4);
    const fd = Number(calls.syscall(IO_URING_SYS.setup, entries, ptr(params), 0, 0, 0, 0));
    if (fd < 0) throw lastError("io_uring_setup");
    try {
      const features = params[IO_URING_PARAMS.features / 4]!;
      if ((features & REQUIRED_FEATURES) !== REQUIRED_FEATURES) {
        throw new SystemError("ENOTSUP", "io_uring_setup", "this kernel's io_uring lacks single mmap, no-drop or fast poll (Linux 5.7)");
      }
      return new SubmissionRing(fd, params);
    } catch (error) {
      closeDescriptor(fd);
      throw error;
    }
  }

  private constructor(fd: number, params: Uint32Array) {
    const calls = loadIoUring()!;
    this.#syscall = calls.syscall;
    this.fd = fd;
    const sq = IO_URING_PARAMS.sqOff / 4;
    const cq = IO_URING_PARAMS.cqOff / 4;
    const sqEntries = params[IO_URING_PARAMS.sqEntries / 4]!;
    const cqEntries = params[IO_URING_PARAMS.cqEntries / 4]!;
    const sqArray = params[sq + IO_SQRING_OFFSETS.array / 4]!;
    const cqes = params[cq + IO_CQRING_OFFSETS.cqes / 4]!;
    // One mapping holds both rings (FEAT_SINGLE_MMAP): as large as the larger of the two.
    this.#ringBytes = Math.max(sqArray + sqEntries * 4, cqes + cqEntries * IO_URING_CQE.size);
    this.#sqesBytes = sqEntries * IO_URING_SQE.size;
    const { PROT_READ_WRITE, MAP_SHARED_POPULATE } = IO_URING;
    const ring = calls.mmap(null, this.#ringBytes, PROT_READ_WRITE, MAP_SHARED_POPULATE, fd, IO_URING.OFF_SQ_RING);
    if (!isMapped(ring)) throw lastError("mmap");
    const sqes = calls.mmap(null, this.#sqesBytes, PROT_READ_WRITE, MAP_SHARED_POPULATE, fd, IO_URING.OFF_SQES);
    if (!isMapped(sqes)) {
      const error = lastError("mmap");
      calls.munmap(ring, this.#ringBytes);
      throw error;
    }
    this.#ringPointer = ring;
    this.#sqesPointer = sqes;
    this.#ring = new Uint32Array(toArrayBuffer(ring, 0, this.#ringBytes));
    this.#sqes = new Uint32Array(toArrayBuffer(sqes, 0, this.#sqesBytes));
    this.#sqHead = params[sq + IO_SQRING_OFFSETS.head / 4]! / 4;
    this.#sqTail = params[sq + IO_SQRING_OFFSETS.tail / 4]! / 4;
    this.#sqMask = this.#ring[params[sq + IO_SQRING_OFFSETS.ringMask / 4]! / 4]!;
    this.#sqEntries = sqEntries;
    this.#sqArray = sqArray / 4;
    this.#cqHead = params[cq + IO_CQRING_OFFSETS.head / 4]! / 4;
    this.#cqTail = params[cq + IO_CQRING_OFFSETS.tail / 4]! / 4;
  }

  /**
   * Queues `sqes` (each encoded by {@link encodeSqe}) in order, and hands everything queued to the
   * kernel with one `io_uring_enter` (no waiting); a full queue is handed over first.
   * @throws SystemError from io_uring_enter (EBUSY/EAGAIN under completion backpressure; EINTR is
   *   retried).
   */
  submitEncoded(sqes: readonly Uint32Array[]): void {
    const ring = this.#ring;
    for (let i = 0; i < sqes.length; i++) {
      const tail = ring[this.#sqTail]!;
      if (((tail - ring[this.#sqHead]!) >>> 0) >= this.#sqEntries) this.#enter();
      const index = tail & this.#sqMask;
      this.#sqes.set(sqes[i]!, index * SQE_WORDS);
      ring[this.#sqArray + index] = index;
      // The kernel reads the tail during io_uring_enter, a full barrier: a plain store is enough.
      ring[this.#sqTail] = (tail + 1) >>> 0;
      this.#queued++;
    }
    this.#enter();
  }

  /** Hands the queued submissions to the kernel, retrying on EINTR until it has taken them all. */
  #enter(): void {
    const syscall = this.#syscall;
    while (this.#queued > 0) {
      const taken = Number(syscall(IO_URING_SYS.enter, this.fd, this.#queued, 0, 0, 0, 0));
      if (taken < 0) {
        const code = errno();
        if (code === EINTR) continue;
        throw SystemError.fromErrno(code, "io_uring_enter");
      }
      this.#queued -= taken;
    }
  }

  /** Discards every completion: the relay learns what it needs from its socket, not from them. */
  discardCompletions(): void {
    const ring = this.#ring;
    ring[this.#cqHead] = ring[this.#cqTail]!;
  }

  /** Unmaps the rings and closes the ring, which cancels whatever it still had in flight. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const calls = loadIoUring()!;
    calls.munmap(this.#sqesPointer, this.#sqesBytes);
    calls.munmap(this.#ringPointer, this.#ringBytes);
    closeDescriptor(this.fd);
  }
}

/**
 * Encodes one submission queue entry. 64-bit fields come as two 32-bit halves: `addr` (a pointer,
 * or for POLL_REMOVE the user data to remove) and the user data.
 */
export function encodeSqe(
  opcode: number,
  flags: number,
  fd: number,
  addrLow: number,
  addrHigh: number,
  len: number,
  opFlags: number,
  userLow: number,
  userHigh: number,
): Uint32Array {
  const sqe = new Uint32Array(SQE_WORDS);
  sqe[IO_URING_SQE.opcode] = opcode | (flags << 8);
  sqe[IO_URING_SQE.fd / 4] = fd;
  sqe[IO_URING_SQE.addr / 4] = addrLow;
  sqe[IO_URING_SQE.addr / 4 + 1] = addrHigh;
  sqe[IO_URING_SQE.len / 4] = len;
  sqe[IO_URING_SQE.opFlags / 4] = opFlags;
  sqe[IO_URING_SQE.userData / 4] = userLow;
  sqe[IO_URING_SQE.userData / 4 + 1] = userHigh;
  return sqe;
}

/** Whether mmap returned a mapping (not NULL, not MAP_FAILED). */
function isMapped(pointer: Pointer | bigint | null): pointer is Pointer {
  return typeof pointer === "number" && pointer > 0 && pointer < 2 ** 63;
}
