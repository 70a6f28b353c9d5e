/**
 * freebsd-x64 (amd64, FreeBSD 12 and later). Unverified: no layout check has run on FreeBSD yet.
 * FreeBSD has the BSD socket layouts of macOS (`ffi/bsd-common.ts`) but Linux's 8-byte
 * control-message alignment, a 64-byte `struct kevent`, and Linux-style eventfd (13.0) and
 * timerfd (14.0). The kqueue facts all three flavours share come from `ffi/kqueue-common.ts`, the
 * layouts of every LP64 platform from `ffi/lp64-common.ts`.
 *
 * Sources: docs/design/platform-abi.md §3 to §5 ([fbsd] headers from FreeBSD main, [xsys] freebsd_amd64,
 * [rlibc] freebsdlike).
 *
 * @module
 */
import { bsdConstants, bsdKqueueConstants, bsdStructs, bsdXucredFields } from "./bsd-common.ts";
import { keventFields, kqueueConstants } from "./kqueue-common.ts";
import { lp64MqAttr, lp64Structs } from "./lp64-common.ts";
import type { AbiTables } from "./shape.ts";

/** The freebsd-x64 ABI tables. */
export const freebsdX64 = {
  id: "freebsd-x64",
  os: "freebsd",
  arch: "x64",
  verified: "unverified",
  // On FreeBSD 15 the system-call stubs moved to libsys.so.7, a filter of libc, so dlsym through
  // the libc handle still finds them.
  libc: ["libc.so.7"],
  // mq_* live in librt; calling them without the mqueuefs kernel module raises SIGSYS.
  librt: ["librt.so.1"],
  libutil: ["libutil.so.9"],
  errnoFunction: "__error",
  // SysV x86-64: integer and pointer variadic arguments go in the same registers as named ones.
  variadicArguments: "registers",
  // mqd_t is a struct __mq *, not a descriptor; mq_getfd_np gives the descriptor kqueue can watch.
  mqdType: "pointer",
  mqNameMax: 254,
  features: {
    epoll: false,
    kqueue: true,
    eventfd: true,
    timerfd: true,
    pidfd: false,
    mqueue: true,
    seqpacket: true,
    abstractSockets: false,
    socketTypeFlags: true,
    msgCmsgCloexec: true,
  },
  structs: {
    ...lp64Structs,
    ...bsdStructs,
    mq_attr: lp64MqAttr,
    // The first 76 bytes are macOS's xucred; FreeBSD adds a union holding cr_pid at 80 (filled
    // from FreeBSD 13).
    xucred: { size: 88, fields: { ...bsdXucredFields, cr_pid: { offset: 80, size: 4 } } },
  },
  // _ALIGN on x86 masks with sizeof(register_t) - 1, so CMSG_DATA is at +16 after the 12-byte
  // cmsghdr (+12 on macOS).
  cmsgAlign: 8,
  constants: {
    ...bsdConstants,
    // fcntl(2), open(2)
    F_DUPFD_CLOEXEC: 17,
    O_NOCTTY: 0x8000,
    O_DIRECTORY: 0x20000,
    O_CLOEXEC: 0x100000,
    // eventfd(2) (13.0), timerfd_create(2) (14.0): the NONBLOCK/CLOEXEC flags are the O_* ones.
    EFD_SEMAPHORE: 1,
    EFD_NONBLOCK: 0x4,
    EFD_CLOEXEC: 0x100000,
    TFD_NONBLOCK: 0x4,
    TFD_CLOEXEC: 0x100000,
    TFD_TIMER_ABSTIME: 1,
    TFD_TIMER_CANCEL_ON_SET: 2,
    // clock_gettime(2). CLOCK_MONOTONIC is 4, not 1; CLOCK_BOOTTIME is an alias of CLOCK_UPTIME.
    CLOCK_MONOTONIC: 4,
    CLOCK_BOOTTIME: 5,
    // socket(2), unix(4)
    SOCK_NONBLOCK: 0x20000000,
    SOCK_CLOEXEC: 0x10000000,
    // The sender sends an empty struct cmsgcred and the kernel fills it in.
    SCM_CREDS: 3,
    // What LOCAL_CREDS_PERSISTENT (13.0) attaches: a struct sockcred2, which carries the pid.
    SCM_CREDS2: 8,
    SO_NOSIGPIPE: 0x800,
    LOCAL_CREDS: 2,
    LOCAL_CREDS_PERSISTENT: 3,
    // send(2), recv(2)
    MSG_NOSIGNAL: 0x20000,
    MSG_CMSG_CLOEXEC: 0x40000,
  },
  kqueue: {
    flavour: "freebsd",
    // Since FreeBSD 12 data is an int64_t and ext[4] follows udata, so the stride is 64: dlsym
    // returns the default kevent@@FBSD_1.5, and a 32-byte stride misreads every other entry.
    // The 32-byte kevent@FBSD_1.0 stays only for old binaries.
    kevent: { size: 64, fields: keventFields },
    constants: {
      ...kqueueConstants,
      ...bsdKqueueConstants,
      // Filters. -8 and -10 mean different things on macOS, and EVFILT_USER is -10 there.
      EVFILT_PROCDESC: -8,
      EVFILT_LIO: -10,
      EVFILT_USER: -11,
      EVFILT_SENDFILE: -12,
      EVFILT_EMPTY: -13,
      // kevent.flags
      EV_FORCEONESHOT: 0x100,
      EV_KEEPUDATA: 0x200,
      EV_DROP: 0x1000,
      EV_FLAG2: 0x4000,
      // EVFILT_PROC / EVFILT_PROCDESC fflags. NOTE_EXIT alone already puts the exit status in data.
      NOTE_PCTRLMASK: 0xf0000000,
      NOTE_TRACK: 0x1,
      NOTE_TRACKERR: 0x2,
      NOTE_CHILD: 0x4,
      // EVFILT_TIMER fflags. No unit bit means milliseconds. The unit bits collide with macOS's
      // (2 is ms here, µs there; 8 is ns here, absolute there); unknown bits fail with EINVAL.
      NOTE_MSECONDS: 0x2,
      NOTE_USECONDS: 0x4,
      NOTE_NSECONDS: 0x8,
      NOTE_ABSTIME: 0x10,
      // EVFILT_VNODE fflags
      NOTE_OPEN: 0x80,
      NOTE_CLOSE: 0x100,
      NOTE_CLOSE_WRITE: 0x200,
      NOTE_READ: 0x400,
      // EVFILT_READ / EVFILT_WRITE fflags
      NOTE_FILE_POLL: 0x2,
    },
    // NOTE_USECONDS: FreeBSD's 2 would mean milliseconds.
    timerMicrosecondsFlag: 0x4,
    // No NOTE_EXITSTATUS here: NOTE_EXIT reports the status by itself.
    noteExitStatus: 0,
  },
} as const satisfies AbiTables;
