/**
 * A minimal concrete FdResource and a raw descriptor maker, for testing the foundation without
 * depending on any of the public classes.
 * @module
 */
import { constant, errno, loadEventfd } from "../../ffi/index.ts";
import { SystemError } from "../../src/core/errors.ts";
import { FdResource } from "../../src/core/resource.ts";

/** Opens a close-on-exec eventfd straight through FFI and returns its number. */
export function rawEventFd(): number {
  const fd = loadEventfd()!.eventfd(0, constant("EFD_CLOEXEC"));
  if (fd < 0) throw SystemError.fromErrno(errno(), "eventfd");
  return fd;
}

/** The simplest resource: owns one descriptor and has one method that needs it open. */
export class TestResource extends FdResource {
  constructor(fd = rawEventFd()) {
    super(fd, "TestResource");
  }

  /** Returns the descriptor, or throws EBADF when closed. */
  use(): number {
    return this.openFd("use");
  }
}
