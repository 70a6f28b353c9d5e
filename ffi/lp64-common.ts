/**
 * The struct layouts that are the same on every LP64 platform bunix has tables for (Linux, macOS
 * and FreeBSD on x86-64 and arm64): structs built only from `long`, `time_t`, `size_t` and
 * pointers, all 8 bytes there. The platform modules spread these and add the layouts that differ.
 *
 * Sources: docs/design/platform-abi.md §4 ([L64], [LA64], [xnu], [fbsd] headers), checked by
 * `test/ffi/layout.test.ts` against the C headers of the running platform.
 *
 * @module
 */
import type { AbiTables } from "./shape.ts";

/** `timespec`, `itimerspec` and `iovec`, which every platform table has. */
export const lp64Structs = {
  timespec: { size: 16, fields: { tv_sec: { offset: 0, size: 8 }, tv_nsec: { offset: 8, size: 8 } } },
  // The standard layout of two timespecs, which timerfd_settime takes on Linux and FreeBSD. macOS
  // has no timerfd and nothing there takes an itimerspec; its table still needs one.
  itimerspec: { size: 32, fields: { it_interval: { offset: 0, size: 16 }, it_value: { offset: 16, size: 16 } } },
  iovec: { size: 16, fields: { iov_base: { offset: 0, size: 8 }, iov_len: { offset: 8, size: 8 } } },
} as const satisfies Partial<AbiTables["structs"]>;

/**
 * `struct mq_attr` where there are POSIX message queues (Linux, FreeBSD): four `long`s, then
 * reserved room up to 64 bytes on both.
 */
export const lp64MqAttr = {
  size: 64,
  fields: {
    mq_flags: { offset: 0, size: 8 },
    mq_maxmsg: { offset: 8, size: 8 },
    mq_msgsize: { offset: 16, size: 8 },
    mq_curmsgs: { offset: 24, size: 8 },
  },
} as const satisfies NonNullable<AbiTables["structs"]["mq_attr"]>;
