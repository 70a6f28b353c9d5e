/**
 * freebsd-x64 (amd64, FreeBSD 12 and later). Unverified: no layout check has run on FreeBSD yet.
 * FreeBSD has the BSD socket layouts of macOS but Linux's 8-byte control-message alignment, a
 * 64-byte `struct kevent`, and Linux-style eventfd (13.0) and timerfd (14.0).
 *
 * Sources: ABI.md sections 1 to 3 ([fbsd] headers from FreeBSD main, [xsys] freebsd_amd64,
 * [rlibc] freebsdlike).
 *
 * @module
 */
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
    timespec: { size: 16, fields: { tv_sec: { offset: 0, size: 8 }, tv_nsec: { offset: 8, size: 8 } } },
    // timerfd_settime takes the standard struct.
    itimerspec: { size: 32, fields: { it_interval: { offset: 0, size: 16 }, it_value: { offset: 16, size: 16 } } },
    iovec: { size: 16, fields: { iov_base: { offset: 0, size: 8 }, iov_len: { offset: 8, size: 8 } } },
    // As on macOS: msg_iovlen is an int and msg_controllen a socklen_t, so msg_flags is at 44.
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
    // A 12-byte header, but CMSG_ALIGN rounds to 8 (cmsgAlign below), so the data starts at +16.
    cmsghdr: {
      size: 12,
      fields: { cmsg_len: { offset: 0, size: 4 }, cmsg_level: { offset: 4, size: 4 }, cmsg_type: { offset: 8, size: 4 } },
    },
    // BSD addresses start with a length byte, so sun_family is one byte at 1 and the path is 104 bytes.
    sockaddr_un: {
      size: 106,
      fields: { sun_len: { offset: 0, size: 1 }, sun_family: { offset: 1, size: 1 }, sun_path: { offset: 2, size: 104 } },
    },
    mq_attr: {
      size: 64,
      fields: {
        mq_flags: { offset: 0, size: 8 },
        mq_maxmsg: { offset: 8, size: 8 },
        mq_msgsize: { offset: 16, size: 8 },
        mq_curmsgs: { offset: 24, size: 8 },
      },
    },
    // The first 76 bytes are macOS's xucred; FreeBSD adds a union holding cr_pid at 80 (filled
    // from FreeBSD 13).
    xucred: {
      size: 88,
      fields: {
        cr_version: { offset: 0, size: 4 },
        cr_uid: { offset: 4, size: 4 },
        cr_ngroups: { offset: 8, size: 2 },
        cr_groups: { offset: 12, size: 64 },
        cr_pid: { offset: 80, size: 4 },
      },
    },
  },
  // _ALIGN on x86 masks with sizeof(register_t) - 1.
  cmsgAlign: 8,
  constants: {
    // fcntl(2), open(2)
    F_DUPFD: 0,
    F_GETFD: 1,
    F_SETFD: 2,
    F_GETFL: 3,
    F_SETFL: 4,
    F_DUPFD_CLOEXEC: 17,
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
    CLOCK_REALTIME: 0,
    CLOCK_MONOTONIC: 4,
    CLOCK_BOOTTIME: 5,
    // socket(2), unix(4)
    AF_UNIX: 1,
    SOCK_STREAM: 1,
    SOCK_DGRAM: 2,
    SOCK_SEQPACKET: 5,
    SOCK_NONBLOCK: 0x20000000,
    SOCK_CLOEXEC: 0x10000000,
    SOL_SOCKET: 0xffff,
    // LOCAL_* options must be read at level SOL_LOCAL: at SOL_SOCKET, option 1 is SO_DEBUG.
    SOL_LOCAL: 0,
    SCM_RIGHTS: 1,
    // The sender sends an empty struct cmsgcred and the kernel fills it in.
    SCM_CREDS: 3,
    // What LOCAL_CREDS_PERSISTENT (13.0) attaches: a struct sockcred2, which carries the pid.
    SCM_CREDS2: 8,
    SO_NOSIGPIPE: 0x800,
    SO_SNDBUF: 0x1001,
    SO_RCVBUF: 0x1002,
    SO_ERROR: 0x1007,
    SO_TYPE: 0x1008,
    LOCAL_PEERCRED: 1,
    LOCAL_CREDS: 2,
    LOCAL_CREDS_PERSISTENT: 3,
    SOMAXCONN: 128,
    // send(2), recv(2), shutdown(2)
    MSG_PEEK: 0x2,
    MSG_EOR: 0x8,
    MSG_TRUNC: 0x10,
    MSG_CTRUNC: 0x20,
    MSG_WAITALL: 0x40,
    MSG_DONTWAIT: 0x80,
    MSG_NOSIGNAL: 0x20000,
    MSG_CMSG_CLOEXEC: 0x40000,
    SHUT_RD: 0,
    SHUT_WR: 1,
    SHUT_RDWR: 2,
  },
  kqueue: {
    flavour: "freebsd",
    // Since FreeBSD 12 data is an int64_t and ext[4] follows udata, so the stride is 64: dlsym
    // returns the default kevent@@FBSD_1.5, and a 32-byte stride misreads every other entry.
    // The 32-byte kevent@FBSD_1.0 stays only for old binaries.
    kevent: {
      size: 64,
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
      // Filters. -8 and -10 mean different things on macOS, and EVFILT_USER is -10 there.
      EVFILT_READ: -1,
      EVFILT_WRITE: -2,
      EVFILT_AIO: -3,
      EVFILT_VNODE: -4,
      EVFILT_PROC: -5,
      EVFILT_SIGNAL: -6,
      EVFILT_TIMER: -7,
      EVFILT_PROCDESC: -8,
      EVFILT_FS: -9,
      EVFILT_LIO: -10,
      EVFILT_USER: -11,
      EVFILT_SENDFILE: -12,
      EVFILT_EMPTY: -13,
      // kevent.flags
      EV_ADD: 0x1,
      EV_DELETE: 0x2,
      EV_ENABLE: 0x4,
      EV_DISABLE: 0x8,
      EV_ONESHOT: 0x10,
      EV_CLEAR: 0x20,
      EV_RECEIPT: 0x40,
      EV_DISPATCH: 0x80,
      EV_FORCEONESHOT: 0x100,
      EV_KEEPUDATA: 0x200,
      EV_SYSFLAGS: 0xf000,
      EV_DROP: 0x1000,
      EV_FLAG1: 0x2000,
      EV_FLAG2: 0x4000,
      EV_ERROR: 0x4000,
      EV_EOF: 0x8000,
      // EVFILT_PROC / EVFILT_PROCDESC fflags. NOTE_EXIT alone already puts the exit status in data.
      NOTE_EXIT: 0x80000000,
      NOTE_FORK: 0x40000000,
      NOTE_EXEC: 0x20000000,
      NOTE_PDATAMASK: 0xfffff,
      NOTE_PCTRLMASK: 0xf0000000,
      NOTE_TRACK: 0x1,
      NOTE_TRACKERR: 0x2,
      NOTE_CHILD: 0x4,
      // EVFILT_USER fflags (the same on macOS and libkqueue).
      NOTE_FFNOP: 0,
      NOTE_FFAND: 0x40000000,
      NOTE_FFOR: 0x80000000,
      NOTE_FFCOPY: 0xc0000000,
      NOTE_FFCTRLMASK: 0xc0000000,
      NOTE_FFLAGSMASK: 0xffffff,
      NOTE_TRIGGER: 0x1000000,
      // EVFILT_TIMER fflags. No unit bit means milliseconds. The unit bits collide with macOS's
      // (2 is ms here, µs there; 8 is ns here, absolute there); unknown bits fail with EINVAL.
      NOTE_SECONDS: 0x1,
      NOTE_MSECONDS: 0x2,
      NOTE_USECONDS: 0x4,
      NOTE_NSECONDS: 0x8,
      NOTE_ABSTIME: 0x10,
      // EVFILT_VNODE fflags
      NOTE_DELETE: 0x1,
      NOTE_WRITE: 0x2,
      NOTE_EXTEND: 0x4,
      NOTE_ATTRIB: 0x8,
      NOTE_LINK: 0x10,
      NOTE_RENAME: 0x20,
      NOTE_REVOKE: 0x40,
      NOTE_OPEN: 0x80,
      NOTE_CLOSE: 0x100,
      NOTE_CLOSE_WRITE: 0x200,
      NOTE_READ: 0x400,
      // EVFILT_READ / EVFILT_WRITE fflags
      NOTE_LOWAT: 0x1,
      NOTE_FILE_POLL: 0x2,
    },
    // NOTE_USECONDS: FreeBSD's 2 would mean milliseconds.
    timerMicrosecondsFlag: 0x4,
    // No NOTE_EXITSTATUS here: NOTE_EXIT reports the status by itself.
    noteExitStatus: 0,
  },
} as const satisfies AbiTables;
