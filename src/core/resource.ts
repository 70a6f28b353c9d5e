/**
 * The base of everything that owns a file descriptor.
 *
 * `close()` and `using` are the way to release one. A FinalizationRegistry is the safety net: if
 * an object is garbage-collected unclosed, its descriptor is closed and a warning is logged, once.
 * The registry lives in this module, which has no top-level await: a registry held only by a
 * module-level constant of a module with top-level await is collected together with its
 * registrations, and its callbacks never run (docs/design/bun-ffi.md §6, oven-sh/bun PR #35213).
 *
 * @module
 */
import { closedError } from "./errors.ts";
import { closeDescriptor } from "./fd.ts";
import { log } from "./log.ts";

/** What the finalizer needs to close a leaked descriptor; it must not reach the object itself. */
interface LeakRecord {
  readonly fd: number;
  readonly kind: string;
}

const leakRegistry = new FinalizationRegistry<LeakRecord>((record) => {
  try {
    closeDescriptor(record.fd);
  } catch {
    // Already gone: nothing more the safety net can do.
  }
  log("warn", `a ${record.kind} (fd ${record.fd}) was garbage-collected without close(); its descriptor was closed`, {
    fd: record.fd,
    kind: record.kind,
  });
});

/**
 * A resource that owns one file descriptor: `fd`, `closed`, an idempotent `close()`, and
 * `[Symbol.dispose]` for `using`.
 *
 * After `close()`, `fd` reads -1 (as Node's `FileHandle.fd` does), and every other method throws a
 * `SystemError` with code `EBADF` saying the object is closed. A second `close()` does nothing, so
 * it can never close a descriptor number the kernel has since handed to someone else.
 */
export abstract class FdResource implements Disposable {
  #fd: number;
  readonly #kind: string;

  /**
   * Takes ownership of `fd`.
   * @param fd - an open descriptor, created close-on-exec.
   * @param kind - the class name, for errors and the leak warning.
   */
  protected constructor(fd: number, kind: string) {
    this.#fd = fd;
    this.#kind = kind;
    leakRegistry.register(this, { fd, kind }, this);
  }

  /** The descriptor, or -1 once closed. */
  get fd(): number {
    return this.#fd;
  }

  /** Whether `close()` has been called. */
  get closed(): boolean {
    return this.#fd < 0;
  }

  /**
   * Closes the descriptor. Idempotent: later calls do nothing.
   * @throws SystemError when close(2) fails for another reason than EINTR (EBADF: the descriptor
   *   was closed behind the object's back). The object counts as closed all the same.
   */
  close(): void {
    const fd = this.#fd;
    if (fd < 0) return;
    this.#fd = -1;
    leakRegistry.unregister(this);
    try {
      this.releaseResources();
    } finally {
      closeDescriptor(fd);
    }
  }

  /** Closes the descriptor, so that `using` works. */
  [Symbol.dispose](): void {
    this.close();
  }

  /**
   * The descriptor, for a method about to use it.
   * @throws SystemError EBADF naming the object and `method` when it is closed.
   */
  protected openFd(method: string): number {
    const fd = this.#fd;
    if (fd < 0) throw closedError(this.#kind, method);
    return fd;
  }

  /** Frees what the subclass holds besides the descriptor; runs once, just before it is closed. */
  protected releaseResources(): void {}
}
