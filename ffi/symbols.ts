/**
 * The bun:ffi symbol tables, grouped by the facility that needs them.
 *
 * Each group is `dlopen`ed on its own, the first time it is used, because `dlopen` fails when any
 * listed symbol is missing: a libc without `pidfd_open` must still give us `epoll_wait`. The tables
 * are literal constants so that `dlopen` infers every call's signature; nothing casts them.
 *
 * Type choices (docs/design/bun-ffi.md §1, §2): `i32` for `int`, `i64_fast` for `ssize_t` so results come back
 * as plain numbers, `u64` for `size_t` arguments (plain numbers are accepted), `ptr` for buffers
 * (callers pass the typed array itself, never a cached `ptr()`: small typed arrays move).
 * `i64_fast` is spelled `FFIType.i64_fast`: the string alias is missing from bun-types 1.4.4.
 *
 * @module
 */
import { FFIType } from "bun:ffi";


/** Descriptors and plain I/O, on every platform. */
export const coreSymbols = {
  close: { args: ["i32"], returns: "i32" },
  read: { args: ["i32", "ptr", "u64"], returns: FFIType.i64_fast },
  write: { args: ["i32", "ptr", "u64"], returns: FFIType.i64_fast },
  getpid: { args: [], returns: "i32" },
} as const;

/** flock(2): advisory whole-file locks, on every platform. */
export const flockSymbols = {
  flock: { args: ["i32", "i32"], returns: "i32" },
} as const;

/** `pipe2` exists on Linux and FreeBSD, not on macOS. */
export const pipe2Symbols = {
  pipe2: { args: ["ptr", "i32"], returns: "i32" },
} as const;

/** The errno accessor of glibc and musl. */
export const errnoLocationSymbols = {
  __errno_location: { args: [], returns: "ptr" },
} as const;

/** The errno accessor of macOS and FreeBSD. */
export const errorSymbols = {
  __error: { args: [], returns: "ptr" },
} as const;

/**
 * `fcntl(fd, cmd, int)` where variadic arguments travel like named ones (SysV x86-64, AAPCS64).
 * The third argument is 64 bits wide so that one JS signature serves both bindings.
 */
export const fcntlRegisterSymbols = {
  fcntl: { args: ["i32", "i32", FFIType.i64_fast], returns: "i32" },
} as const;

/**
 * `fcntl` for Apple arm64, where every variadic argument goes on the stack (docs/design/platform-abi.md §6):
 * six 64-bit dummies fill x2 to x7, so the ninth argument lands in the first stack slot, where
 * libSystem's `va_arg` reads it.
 */
export const fcntlStackSymbols = {
  fcntl: {
    args: ["i32", "i32", FFIType.i64_fast, FFIType.i64_fast, FFIType.i64_fast, FFIType.i64_fast, FFIType.i64_fast, FFIType.i64_fast, FFIType.i64_fast],
    returns: "i32",
  },
} as const;

/** Sockets, on every platform. */
export const socketSymbols = {
  socket: { args: ["i32", "i32", "i32"], returns: "i32" },
  socketpair: { args: ["i32", "i32", "i32", "ptr"], returns: "i32" },
  bind: { args: ["i32", "ptr", "u32"], returns: "i32" },
  connect: { args: ["i32", "ptr", "u32"], returns: "i32" },
  listen: { args: ["i32", "i32"], returns: "i32" },
  accept: { args: ["i32", "ptr", "ptr"], returns: "i32" },
  sendmsg: { args: ["i32", "ptr", "i32"], returns: FFIType.i64_fast },
  recvmsg: { args: ["i32", "ptr", "i32"], returns: FFIType.i64_fast },
  send: { args: ["i32", "ptr", "u64", "i32"], returns: FFIType.i64_fast },
  recv: { args: ["i32", "ptr", "u64", "i32"], returns: FFIType.i64_fast },
  getsockopt: { args: ["i32", "i32", "i32", "ptr", "ptr"], returns: "i32" },
  setsockopt: { args: ["i32", "i32", "i32", "ptr", "u32"], returns: "i32" },
  getsockname: { args: ["i32", "ptr", "ptr"], returns: "i32" },
  shutdown: { args: ["i32", "i32"], returns: "i32" },
} as const;

/** `accept4` takes SOCK_NONBLOCK and SOCK_CLOEXEC (Linux, FreeBSD; not macOS). */
export const accept4Symbols = {
  accept4: { args: ["i32", "ptr", "ptr", "i32"], returns: "i32" },
} as const;

/** epoll(7), Linux. */
export const epollSymbols = {
  epoll_create1: { args: ["i32"], returns: "i32" },
  epoll_ctl: { args: ["i32", "i32", "i32", "ptr"], returns: "i32" },
  epoll_wait: { args: ["i32", "ptr", "i32", "i32"], returns: "i32" },
} as const;

/** eventfd(2): Linux, FreeBSD >= 13. */
export const eventfdSymbols = {
  eventfd: { args: ["u32", "i32"], returns: "i32" },
} as const;

/** timerfd_create(2): Linux, FreeBSD >= 14. */
export const timerfdSymbols = {
  timerfd_create: { args: ["i32", "i32"], returns: "i32" },
  timerfd_settime: { args: ["i32", "i32", "ptr", "ptr"], returns: "i32" },
  timerfd_gettime: { args: ["i32", "ptr"], returns: "i32" },
} as const;

/**
 * The raw system call entry of glibc, for pidfd on a glibc older than 2.36 and for the direct
 * epoll system call. `syscall` is variadic in C; on Linux x64 and arm64 variadic integers travel
 * in the same registers as named ones, so fixed-arity bindings are correct there.
 */
export const syscall2Symbols = {
  syscall: { args: [FFIType.i64_fast, FFIType.i64_fast, FFIType.i64_fast], returns: FFIType.i64_fast },
} as const;

/** `syscall(nr, a, b, c, d)`, four arguments after the number. */
export const syscall4Symbols = {
  syscall: { args: [FFIType.i64_fast, FFIType.i64_fast, FFIType.i64_fast, FFIType.i64_fast, FFIType.i64_fast], returns: FFIType.i64_fast },
} as const;

/**
 * `openpty(&controller, &device, name, termios, winsize)`: a pseudo-terminal pair. The name,
 * termios and winsize pointers may be null (and name should be: it has no length).
 */
export const ptySymbols = {
  openpty: { args: ["ptr", "ptr", "ptr", "ptr", "ptr"], returns: "i32" },
  // tcgetattr/tcsetattr(fd, TCSANOW, &termios) and cfmakeraw(&termios): raw mode, as a serial port.
  tcgetattr: { args: ["i32", "ptr"], returns: "i32" },
  tcsetattr: { args: ["i32", "i32", "ptr"], returns: "i32" },
  cfmakeraw: { args: ["ptr"], returns: "void" },
} as const;

/**
 * Room for any platform's `struct termios`, which the pty calls treat as opaque: 60 bytes on
 * glibc, 44 on FreeBSD, 72 on macOS.
 */
export const TERMIOS_ROOM = 128;

/** `TCSANOW`: apply terminal settings at once. 0 on every platform. */
export const TCSANOW = 0;

/** kqueue(2), from libc on macOS and FreeBSD or from libkqueue on Linux. */
export const kqueueSymbols = {
  kqueue: { args: [], returns: "i32" },
  kevent: { args: ["i32", "ptr", "i32", "ptr", "i32", "ptr"], returns: "i32" },
} as const;

/** pidfd_open(2) and pidfd_send_signal(2): glibc >= 2.36 wrappers (older glibc: `syscall`). */
export const pidfdSymbols = {
  pidfd_open: { args: ["i32", "u32"], returns: "i32" },
  pidfd_send_signal: { args: ["i32", "i32", "ptr", "u32"], returns: "i32" },
} as const;

/**
 * POSIX message queues where `mqd_t` is a descriptor (Linux). `mq_open` is variadic in C (mode and
 * attributes follow O_CREAT); bound fixed-arity, which is correct where variadic arguments travel
 * in registers, as on every platform that has these calls (macOS has no message queues).
 */
export const mqueueFdSymbols = {
  mq_open: { args: ["cstring", "i32", "u32", "ptr"], returns: "i32" },
  mq_close: { args: ["i32"], returns: "i32" },
  mq_unlink: { args: ["cstring"], returns: "i32" },
  mq_getattr: { args: ["i32", "ptr"], returns: "i32" },
  mq_setattr: { args: ["i32", "ptr", "ptr"], returns: "i32" },
  mq_timedsend: { args: ["i32", "ptr", "u64", "u32", "ptr"], returns: "i32" },
  mq_timedreceive: { args: ["i32", "ptr", "u64", "ptr", "ptr"], returns: FFIType.i64_fast },
} as const;

/**
 * POSIX message queues where `mqd_t` is a pointer (FreeBSD, in librt), with `mq_getfd_np` for the
 * descriptor kqueue can watch.
 */
export const mqueuePointerSymbols = {
  mq_open: { args: ["cstring", "i32", "u32", "ptr"], returns: "ptr" },
  mq_close: { args: ["ptr"], returns: "i32" },
  mq_unlink: { args: ["cstring"], returns: "i32" },
  mq_getattr: { args: ["ptr", "ptr"], returns: "i32" },
  mq_setattr: { args: ["ptr", "ptr", "ptr"], returns: "i32" },
  mq_timedsend: { args: ["ptr", "ptr", "u64", "u32", "ptr"], returns: "i32" },
  mq_timedreceive: { args: ["ptr", "ptr", "u64", "ptr", "ptr"], returns: FFIType.i64_fast },
  mq_getfd_np: { args: ["ptr"], returns: "i32" },
} as const;

/**
 * waitid(2), to ask whether a process is a child of this one without reaping it (Linux). `id_t`
 * is 32 bits; `infop` may be NULL on Linux when only the result matters.
 */
export const waitidSymbols = {
  waitid: { args: ["i32", "u32", "ptr", "i32"], returns: "i32" },
} as const;

/** clock_gettime(2), for absolute deadlines on a given clock. */
export const clockSymbols = {
  clock_gettime: { args: ["i32", "ptr"], returns: "i32" },
} as const;
