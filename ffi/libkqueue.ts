/**
 * libkqueue, the user-space kqueue for Linux (built on epoll, timerfd, eventfd, signalfd, pidfd and
 * inotify). It is the only way to run the kqueue code on a Linux machine, so the kqueue tests use
 * it as a stand-in for macOS and FreeBSD; the library does not ship or load it on its own.
 *
 * It mixes the two BSDs: the 32-byte `struct kevent` with macOS's offsets, FreeBSD's filter numbers
 * (`EVFILT_USER` is -11), and macOS's timer unit bits. What all three flavours share comes from
 * `ffi/kqueue-common.ts`.
 *
 * Sources: docs/design/libkqueue.md §2 (libkqueue 2.7.0's installed header, measured with
 * `offsetof`/`sizeof` on x86-64).
 *
 * @module
 */
import { keventFields, kqueueConstants } from "./kqueue-common.ts";
import type { KqueueAbi } from "./shape.ts";

/** libkqueue's kqueue flavour. */
export const libkqueueAbi = {
  flavour: "libkqueue",
  // macOS's layout. A FreeBSD 12 64-byte stride would misread every other returned event.
  kevent: { size: 32, fields: keventFields },
  constants: {
    // Of the shared ones, NOTE_EXIT is the only EVFILT_PROC fflag implemented on Linux, and
    // NOTE_LOWAT is done with SO_RCVLOWAT, so for sockets only.
    ...kqueueConstants,
    // Filters, numbered as on FreeBSD. FS and LIO are hidden in the header and fail with ENOSYS,
    // so they are left out; AIO (hidden too) keeps the number every BSD gives it.
    EVFILT_USER: -11,
    // EVFILT_PROC fflags: FreeBSD's values.
    NOTE_PCTRLMASK: 0xf0000000,
    NOTE_TRACK: 0x1,
    NOTE_TRACKERR: 0x2,
    NOTE_CHILD: 0x4,
    // EVFILT_TIMER fflags: macOS's bits, not FreeBSD's. No unit bit means milliseconds.
    NOTE_USECONDS: 0x2,
    NOTE_NSECONDS: 0x4,
    NOTE_ABSOLUTE: 0x8,
    // EVFILT_VNODE fflags. The header #undefs NOTE_REVOKE on Linux; 0x80 is NOTE_TRUNCATE here.
    NOTE_TRUNCATE: 0x80,
  },
  // NOTE_USECONDS, as on macOS.
  timerMicrosecondsFlag: 0x2,
  // NOTE_EXIT reports the status without a NOTE_EXITSTATUS bit.
  noteExitStatus: 0,
} as const satisfies KqueueAbi;
