/**
 * What macOS and FreeBSD share from their common 4.4BSD past: the socket structs (`msghdr`,
 * `cmsghdr`, `sockaddr_un` with its length byte), the start of `struct xucred`, the `open`/`fcntl`
 * and socket constants both number alike, and the few kqueue constants the two kernels share
 * beyond `ffi/kqueue-common.ts` (libkqueue lacks them). `ffi/darwin-common.ts` and
 * `ffi/freebsd-x64.ts` spread these and add what is their own.
 *
 * Sources: docs/design/platform-abi.md §4 and §5 ([xnu] and [fbsd] headers, cross-checked with [xsys] and
 * [rlibc]).
 *
 * @module
 */
import type { AbiTables, KqueueAbi, StructLayout } from "./shape.ts";

/** The socket struct layouts of macOS and FreeBSD (both LP64 here). */
export const bsdStructs = {
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
  // cmsg_len is a socklen_t: the header is 12 bytes. Where the data starts depends on the
  // platform's CMSG_ALIGN (`cmsgAlign`): +12 on macOS (4), +16 on FreeBSD (8).
  cmsghdr: {
    size: 12,
    fields: { cmsg_len: { offset: 0, size: 4 }, cmsg_level: { offset: 4, size: 4 }, cmsg_type: { offset: 8, size: 4 } },
  },
  // BSD addresses start with a length byte, so sun_family is one byte at 1 and the path is 104 bytes.
  sockaddr_un: {
    size: 106,
    fields: { sun_len: { offset: 0, size: 1 }, sun_family: { offset: 1, size: 1 }, sun_path: { offset: 2, size: 104 } },
  },
} as const satisfies Partial<AbiTables["structs"]>;

/**
 * The fields of `struct xucred` (LOCAL_PEERCRED's result) both have: its first 76 bytes, which are
 * the whole struct on macOS. cr_ngroups is a short, then 2 bytes of padding before the 16 gid_t
 * of cr_groups.
 */
export const bsdXucredFields = {
  cr_version: { offset: 0, size: 4 },
  cr_uid: { offset: 4, size: 4 },
  cr_ngroups: { offset: 8, size: 2 },
  cr_groups: { offset: 12, size: 64 },
} as const satisfies StructLayout<"cr_version" | "cr_uid" | "cr_ngroups" | "cr_groups">["fields"];

/**
 * Constants with the same value on macOS and FreeBSD. Each platform adds the ones it numbers its
 * own way (`F_DUPFD_CLOEXEC`, `O_NOCTTY`, `O_DIRECTORY`, `O_CLOEXEC`, `CLOCK_MONOTONIC`,
 * `SO_NOSIGPIPE`, `MSG_NOSIGNAL`) and the ones only it has.
 */
export const bsdConstants = {
  // fcntl(2), open(2)
  F_DUPFD: 0,
  F_GETFD: 1,
  F_SETFD: 2,
  F_GETFL: 3,
  F_SETFL: 4,
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
  // clock_gettime(2). CLOCK_MONOTONIC differs (6 on macOS, 4 on FreeBSD), so each platform adds it.
  CLOCK_REALTIME: 0,
  // socket(2), unix(4)
  AF_UNIX: 1,
  AF_INET: 2,
  SOCK_STREAM: 1,
  SOCK_DGRAM: 2,
  SOCK_SEQPACKET: 5,
  SOL_SOCKET: 0xffff,
  // LOCAL_* options must be read at level SOL_LOCAL, not SOL_SOCKET: there, option 1 is SO_DEBUG.
  SOL_LOCAL: 0,
  SCM_RIGHTS: 1,
  SO_SNDBUF: 0x1001,
  SO_RCVBUF: 0x1002,
  SO_ERROR: 0x1007,
  SO_TYPE: 0x1008,
  SO_ACCEPTCONN: 0x0002,
  LOCAL_PEERCRED: 1,
  SOMAXCONN: 128,
  // send(2), recv(2), shutdown(2). Every MSG_* flag but MSG_PEEK is numbered differently from Linux.
  MSG_PEEK: 0x2,
  MSG_EOR: 0x8,
  MSG_TRUNC: 0x10,
  MSG_CTRUNC: 0x20,
  MSG_WAITALL: 0x40,
  MSG_DONTWAIT: 0x80,
  SHUT_RD: 0,
  SHUT_WR: 1,
  SHUT_RDWR: 2,
  LOCK_EX: 2,
  LOCK_NB: 4,
} as const satisfies AbiTables["constants"];

/**
 * Kqueue constants the macOS and FreeBSD kernels share beyond `kqueueConstants`. libkqueue's
 * header hides EVFILT_FS (it fails with ENOSYS) and #undefs NOTE_REVOKE on Linux.
 */
export const bsdKqueueConstants = {
  EVFILT_FS: -9,
  // EVFILT_VNODE fflag
  NOTE_REVOKE: 0x40,
} as const satisfies KqueueAbi["constants"];
