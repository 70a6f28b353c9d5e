/**
 * bunix: the *nix event and IPC layer for Bun. Typed classes over epoll, kqueue, eventfd, timerfd,
 * pidfd, POSIX message queues and Unix-domain sockets, loaded from libc with `bun:ffi`.
 *
 * @module bunix
 */
export { SystemError } from "./errors.ts";
export { setLogger, type Logger, type LogLevel } from "./log.ts";
export { platform, type PlatformInfo, type PlatformSupport } from "./platform.ts";
