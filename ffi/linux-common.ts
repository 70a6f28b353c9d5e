/**
 * What linux-x64 and linux-arm64 share under glibc: most layouts and constants are the
 * asm-generic ones on both. The per-arch modules add what differs (the `epoll_event` layout,
 * a few `O_*` flags, the numbers of the older system calls, the musl soname). The layouts every
 * LP64 platform has come from `ffi/lp64-common.ts`.
 *
 * Sources: docs/design/platform-abi.md §4 and §5 ([L64] compiled and run here; [LA64] cross-compiled), checked
 * again by `test/ffi/layout.test.ts` against the C headers on every run.
 *
 * @module
 */
import { lp64MqAttr, lp64Structs } from "./lp64-common.ts";
import type { AbiTables } from "./shape.ts";

/** Struct layouts identical on x86-64 and arm64 glibc (all LP64). */
export const linuxStructs = {
  ...lp64Structs,
  msghdr: {
    size: 56,
    fields: {
      msg_name: { offset: 0, size: 8 },
      msg_namelen: { offset: 8, size: 4 },
      msg_iov: { offset: 16, size: 8 },
      msg_iovlen: { offset: 24, size: 8 },
      msg_control: { offset: 32, size: 8 },
      msg_controllen: { offset: 40, size: 8 },
      msg_flags: { offset: 48, size: 4 },
    },
  },
  cmsghdr: {
    size: 16,
    fields: { cmsg_len: { offset: 0, size: 8 }, cmsg_level: { offset: 8, size: 4 }, cmsg_type: { offset: 12, size: 4 } },
  },
  sockaddr_un: { size: 110, fields: { sun_family: { offset: 0, size: 2 }, sun_path: { offset: 2, size: 108 } } },
  mq_attr: lp64MqAttr,
  ucred: { size: 12, fields: { pid: { offset: 0, size: 4 }, uid: { offset: 4, size: 4 }, gid: { offset: 8, size: 4 } } },
} as const satisfies Partial<AbiTables["structs"]>;

/** Constants with the same value on x86-64 and arm64 glibc. */
export const linuxConstants = {
  // fcntl(2), open(2)
  F_DUPFD: 0,
  F_GETFD: 1,
  F_SETFD: 2,
  F_GETFL: 3,
  F_SETFL: 4,
  F_DUPFD_CLOEXEC: 0x406,
  FD_CLOEXEC: 1,
  O_RDONLY: 0,
  O_WRONLY: 1,
  O_RDWR: 2,
  O_ACCMODE: 3,
  O_CREAT: 0x40,
  O_EXCL: 0x80,
  O_NOCTTY: 0x100,
  O_TRUNC: 0x200,
  O_APPEND: 0x400,
  O_NONBLOCK: 0x800,
  O_CLOEXEC: 0x80000,
  // epoll(7)
  EPOLL_CLOEXEC: 0x80000,
  EPOLL_CTL_ADD: 1,
  EPOLL_CTL_DEL: 2,
  EPOLL_CTL_MOD: 3,
  EPOLLIN: 0x1,
  EPOLLPRI: 0x2,
  EPOLLOUT: 0x4,
  EPOLLERR: 0x8,
  EPOLLHUP: 0x10,
  EPOLLRDNORM: 0x40,
  EPOLLRDBAND: 0x80,
  EPOLLWRNORM: 0x100,
  EPOLLWRBAND: 0x200,
  EPOLLMSG: 0x400,
  EPOLLRDHUP: 0x2000,
  EPOLLEXCLUSIVE: 0x10000000,
  EPOLLWAKEUP: 0x20000000,
  EPOLLONESHOT: 0x40000000,
  EPOLLET: 0x80000000,
  // eventfd(2), timerfd_create(2), pidfd_open(2)
  EFD_SEMAPHORE: 1,
  EFD_NONBLOCK: 0x800,
  EFD_CLOEXEC: 0x80000,
  TFD_NONBLOCK: 0x800,
  TFD_CLOEXEC: 0x80000,
  TFD_TIMER_ABSTIME: 1,
  TFD_TIMER_CANCEL_ON_SET: 2,
  PIDFD_NONBLOCK: 0x800,
  // waitid(2): P_PID is an idtype_t enumerator, the others are macros.
  P_PID: 1,
  WNOHANG: 1,
  WEXITED: 4,
  WNOWAIT: 0x1000000,
  // clock_gettime(2)
  CLOCK_REALTIME: 0,
  CLOCK_MONOTONIC: 1,
  CLOCK_BOOTTIME: 7,
  // socket(7), unix(7)
  AF_UNIX: 1,
  AF_INET: 2,
  SOCK_STREAM: 1,
  SOCK_DGRAM: 2,
  SOCK_SEQPACKET: 5,
  SOCK_NONBLOCK: 0x800,
  SOCK_CLOEXEC: 0x80000,
  SOL_SOCKET: 1,
  SCM_RIGHTS: 1,
  SCM_CREDENTIALS: 2,
  SO_TYPE: 3,
  SO_ERROR: 4,
  SO_SNDBUF: 7,
  SO_RCVBUF: 8,
  SO_PASSCRED: 0x10,
  SO_PEERCRED: 0x11,
  SO_ACCEPTCONN: 30,
  SOMAXCONN: 4096,
  MSG_PEEK: 0x2,
  MSG_CTRUNC: 0x8,
  MSG_TRUNC: 0x20,
  MSG_DONTWAIT: 0x40,
  MSG_EOR: 0x80,
  MSG_WAITALL: 0x100,
  MSG_NOSIGNAL: 0x4000,
  MSG_CMSG_CLOEXEC: 0x40000000,
  SHUT_RD: 0,
  SHUT_WR: 1,
  SHUT_RDWR: 2,
  LOCK_EX: 2,
  LOCK_NB: 4,
  // mq_overview(7)
  MQ_PRIO_MAX: 32768,
  // System calls whose numbers every architecture shares (>= 424).
  SYS_pidfd_send_signal: 424,
  SYS_pidfd_open: 434,
  SYS_pidfd_getfd: 438,
  SYS_epoll_pwait2: 441,
} as const;

/** What every glibc Linux ABI has. */
export const linuxFeatures = {
  epoll: true,
  kqueue: false,
  eventfd: true,
  timerfd: true,
  pidfd: true,
  mqueue: true,
  seqpacket: true,
  abstractSockets: true,
  socketTypeFlags: true,
  msgCmsgCloexec: true,
} as const satisfies AbiTables["features"];

/**
 * The fields of the two glibc ABIs that do not depend on the CPU. Each per-arch module spreads
 * this and adds its id, how it was verified, its sonames, `epoll_event` and constants.
 */
export const linuxCommon = {
  os: "linux",
  errnoFunction: "__errno_location",
  // SysV x86-64 and AAPCS64 both pass variadic arguments like named ones.
  variadicArguments: "registers",
  mqdType: "fd",
  mqNameMax: 255,
  features: linuxFeatures,
  // CMSG_ALIGN rounds to sizeof(size_t).
  cmsgAlign: 8,
} as const satisfies Partial<AbiTables>;
