/**
 * What darwin-arm64 and darwin-x64 share: every layout and constant the library uses is the same
 * on both (golang/sys's generated tables agree value for value), so the per-arch modules differ
 * only in how variadic arguments are passed.
 *
 * Sources: ABI.md sections 2 and 3 ([xnu] headers, cross-checked with [xsys] and [rlibc]). No
 * layout check has run on macOS yet, so both modules are marked `"unverified"`.
 *
 * @module
 */
import type { AbiTables, KqueueAbi } from "./shape.ts";

/** Struct layouts of macOS on arm64 and x86-64 (both LP64). */
export const darwinStructs = {
  timespec: { size: 16, fields: { tv_sec: { offset: 0, size: 8 }, tv_nsec: { offset: 8, size: 8 } } },
  // macOS has no timerfd and nothing here takes an itimerspec; the table still needs one, and this
  // is the standard layout of two timespecs.
  itimerspec: { size: 32, fields: { it_interval: { offset: 0, size: 16 }, it_value: { offset: 16, size: 16 } } },
  iovec: { size: 16, fields: { iov_base: { offset: 0, size: 8 }, iov_len: { offset: 8, size: 8 } } },
  // msg_iovlen is an int and msg_controllen a socklen_t (glibc: size_t for both), so msg_flags
  // moves up to 44 and an 8-byte store to msg_controllen would clobber it.
  msghdr: {
    size: 48,
    fields: {
      msg_name: { offset: 0, size: 8 },
      msg_namelen: { offset: 8, size: 4 },
      msg_iov: { offset: 16, size: 8 },
      msg_iovlen: { offset: 24, size: 4 },
      msg_control: { offset: 32, size: 8 },
      msg_controllen: { offset: 40, size: 4 },
      msg_flags: { offset: 44, size: 4 },
    },
  },
  // cmsg_len is a socklen_t: the header is 12 bytes, and with macOS's 4-byte CMSG_ALIGN the data
  // starts right after it, at +12.
  cmsghdr: {
    size: 12,
    fields: { cmsg_len: { offset: 0, size: 4 }, cmsg_level: { offset: 4, size: 4 }, cmsg_type: { offset: 8, size: 4 } },
  },
  // BSD addresses start with a length byte, so sun_family is one byte at 1 and the path is 104 bytes.
  sockaddr_un: {
    size: 106,
    fields: { sun_len: { offset: 0, size: 1 }, sun_family: { offset: 1, size: 1 }, sun_path: { offset: 2, size: 104 } },
  },
  // LOCAL_PEERCRED's result. No pid inside: LOCAL_PEERPID gives it. cr_ngroups is a short, then
  // 2 bytes of padding before the 16 gid_t of cr_groups.
  xucred: {
    size: 76,
    fields: {
      cr_version: { offset: 0, size: 4 },
      cr_uid: { offset: 4, size: 4 },
      cr_ngroups: { offset: 8, size: 2 },
      cr_groups: { offset: 12, size: 64 },
    },
  },
} as const satisfies AbiTables["structs"];

/** Constants with the same value on darwin-arm64 and darwin-x64. */
export const darwinConstants = {
  // fcntl(2), open(2)
  F_DUPFD: 0,
  F_GETFD: 1,
  F_SETFD: 2,
  F_GETFL: 3,
  F_SETFL: 4,
  F_DUPFD_CLOEXEC: 67,
  FD_CLOEXEC: 1,
  O_RDONLY: 0,
  O_WRONLY: 1,
  O_RDWR: 2,
  O_ACCMODE: 3,
  O_NONBLOCK: 0x4,
  O_APPEND: 0x8,
  O_NOFOLLOW: 0x100,
  O_CREAT: 0x200,
  O_TRUNC: 0x400,
  O_EXCL: 0x800,
  O_NOCTTY: 0x20000,
  O_DIRECTORY: 0x100000,
  O_CLOEXEC: 0x1000000,
  // clock_gettime(3). No CLOCK_BOOTTIME on macOS; CLOCK_MONOTONIC is 6, not 1.
  CLOCK_REALTIME: 0,
  CLOCK_MONOTONIC: 6,
  // socket(2), unix(4). No SOCK_NONBLOCK/SOCK_CLOEXEC: socket() takes no type flags here.
  AF_UNIX: 1,
  SOCK_STREAM: 1,
  SOCK_DGRAM: 2,
  SOCK_SEQPACKET: 5,
  SOL_SOCKET: 0xffff,
  // LOCAL_* options are read at level SOL_LOCAL, not SOL_SOCKET.
  SOL_LOCAL: 0,
  SCM_RIGHTS: 1,
  // SCM_CREDS (3) is left out on purpose: the header defines it, but the kernel rejects every
  // control message other than a single SCM_RIGHTS, so macOS passes no credentials that way.
  SO_SNDBUF: 0x1001,
  SO_RCVBUF: 0x1002,
  SO_ERROR: 0x1007,
  SO_TYPE: 0x1008,
  SO_NOSIGPIPE: 0x1022,
  LOCAL_PEERCRED: 1,
  LOCAL_PEERPID: 2,
  SOMAXCONN: 128,
  // send(2), recv(2), shutdown(2). Every one but MSG_PEEK is numbered differently from Linux.
  MSG_PEEK: 0x2,
  MSG_EOR: 0x8,
  MSG_TRUNC: 0x10,
  MSG_CTRUNC: 0x20,
  MSG_WAITALL: 0x40,
  MSG_DONTWAIT: 0x80,
  // The kernel honours it on send as well as SO_NOSIGPIPE.
  MSG_NOSIGNAL: 0x80000,
  SHUT_RD: 0,
  SHUT_WR: 1,
  SHUT_RDWR: 2,
} as const;

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
    // Filters. -8 and -10 mean different things on FreeBSD (EVFILT_PROCDESC, EVFILT_LIO).
    EVFILT_READ: -1,
    EVFILT_WRITE: -2,
    EVFILT_AIO: -3,
    EVFILT_VNODE: -4,
    EVFILT_PROC: -5,
    EVFILT_SIGNAL: -6,
    EVFILT_TIMER: -7,
    EVFILT_MACHPORT: -8,
    EVFILT_FS: -9,
    EVFILT_USER: -10,
    EVFILT_VM: -12,
    EVFILT_EXCEPT: -15,
    // kevent.flags
    EV_ADD: 0x1,
    EV_DELETE: 0x2,
    EV_ENABLE: 0x4,
    EV_DISABLE: 0x8,
    EV_ONESHOT: 0x10,
    EV_CLEAR: 0x20,
    EV_RECEIPT: 0x40,
    EV_DISPATCH: 0x80,
    EV_UDATA_SPECIFIC: 0x100,
    EV_VANISHED: 0x200,
    EV_SYSFLAGS: 0xf000,
    EV_FLAG0: 0x1000,
    EV_POLL: 0x1000,
    EV_FLAG1: 0x2000,
    EV_OOBAND: 0x2000,
    EV_ERROR: 0x4000,
    EV_EOF: 0x8000,
    // EVFILT_PROC fflags. NOTE_REAP and NOTE_TRACK/NOTE_TRACKERR/NOTE_CHILD are left out: xnu
    // marks them deprecated.
    NOTE_EXIT: 0x80000000,
    NOTE_FORK: 0x40000000,
    NOTE_EXEC: 0x20000000,
    NOTE_SIGNAL: 0x8000000,
    // Asked for beside NOTE_EXIT, puts the wait(2) status in data (child processes only).
    NOTE_EXITSTATUS: 0x4000000,
    NOTE_EXIT_DETAIL: 0x2000000,
    NOTE_PDATAMASK: 0xfffff,
    NOTE_PCTRLMASK: 0xfff00000,
    // EVFILT_USER fflags (the same on FreeBSD and libkqueue).
    NOTE_FFNOP: 0,
    NOTE_FFAND: 0x40000000,
    NOTE_FFOR: 0x80000000,
    NOTE_FFCOPY: 0xc0000000,
    NOTE_FFCTRLMASK: 0xc0000000,
    NOTE_FFLAGSMASK: 0xffffff,
    NOTE_TRIGGER: 0x1000000,
    // EVFILT_TIMER fflags. No unit bit means milliseconds; there is no NOTE_MSECONDS. The unit
    // bits collide with FreeBSD's (2 is µs here, ms there; 8 is absolute here, ns there).
    NOTE_SECONDS: 0x1,
    NOTE_USECONDS: 0x2,
    NOTE_NSECONDS: 0x4,
    NOTE_ABSOLUTE: 0x8,
    NOTE_LEEWAY: 0x10,
    NOTE_CRITICAL: 0x20,
    NOTE_BACKGROUND: 0x40,
    NOTE_MACH_CONTINUOUS_TIME: 0x80,
    NOTE_MACHTIME: 0x100,
    // EVFILT_VNODE fflags
    NOTE_DELETE: 0x1,
    NOTE_WRITE: 0x2,
    NOTE_EXTEND: 0x4,
    NOTE_ATTRIB: 0x8,
    NOTE_LINK: 0x10,
    NOTE_RENAME: 0x20,
    NOTE_REVOKE: 0x40,
    NOTE_NONE: 0x80,
    NOTE_FUNLOCK: 0x100,
    // EVFILT_READ / EVFILT_WRITE fflags (NOTE_OOB is EVFILT_EXCEPT's)
    NOTE_LOWAT: 0x1,
    NOTE_OOB: 0x2,
  },
  timerMicrosecondsFlag: 0x2,
  noteExitStatus: 0x4000000,
} as const satisfies KqueueAbi;
