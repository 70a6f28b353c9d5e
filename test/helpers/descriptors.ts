/**
 * Raw descriptors for tests, made straight through FFI so that a test of one class never depends
 * on another public class: pipes, socketpairs, eventfds, and byte I/O on them. A `Descriptors` set
 * closes whatever it made that the test did not close itself, so `using fds = new Descriptors()`
 * keeps every test inside the fd-leak guard.
 *
 * @module
 */
import { constant, errno, errnoNumber, fcntl, loadCore, loadEventfd, loadPipe2, loadSockets } from "../../ffi/index.ts";
import { SystemError } from "../../src/core/errors.ts";
import { closeDescriptor, duplicateDescriptor } from "../../src/core/fd.ts";

const EAGAIN = errnoNumber("EAGAIN");

function check(result: number, syscall: string): number {
  if (result < 0) throw SystemError.fromErrno(errno(), syscall);
  return result;
}

/** Whether `fd` is an open descriptor of this process. */
export function isOpen(fd: number): boolean {
  return fcntl(fd, constant("F_GETFD"), 0) >= 0;
}

/** Writes `count` bytes (`"x"`) to `fd`; returns how many were written, or -1 when it would block. */
export function writeBytes(fd: number, count = 1): number {
  const buffer = new Uint8Array(new ArrayBuffer(Math.max(count, 1))).fill(0x78);
  const written = Number(loadCore()!.write(fd, buffer, count));
  if (written < 0) {
    const code = errno();
    if (code === EAGAIN) return -1;
    throw SystemError.fromErrno(code, "write");
  }
  return written;
}

/** Reads up to `max` bytes from `fd`; returns how many, or -1 when it would block. */
export function readBytes(fd: number, max = 65536): number {
  const buffer = new Uint8Array(new ArrayBuffer(max));
  const read = Number(loadCore()!.read(fd, buffer, max));
  if (read < 0) {
    const code = errno();
    if (code === EAGAIN) return -1;
    throw SystemError.fromErrno(code, "read");
  }
  return read;
}

/** Adds `value` to an eventfd's counter (at most 2^64 - 2 in all, the largest count). */
export function writeEventFd(fd: number, value: number | bigint = 1): void {
  const buffer = new BigUint64Array(new ArrayBuffer(8));
  buffer[0] = BigInt(value);
  check(Number(loadCore()!.write(fd, buffer, 8)), "write");
}

/** Reads (and so resets) an eventfd's counter; 0 when it would block. */
export function readEventFd(fd: number): number {
  const buffer = new BigUint64Array(new ArrayBuffer(8));
  if (loadCore()!.read(fd, buffer, 8) < 0) {
    const code = errno();
    if (code === EAGAIN) return 0;
    throw SystemError.fromErrno(code, "read");
  }
  return Number(buffer[0]);
}


/** Options for the descriptors a {@link Descriptors} set makes. */
export interface MakeOptions {
  /** O_NONBLOCK / SOCK_NONBLOCK / EFD_NONBLOCK; default true, so a drained read never hangs a test. */
  readonly nonblocking?: boolean;
}

/**
 * A set of raw descriptors owned by one test. Everything it made and the test has not closed is
 * closed at dispose; {@link close} closes one early (and is safe to call again).
 */
export class Descriptors implements Disposable {
  readonly #open = new Set<number>();

  /** `pipe2(O_CLOEXEC)`: `{ read, write }`. */
  pipe(options: MakeOptions = {}): { read: number; write: number } {
    const pair = new Int32Array(new ArrayBuffer(8));
    const flags = constant("O_CLOEXEC") | (options.nonblocking === false ? 0 : constant("O_NONBLOCK"));
    check(loadPipe2()!.pipe2(pair, flags), "pipe2");
    return { read: this.#own(pair[0]!), write: this.#own(pair[1]!) };
  }

  /** `socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC)`: two connected ends. */
  socketPair(options: MakeOptions = {}): [number, number] {
    const pair = new Int32Array(new ArrayBuffer(8));
    const type = constant("SOCK_STREAM") | constant("SOCK_CLOEXEC") | (options.nonblocking === false ? 0 : constant("SOCK_NONBLOCK"));
    check(loadSockets()!.socketpair(constant("AF_UNIX"), type, 0, pair), "socketpair");
    return [this.#own(pair[0]!), this.#own(pair[1]!)];
  }

  /** `eventfd(initial, EFD_CLOEXEC)`. */
  eventFd(initial = 0, options: MakeOptions = {}): number {
    const flags = constant("EFD_CLOEXEC") | (options.nonblocking === false ? 0 : constant("EFD_NONBLOCK"));
    return this.#own(check(loadEventfd()!.eventfd(initial, flags), "eventfd"));
  }

  /** A close-on-exec duplicate of `fd` (F_DUPFD_CLOEXEC), owned by the set. */
  dup(fd: number): number {
    return this.#own(duplicateDescriptor(fd));
  }

  /**
   * Makes `fd` also refer to what `source` refers to, at exactly the number `target`, which must be
   * free (F_DUPFD_CLOEXEC returns the lowest free number >= target). Returns false when another
   * thread took the number first.
   */
  dupTo(source: number, target: number): boolean {
    const copy = check(fcntl(source, constant("F_DUPFD_CLOEXEC"), target), "fcntl");
    this.#own(copy);
    if (copy === target) return true;
    this.close(copy);
    return false;
  }

  /**
   * Makes a new descriptor with `make` (a method of this set) and gives it the number `target`,
   * which must be free: the kernel usually hands out the lowest free number anyway, and otherwise
   * it is moved there. Returns false when another thread took the number first.
   */
  reopenAt(target: number, make: () => number): boolean {
    const fd = make();
    if (fd === target) return true;
    const moved = this.dupTo(fd, target);
    this.close(fd);
    return moved;
  }

  /** Takes ownership of a descriptor made elsewhere (a regular file, say). */
  adopt(fd: number): number {
    return this.#own(fd);
  }

  /** Closes `fd` now, if the set still owns it. */
  close(fd: number): void {
    if (!this.#open.delete(fd)) return;
    closeDescriptor(fd);
  }

  /** Forgets `fd` without closing it (the test closes it some other way). */
  release(fd: number): void {
    this.#open.delete(fd);
  }

  /** Closes everything still open. */
  [Symbol.dispose](): void {
    for (const fd of this.#open) {
      try {
        closeDescriptor(fd);
      } catch {
        // Closed behind the set's back by the test: nothing to do.
      }
    }
    this.#open.clear();
  }

  #own(fd: number): number {
    this.#open.add(fd);
    return fd;
  }
}
