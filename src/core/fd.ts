/**
 * Operations on raw descriptors shared by every resource: close, close-on-exec and nonblocking
 * flags. Every descriptor the library creates is close-on-exec, so a child started with
 * `Bun.spawn` never inherits one by accident.
 *
 * @internal
 * @module
 */
import { constant, errno, errnoNumber, fcntl, loadCore } from "../../ffi/index.ts";
import { SystemError, lastError, unsupportedError } from "./errors.ts";

const EINTR = errnoNumber("EINTR");

/** The core libc calls, or ENOTSUP on a platform bunix has no tables for. */
export function core() {
  const symbols = loadCore();
  if (symbols === undefined) throw unsupportedError("bunix");
  return symbols;
}

/**
 * Closes a descriptor once. EINTR is not retried: on Linux the descriptor is released even then,
 * and a retry could close a number someone else has just been given.
 * @throws SystemError for any other failure (EBADF: it was closed behind the library's back).
 */
export function closeDescriptor(fd: number, syscall = "close"): void {
  if (core().close(fd) === 0) return;
  const code = errno();
  if (code !== EINTR) throw SystemError.fromErrno(code, syscall);
}

/** Whether `fd` has FD_CLOEXEC set. */
export function isCloseOnExec(fd: number): boolean {
  const flags = fcntl(fd, constant("F_GETFD"), 0);
  if (flags < 0) throw lastError("fcntl");
  return (flags & constant("FD_CLOEXEC")) !== 0;
}

/** Sets FD_CLOEXEC on `fd`, for descriptors the platform cannot create close-on-exec. */
export function setCloseOnExec(fd: number): void {
  const flags = fcntl(fd, constant("F_GETFD"), 0);
  if (flags < 0) throw lastError("fcntl");
  if (fcntl(fd, constant("F_SETFD"), flags | constant("FD_CLOEXEC")) < 0) throw lastError("fcntl");
}

/** Whether `fd` has O_NONBLOCK set. */
export function isNonblocking(fd: number): boolean {
  const flags = fcntl(fd, constant("F_GETFL"), 0);
  if (flags < 0) throw lastError("fcntl");
  return (flags & constant("O_NONBLOCK")) !== 0;
}

/** Turns O_NONBLOCK on or off for `fd`. */
export function setNonblocking(fd: number, on: boolean): void {
  const flags = fcntl(fd, constant("F_GETFL"), 0);
  if (flags < 0) throw lastError("fcntl");
  const next = on ? flags | constant("O_NONBLOCK") : flags & ~constant("O_NONBLOCK");
  if (next !== flags && fcntl(fd, constant("F_SETFL"), next) < 0) throw lastError("fcntl");
}

/** A close-on-exec duplicate of `fd` (F_DUPFD_CLOEXEC). */
export function duplicateDescriptor(fd: number): number {
  const copy = fcntl(fd, constant("F_DUPFD_CLOEXEC"), 0);
  if (copy < 0) throw lastError("fcntl");
  return copy;
}
