/**
 * libkqueue, the user-space kqueue for Linux (built on epoll, timerfd, eventfd, signalfd, pidfd and
 * inotify). It is the only way to run the kqueue code on a Linux machine, so the kqueue tests use
 * it as a stand-in for macOS and FreeBSD; the library does not ship or load it on its own.
 *
 * It mixes the two BSDs: the 32-byte `struct kevent` with macOS's offsets, FreeBSD's filter numbers
 * (`EVFILT_USER` is -11), and macOS's timer unit bits.
 *
 * Sources: KQUEUE-ON-LINUX.md section 3 (libkqueue 2.7.0's installed header, measured with
 * `offsetof`/`sizeof` on x86-64).
 *
 * @module
 */
import type { KqueueAbi } from "./shape.ts";

/** libkqueue's kqueue flavour. */
export const libkqueueAbi = {
  flavour: "libkqueue",
  // macOS's layout. A FreeBSD 12 64-byte stride would misread every other returned event.
  kevent: {
    size: 32,
    fields: {
      ident: { offset: 0, size: 8 },
      filter: { offset: 8, size: 2 },
      flags: { offset: 10, size: 2 },
      fflags: { offset: 12, size: 4 },
      data: { offset: 16, size: 8 },
      udata: { offset: 24, size: 8 },
    },
  },
  constants: {
    // Filters, numbered as on FreeBSD. AIO, FS and LIO are hidden in the header and fail with
    // ENOSYS, so they are left out.
    EVFILT_READ: -1,
    EVFILT_WRITE: -2,
    EVFILT_VNODE: -4,
    EVFILT_PROC: -5,
    EVFILT_SIGNAL: -6,
    EVFILT_TIMER: -7,
    EVFILT_USER: -11,
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
    // EVFILT_PROC fflags. Only NOTE_EXIT is implemented on Linux.
    NOTE_EXIT: 0x80000000,
    NOTE_FORK: 0x40000000,
    NOTE_EXEC: 0x20000000,
    NOTE_PDATAMASK: 0xfffff,
    NOTE_PCTRLMASK: 0xf0000000,
    NOTE_TRACK: 0x1,
    NOTE_TRACKERR: 0x2,
    NOTE_CHILD: 0x4,
    // EVFILT_USER fflags (the same on macOS and FreeBSD).
    NOTE_FFNOP: 0,
    NOTE_FFAND: 0x40000000,
    NOTE_FFOR: 0x80000000,
    NOTE_FFCOPY: 0xc0000000,
    NOTE_FFCTRLMASK: 0xc0000000,
    NOTE_FFLAGSMASK: 0xffffff,
    NOTE_TRIGGER: 0x1000000,
    // EVFILT_TIMER fflags: macOS's bits, not FreeBSD's. No unit bit means milliseconds.
    NOTE_SECONDS: 0x1,
    NOTE_USECONDS: 0x2,
    NOTE_NSECONDS: 0x4,
    NOTE_ABSOLUTE: 0x8,
    // EVFILT_VNODE fflags. The header #undefs NOTE_REVOKE on Linux; 0x80 is NOTE_TRUNCATE here.
    NOTE_DELETE: 0x1,
    NOTE_WRITE: 0x2,
    NOTE_EXTEND: 0x4,
    NOTE_ATTRIB: 0x8,
    NOTE_LINK: 0x10,
    NOTE_RENAME: 0x20,
    NOTE_TRUNCATE: 0x80,
    // EVFILT_READ / EVFILT_WRITE fflags: done with SO_RCVLOWAT, so for sockets only.
    NOTE_LOWAT: 0x1,
  },
  // NOTE_USECONDS, as on macOS.
  timerMicrosecondsFlag: 0x2,
  // NOTE_EXIT reports the status without a NOTE_EXITSTATUS bit.
  noteExitStatus: 0,
} as const satisfies KqueueAbi;
