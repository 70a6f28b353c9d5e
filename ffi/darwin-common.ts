/**
 * What darwin-arm64 and darwin-x64 share: every layout and constant the library uses is the same
 * on both (golang/sys's generated tables agree value for value), so the per-arch modules differ
 * only in how variadic arguments are passed. What macOS shares with FreeBSD comes from
 * `ffi/bsd-common.ts`, the kqueue facts all three flavours share from `ffi/kqueue-common.ts`, and
 * the layouts of every LP64 platform from `ffi/lp64-common.ts`.
 *
 * Sources: docs/design/platform-abi.md §4 and §5 ([xnu] headers, cross-checked with [xsys] and [rlibc]). No
 * layout check has run on macOS yet, so both modules are marked `"unverified"`.
 *
 * @module
 */
import { bsdConstants, bsdKqueueConstants, bsdStructs, bsdXucredFields } from "./bsd-common.ts";
import { keventFields, kqueueConstants } from "./kqueue-common.ts";
import { lp64Structs } from "./lp64-common.ts";
import type { AbiTables, KqueueAbi } from "./shape.ts";

/** Struct layouts of macOS on arm64 and x86-64 (both LP64). */
export const darwinStructs = {
  ...lp64Structs,
  ...bsdStructs,
  // LOCAL_PEERCRED's result. No pid inside: LOCAL_PEERPID gives it. FreeBSD's is longer.
  xucred: { size: 76, fields: bsdXucredFields },
} as const satisfies AbiTables["structs"];

/** Constants with the same value on darwin-arm64 and darwin-x64. */
export const darwinConstants = {
  ...bsdConstants,
  // fcntl(2), open(2)
  F_DUPFD_CLOEXEC: 67,
  O_NOCTTY: 0x20000,
  O_DIRECTORY: 0x100000,
  O_CLOEXEC: 0x1000000,
  // clock_gettime(3). No CLOCK_BOOTTIME on macOS; CLOCK_MONOTONIC is 6, not 1.
  CLOCK_MONOTONIC: 6,
  // socket(2), unix(4). No SOCK_NONBLOCK/SOCK_CLOEXEC: socket() takes no type flags here.
  // SCM_CREDS (3) is left out on purpose: the header defines it, but the kernel rejects every
  // control message other than a single SCM_RIGHTS, so macOS passes no credentials that way.
  SO_NOSIGPIPE: 0x1022,
  LOCAL_PEERPID: 2,
  // send(2): the kernel honours it on send as well as SO_NOSIGPIPE.
  MSG_NOSIGNAL: 0x80000,
} as const satisfies AbiTables["constants"];

/** What macOS has: kqueue and Unix-domain sockets, none of the Linux descriptor facilities. */
export const darwinFeatures = {
  epoll: false,
  kqueue: true,
  eventfd: false,
  timerfd: false,
  pidfd: false,
  // XNU has no message-queue system calls at all.
  mqueue: false,
  seqpacket: true,
  abstractSockets: false,
  socketTypeFlags: false,
  msgCmsgCloexec: false,
} as const satisfies AbiTables["features"];

/** macOS's kqueue: the 32-byte `struct kevent` and xnu's `bsd/sys/event.h` constants. */
export const darwinKqueue = {
  flavour: "darwin",
  // Declared inside #pragma pack(4), which on LP64 only lowers the alignment: every field keeps its
  // natural offset, and the stride is 32.
  kevent: { size: 32, fields: keventFields },
  constants: {
    ...kqueueConstants,
    ...bsdKqueueConstants,
    // Filters. -8 and -10 mean different things on FreeBSD (EVFILT_PROCDESC, EVFILT_LIO).
    EVFILT_MACHPORT: -8,
    EVFILT_USER: -10,
    EVFILT_VM: -12,
    EVFILT_EXCEPT: -15,
    // kevent.flags
    EV_UDATA_SPECIFIC: 0x100,
    EV_VANISHED: 0x200,
    EV_FLAG0: 0x1000,
    EV_POLL: 0x1000,
    EV_OOBAND: 0x2000,
    // EVFILT_PROC fflags. NOTE_REAP and NOTE_TRACK/NOTE_TRACKERR/NOTE_CHILD are left out: xnu
    // marks them deprecated.
    NOTE_SIGNAL: 0x8000000,
    // Asked for beside NOTE_EXIT, puts the wait(2) status in data (child processes only).
    NOTE_EXITSTATUS: 0x4000000,
    NOTE_EXIT_DETAIL: 0x2000000,
    NOTE_PCTRLMASK: 0xfff00000,
    // EVFILT_TIMER fflags. No unit bit means milliseconds; there is no NOTE_MSECONDS. The unit
    // bits collide with FreeBSD's (2 is µs here, ms there; 8 is absolute here, ns there).
    NOTE_USECONDS: 0x2,
    NOTE_NSECONDS: 0x4,
    NOTE_ABSOLUTE: 0x8,
    NOTE_LEEWAY: 0x10,
    NOTE_CRITICAL: 0x20,
    NOTE_BACKGROUND: 0x40,
    NOTE_MACH_CONTINUOUS_TIME: 0x80,
    NOTE_MACHTIME: 0x100,
    // EVFILT_VNODE fflags
    NOTE_NONE: 0x80,
    NOTE_FUNLOCK: 0x100,
    // EVFILT_EXCEPT fflag
    NOTE_OOB: 0x2,
  },
  timerMicrosecondsFlag: 0x2,
  noteExitStatus: 0x4000000,
} as const satisfies KqueueAbi;

/**
 * The fields of the two macOS ABIs that do not depend on the CPU. Each per-arch module spreads
 * this and adds its id, how it was verified and how variadic arguments are passed.
 */
export const darwinCommon = {
  os: "darwin",
  // libc lives in libSystem; dlopen of the path resolves from the dyld shared cache even though
  // the file is no longer on disk (macOS 11 and later).
  libc: ["/usr/lib/libSystem.B.dylib"],
  // macOS has no POSIX message queues.
  librt: [],
  libutil: ["/usr/lib/libSystem.B.dylib"],
  errnoFunction: "__error",
  // Never used: there is no mqd_t on macOS (features.mqueue is false); the field needs a value.
  mqdType: "fd",
  features: darwinFeatures,
  structs: darwinStructs,
  // __DARWIN_ALIGN32: control messages are 4-aligned, so CMSG_DATA is at +12 (8 on Linux and FreeBSD).
  cmsgAlign: 4,
  constants: darwinConstants,
  kqueue: darwinKqueue,
} as const satisfies Partial<AbiTables>;
