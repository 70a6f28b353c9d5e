/**
 * `UnixListener`: a listening Unix-domain socket (stream or seqpacket) that accepts connections.
 *
 * @module
 */
import { chmodSync } from "node:fs";
import { errnoNumber, errno as readErrno } from "../../ffi/index.ts";
import { SystemError, invalidType } from "../core/errors.ts";
import { closeDescriptor, duplicateDescriptor, setCloseOnExec, setNonblocking } from "../core/fd.ts";
import { FdResource } from "../core/resource.ts";
import { retryInterrupted } from "../core/timeout.ts";
import { validateBoolean, validateFd, validateInteger, validateOptions } from "../core/validate.ts";
import { decodeAddress, encodeAddress, type SocketPath } from "./address.ts";
import { BoundPath } from "./bound-path.ts";
import { inspectSocket } from "./inspect.ts";
import { checkTypeSupported, openSocket, prepareDescriptor, setNoSigpipe, socketKernel, validateChoice } from "./kernel.ts";
import { wrapSocket, type UnixSocket } from "./unix-socket.ts";

const EAGAIN = errnoNumber("EAGAIN");
const EWOULDBLOCK = errnoNumber("EWOULDBLOCK");

/** Options of {@link UnixListener.bind}. */
export interface UnixListenOptions {
  /** `"stream"` (default) or `"seqpacket"`. Datagram sockets are bound with `UnixSocket.bind`. */
  readonly type?: "stream" | "seqpacket";
  /** How many connections may wait to be accepted, 0 to 2^31 - 1; default SOMAXCONN. The kernel caps it. */
  readonly backlog?: number;
  /** Create the listener nonblocking: `accept` returns `null` when nobody is waiting. Default false. */
  readonly nonblocking?: boolean;
  /**
   * The socket file's permissions (0 to 0o7777), set with chmod(2) between bind(2) and listen(2),
   * so they hold before anyone can connect and the umask cannot widen or narrow them. Connecting
   * needs write permission on the file. Default: what bind gives, `0o777 & ~umask`. Ignored for an
   * abstract name, which has no file.
   */
  readonly mode?: number;
}

/** Options of {@link UnixListener.fromFd}. */
export interface UnixListenerFromFdOptions {
  /**
   * Put the listener in this mode (fcntl O_NONBLOCK). Default: keep the mode the descriptor has,
   * which for an inherited one is whatever the process that made it chose.
   */
  readonly nonblocking?: boolean;
}

/** Options of {@link UnixListener.accept}. */
export interface UnixAcceptOptions {
  /** Make the accepted socket nonblocking. Default false, whatever the listener's mode. */
  readonly nonblocking?: boolean;
}

/**
 * A listening Unix-domain socket. Accepted connections are {@link UnixSocket}s.
 *
 * The listener owns the socket file it created: `close()` removes it, but only if the path still
 * names that same file (compared by device and inode). An abstract name (Linux, leading `"\0"`)
 * has no file. A listener garbage-collected unclosed has its descriptor closed by a finalizer
 * (with a warning), but its socket file stays: close listeners explicitly.
 *
 * @example
 * ```ts
 * import { UnixListener, UnixSocket } from "bunix";
 * using server = UnixListener.bind("/tmp/demo.sock");
 * using client = UnixSocket.connect("/tmp/demo.sock");
 * using conn = server.accept()!;
 * client.send("hello");
 * console.assert(conn.recv(16)!.bytes === 5);
 * ```
 */
export class UnixListener extends FdResource {
  readonly #path: string;
  readonly #type: "stream" | "seqpacket";
  #nonblocking: boolean;
  #bound: BoundPath | null;

  private constructor(fd: number, path: string, type: "stream" | "seqpacket", nonblocking: boolean, bound: BoundPath | null) {
    super(fd, "UnixListener");
    this.#path = path;
    this.#type = type;
    this.#nonblocking = nonblocking;
    this.#bound = bound;
  }

  /**
   * socket(2) + bind(2) + listen(2) at `path`. A path starting with `"\0"` is a Linux abstract
   * name. An existing file at `path` (a stale socket file included) is never removed: bind fails
   * with EADDRINUSE, and removing a stale file is the caller's decision.
   *
   * @param path - a string (UTF-8) or the name's exact bytes, at most 108 bytes on Linux (filling
   *   sun_path, no NUL), 103 on BSD and macOS.
   * @throws SystemError EADDRINUSE (something exists at `path`), ENOENT (no such directory),
   *   EACCES, EROFS. RangeError when `path` is empty or too long, or `backlog` out of range;
   *   TypeError for other bad arguments. ENOTSUP for an abstract name off Linux, or seqpacket
   *   where the platform lacks it.
   * @example
   * ```ts
   * import { UnixListener } from "bunix";
   * using server = UnixListener.bind("\0my-service", { type: "seqpacket", nonblocking: true });
   * const conn = server.accept();   // null: nobody waiting yet
   * ```
   */
  // `override`: a static `bind` shadows Function.prototype.bind on the class, by design of the API.
  static override bind(path: SocketPath, options?: UnixListenOptions): UnixListener {
    const opts = validateOptions(options);
    const type = opts.type === undefined ? "stream" : validateChoice(opts.type, "options.type", ["stream", "seqpacket"]);
    const nonblocking = validateBoolean(opts.nonblocking, "options.nonblocking", false);
    const k = socketKernel();
    const backlog = opts.backlog === undefined ? k.somaxconn : validateInteger(opts.backlog, "options.backlog", 0, 0x7fffffff);
    const mode = opts.mode === undefined ? undefined : validateInteger(opts.mode, "options.mode", 0, 0o7777);
    const address = encodeAddress(path, "path", "UnixListener.bind");
    checkTypeSupported(type, "UnixListener.bind");
    const fd = openSocket(type, nonblocking);
    if (k.symbols.bind(fd, address.bytes, address.length) !== 0) {
      const error = SystemError.fromErrno(readErrno(), "bind", address.display);
      closeDescriptor(fd);
      throw error;
    }
    const bound = address.abstract ? null : BoundPath.record(address.given);
    if (mode !== undefined && !address.abstract) {
      try {
        chmodSync(typeof address.given === "string" ? address.given : Buffer.from(address.given), mode);
      } catch (error) {
        bound?.remove();
        closeDescriptor(fd);
        throw error;
      }
    }
    if (k.symbols.listen(fd, backlog) !== 0) {
      const error = SystemError.fromErrno(readErrno(), "listen", address.display);
      bound?.remove();
      closeDescriptor(fd);
      throw error;
    }
    return new UnixListener(fd, address.path, type, nonblocking, bound);
  }

  /**
   * Takes ownership of `fd`, a listening Unix-domain socket made elsewhere: inherited from a
   * supervisor, activated by systemd (see {@link listenFds}), or received with `recv` from the
   * process this one replaces. Makes it close-on-exec; its type and path are read from the socket.
   *
   * Such a listener did not create its socket file and never removes it, on `close()` or
   * otherwise: the file stays for whoever made it (and for the next process to take the socket).
   *
   * Everything is checked before anything is changed: on any error the descriptor is left open,
   * untouched, and still yours.
   *
   * @throws SystemError EBADF (not open), ENOTSOCK (not a socket), EINVAL (a socket of another
   *   family, or one that is not listening: connected and bound sockets belong to
   *   `UnixSocket.fromFd`). RangeError / TypeError for a bad `fd` or options.
   * @example
   * ```ts
   * import { UnixListener, childChannel } from "bunix";
   * // The old server sent its listener over the channel; this process serves on it from now on.
   * const { fds } = childChannel().recv(16, { maxFds: 1 })!;
   * using server = UnixListener.fromFd(fds[0]!, { nonblocking: true });
   * ```
   */
  static fromFd(fd: number, options?: UnixListenerFromFdOptions): UnixListener {
    validateFd(fd);
    const opts = validateOptions(options);
    const wanted = opts.nonblocking === undefined ? undefined : validateBoolean(opts.nonblocking, "options.nonblocking", false);
    const found = inspectSocket(fd, "UnixListener.fromFd", true);
    const path = decodeAddress(found.address, found.addressLength) ?? "";
    setCloseOnExec(fd);
    setNoSigpipe(fd);
    if (wanted !== undefined && wanted !== found.nonblocking) setNonblocking(fd, wanted);
    // A listening socket is stream or seqpacket: listen(2) refuses datagram sockets.
    return new UnixListener(fd, path, found.type as "stream" | "seqpacket", wanted ?? found.nonblocking, null);
  }

  /**
   * The path (or `"\0"`-prefixed abstract name) the listener is bound to; a name given as bytes
   * that are not UTF-8 reads with U+FFFD in their place. For a listener from
   * {@link UnixListener.fromFd}, the path the kernel reports for the socket (`""` when unnamed).
   */
  get path(): string {
    return this.#path;
  }

  /** `"stream"` or `"seqpacket"`. */
  get type(): "stream" | "seqpacket" {
    return this.#type;
  }

  /** Whether the listener is in nonblocking mode. */
  get nonblocking(): boolean {
    return this.#nonblocking;
  }

  /**
   * accept4(2) with SOCK_CLOEXEC (Linux, FreeBSD) or accept(2) + fcntl (macOS): the next waiting
   * connection, as a close-on-exec {@link UnixSocket}; `null` when the listener is nonblocking and
   * nobody is waiting. A blocking listener waits, blocking the JS thread.
   *
   * The accepted socket is blocking unless `options.nonblocking` says otherwise: on macOS and
   * FreeBSD accept(2) would copy the listener's mode, so it is set explicitly.
   *
   * @throws SystemError EMFILE / ENFILE (out of descriptors; the connection stays queued),
   *   ECONNABORTED, EBADF when closed. TypeError for bad options.
   * @example
   * ```ts
   * import { UnixListener } from "bunix";
   * using server = UnixListener.bind("/tmp/demo.sock", { nonblocking: true });
   * for (let conn = server.accept(); conn !== null; conn = server.accept()) {
   *   conn.send("welcome");
   *   conn.close();
   * }
   * ```
   */
  accept(options?: UnixAcceptOptions): UnixSocket | null {
    const nonblocking = validateBoolean(validateOptions(options).nonblocking, "options.nonblocking", false);
    const fd = this.openFd("accept");
    const k = socketKernel();
    const accept4 = k.accept4;
    let syscall = "accept";
    let call: () => number;
    if (accept4 !== undefined) {
      syscall = "accept4";
      const flags = k.sockCloexec | (nonblocking ? k.sockNonblock : 0);
      call = () => accept4(fd, null, null, flags);
    } else {
      call = () => k.symbols.accept(fd, null, null);
    }
    const { result, errno } = retryInterrupted(call);
    if (result < 0) {
      if (errno === EAGAIN || errno === EWOULDBLOCK) return null;
      throw SystemError.fromErrno(errno, syscall);
    }
    if (accept4 === undefined) {
      prepareDescriptor(result, false, false);
      // BSD accept(2) copies the listener's O_NONBLOCK to the new socket.
      try {
        setNonblocking(result, nonblocking);
      } catch (error) {
        closeDescriptor(result);
        throw error;
      }
    } else {
      prepareDescriptor(result, nonblocking, true);
    }
    return wrapSocket(result, this.#type, nonblocking);
  }

  /**
   * fcntl(F_SETFL, O_NONBLOCK): turns nonblocking mode on or off for `accept`.
   * @throws SystemError EBADF when closed; TypeError when `on` is not a boolean.
   * @example
   * ```ts
   * server.setNonblocking(true);
   * const conn = server.accept();   // null when nobody is waiting
   * ```
   */
  setNonblocking(on: boolean): void {
    if (typeof on !== "boolean") throw invalidType("on", "of type boolean", on);
    setNonblocking(this.openFd("setNonblocking"), on);
    this.#nonblocking = on;
  }

  /**
   * fcntl(F_DUPFD_CLOEXEC) + close(2): hands the listening socket over as a plain descriptor that
   * you now own, and closes this object **without** removing its socket file, which from now on
   * belongs to whoever serves on the socket. The number may differ from `fd`.
   *
   * For a handover: send `fd` to a successor (`send(…, { fds })`, or a child's stdio), then close
   * what `detach` returns; the socket and its file stay for the successor.
   *
   * @throws SystemError EMFILE, EBADF when closed.
   * @example
   * ```ts
   * import { closeSync } from "node:fs";
   * successor.channel.send("listener", { fds: [listener.fd] });
   * closeSync(listener.detach());   // the successor serves on; the socket file stays
   * ```
   */
  detach(): number {
    const copy = duplicateDescriptor(this.openFd("detach"));
    this.#bound = null;
    this.close();
    return copy;
  }

  /** Removes the socket file, if the path still names the file this listener created. */
  protected override releaseResources(): void {
    this.#bound?.remove();
    this.#bound = null;
  }
}
