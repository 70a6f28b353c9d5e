/**
 * io_uring's ABI (include/uapi/linux/io_uring.h): the same on every Linux architecture, so one
 * table serves x64 and arm64. Only what the waitAsync relay uses (src/async/io-uring/): setting a
 * ring up, mapping it, and the poll, poll-remove and send operations.
 *
 * @module
 */
import { FFIType } from "bun:ffi";

/** System call numbers (the numbers every architecture shares, from 424 up). */
export const IO_URING_SYS = { setup: 425, enter: 426 } as const;

/** `struct io_uring_params` (120 bytes): where its fields and its two offset tables sit, in bytes. */
export const IO_URING_PARAMS = {
  size: 120,
  sqEntries: 0,
  cqEntries: 4,
  flags: 8,
  features: 20,
  /** `struct io_sqring_offsets`. */
  sqOff: 40,
  /** `struct io_cqring_offsets`. */
  cqOff: 80,
} as const;

/** `struct io_sqring_offsets`, byte offsets of fields inside the SQ ring mapping. */
export const IO_SQRING_OFFSETS = { head: 0, tail: 4, ringMask: 8, ringEntries: 12, array: 24 } as const;

/** `struct io_cqring_offsets`, byte offsets of fields inside the CQ ring mapping. */
export const IO_CQRING_OFFSETS = { head: 0, tail: 4, ringMask: 8, ringEntries: 12, cqes: 20 } as const;

/** `struct io_uring_sqe` (64 bytes), byte offsets. */
export const IO_URING_SQE = { size: 64, opcode: 0, flags: 1, fd: 4, off: 8, addr: 16, len: 24, opFlags: 28, userData: 32 } as const;

/** `struct io_uring_cqe` (16 bytes), byte offsets. */
export const IO_URING_CQE = { size: 16, userData: 0, res: 8, flags: 12 } as const;

/** Operations, SQE flags, features and mapping offsets used. */
export const IO_URING = {
  OP_POLL_ADD: 6,
  OP_POLL_REMOVE: 7,
  OP_SEND: 26,
  /** The next SQE runs after this one, even if this one fails. */
  IOSQE_IO_HARDLINK: 1 << 3,
  IOSQE_IO_LINK: 1 << 2,
  /** SQ and CQ rings share one mapping (5.4). */
  FEAT_SINGLE_MMAP: 1 << 0,
  /** Completions are never dropped when the CQ ring is full (5.5). */
  FEAT_NODROP: 1 << 1,
  /** Internal poll for not-ready sockets; implies IORING_OP_SEND (5.6) is there (5.7). */
  FEAT_FAST_POLL: 1 << 5,
  OFF_SQ_RING: 0,
  OFF_SQES: 0x10000000,
  POLLIN: 0x0001,
  MSG_NOSIGNAL: 0x4000,
  /** mmap: PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE (the same numbers on x64 and arm64). */
  PROT_READ_WRITE: 0x3,
  MAP_SHARED_POPULATE: 0x1 | 0x8000,
} as const;

/** `syscall` with six arguments after the number, and the mappings io_uring needs (Linux). */
export const ioUringSymbols = {
  syscall: {
    args: [FFIType.i64_fast, FFIType.i64_fast, FFIType.i64_fast, FFIType.i64_fast, FFIType.i64_fast, FFIType.i64_fast, FFIType.i64_fast],
    returns: FFIType.i64_fast,
  },
  mmap: { args: ["ptr", "u64", "i32", "i32", "i32", FFIType.i64_fast], returns: "ptr" },
  munmap: { args: ["ptr", "u64"], returns: "i32" },
} as const;
