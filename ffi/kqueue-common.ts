/**
 * What the three kqueue flavours share: the first 32 bytes of `struct kevent` and the constants
 * with the same value on macOS, FreeBSD and libkqueue. The flavour tables (`darwinKqueue` in
 * `ffi/darwin-common.ts`, the `kqueue` of `ffi/freebsd-x64.ts`, `ffi/libkqueue.ts`) spread these
 * and add their stride and their own constants: they differ from filter -8 on, in the timer unit
 * bits and in much of EVFILT_PROC (docs/design/platform-abi.md §5.2).
 *
 * Sources: docs/design/platform-abi.md §4.3 and §5.2 ([xnu] and [fbsd] `sys/event.h`),
 * docs/design/libkqueue.md §2 (libkqueue 2.7.0's installed header).
 *
 * @module
 */
import type { KqueueAbi } from "./shape.ts";

/**
 * The fields of `struct kevent`, at the same offsets in all three. macOS and libkqueue end after
 * udata (32 bytes); FreeBSD 12 adds ext[4] there (64 bytes), so each flavour gives its own size.
 */
export const keventFields = {
  ident: { offset: 0, size: 8 },
  filter: { offset: 8, size: 2 },
  flags: { offset: 10, size: 2 },
  fflags: { offset: 12, size: 4 },
  data: { offset: 16, size: 8 },
  udata: { offset: 24, size: 8 },
} as const satisfies KqueueAbi["kevent"]["fields"];

/** Kqueue constants with the same value on macOS, FreeBSD and libkqueue. */
export const kqueueConstants = {
  // Filters -1 to -7. From -8 on they diverge: EVFILT_USER is -10 on macOS, -11 on FreeBSD and
  // libkqueue. libkqueue numbers EVFILT_AIO as the BSDs do but fails it with ENOSYS.
  EVFILT_READ: -1,
  EVFILT_WRITE: -2,
  EVFILT_AIO: -3,
  EVFILT_VNODE: -4,
  EVFILT_PROC: -5,
  EVFILT_SIGNAL: -6,
  EVFILT_TIMER: -7,
  // kevent.flags: the common bits, equal on all three kqueues.
  EV_ADD: 0x1,
  EV_DELETE: 0x2,
  EV_ENABLE: 0x4,
  EV_DISABLE: 0x8,
  EV_ONESHOT: 0x10,
  EV_CLEAR: 0x20,
  EV_RECEIPT: 0x40,
  EV_DISPATCH: 0x80,
  EV_SYSFLAGS: 0xf000,
  EV_FLAG1: 0x2000,
  EV_ERROR: 0x4000,
  EV_EOF: 0x8000,
  // EVFILT_PROC fflags. NOTE_PCTRLMASK differs: macOS's covers 12 bits, the others' 4.
  NOTE_EXIT: 0x80000000,
  NOTE_FORK: 0x40000000,
  NOTE_EXEC: 0x20000000,
  NOTE_PDATAMASK: 0xfffff,
  // EVFILT_USER fflags (the same on macOS, FreeBSD and libkqueue).
  NOTE_FFNOP: 0,
  NOTE_FFAND: 0x40000000,
  NOTE_FFOR: 0x80000000,
  NOTE_FFCOPY: 0xc0000000,
  NOTE_FFCTRLMASK: 0xc0000000,
  NOTE_FFLAGSMASK: 0xffffff,
  NOTE_TRIGGER: 0x1000000,
  // EVFILT_TIMER fflags: only the seconds bit agrees. No unit bit means milliseconds on all three;
  // the other unit bits collide between macOS and FreeBSD.
  NOTE_SECONDS: 0x1,
  // EVFILT_VNODE fflags. Above 0x20 each has its own (libkqueue lacks NOTE_REVOKE, 0x40, which the
  // two kernels share).
  NOTE_DELETE: 0x1,
  NOTE_WRITE: 0x2,
  NOTE_EXTEND: 0x4,
  NOTE_ATTRIB: 0x8,
  NOTE_LINK: 0x10,
  NOTE_RENAME: 0x20,
  // EVFILT_READ / EVFILT_WRITE fflags
  NOTE_LOWAT: 0x1,
} as const satisfies KqueueAbi["constants"];
