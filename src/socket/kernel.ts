/**
 * The socket calls and constants of the running platform, looked up once per thread, and the
 * one place that makes a new AF_UNIX descriptor the way every bunix socket must be: close-on-exec,
 * in the requested blocking mode, and unable to kill the process with SIGPIPE.
 *
 * Linux and FreeBSD do all of that in the `socket()` call itself (SOCK_CLOEXEC, SOCK_NONBLOCK)
 * and suppress SIGPIPE per send (MSG_NOSIGNAL). macOS has no type flags, so a new descriptor gets
 * fcntl calls right after it is made, and SO_NOSIGPIPE where the platform defines it.
 *
 * @internal
 * @module
 */
import { abi, constant, hostOs, loadAccept4, loadSockets, optionalConstant } from "../../ffi/index.ts";
import { SystemError, invalidType, invalidValue, lastError, unsupportedError } from "../core/errors.ts";
import { closeDescriptor, setCloseOnExec, setNonblocking } from "../core/fd.ts";

/** The three kinds of Unix-domain socket. */
export type SocketType = "stream" | "dgram" | "seqpacket";

type SocketSymbols = NonNullable<ReturnType<typeof loadSockets>>;

/** What every socket on this thread shares. */
export interface SocketKernel {
  readonly symbols: SocketSymbols;
  /** `accept4`, where the platform has it (not macOS). */
  readonly accept4: NonNullable<ReturnType<typeof loadAccept4>>["accept4"] | undefined;
  readonly afUnix: number;
  readonly types: Readonly<Record<SocketType, number>>;
  /** SOCK_CLOEXEC and SOCK_NONBLOCK, or 0 where socket() takes no type flags (macOS). */
  readonly sockCloexec: number;
  readonly sockNonblock: number;
  readonly solSocket: number;
  readonly soType: number;
  /** SO_ACCEPTCONN: whether a socket is listening. */
  readonly soAcceptconn: number;
  /** SO_NOSIGPIPE where the platform defines it (macOS, FreeBSD). */
  readonly soNoSigpipe: number | undefined;
  /** Flags every sendmsg carries: MSG_NOSIGNAL where defined. */
  readonly sendFlags: number;
  /** Flags every recvmsg carries: MSG_CMSG_CLOEXEC where defined. */
  readonly recvFlags: number;
  /** Whether received descriptors arrive close-on-exec by themselves. */
  readonly receivesCloexec: boolean;
  readonly msgTrunc: number;
  readonly msgCtrunc: number;
  readonly scmRights: number;
  readonly somaxconn: number;
  readonly shut: Readonly<Record<ShutdownHow, number>>;
  /** A 4-byte int for setsockopt/getsockopt, and its length cell. */
  readonly intCell: Int32Array;
  readonly lengthCell: Uint32Array;
}

/** Which half of a connection `shutdown` closes. */
export type ShutdownHow = "read" | "write" | "both";

let kernel: SocketKernel | undefined;

/**
 * The socket calls and constants of this platform.
 * @throws SystemError ENOTSUP on a platform bunix has no tables for.
 */
export function socketKernel(): SocketKernel {
  // Every send and receive asks for it: the loading stays out of this hot function's compiled code.
  return kernel ?? loadSocketKernel();
}

/** Loads the socket calls and reads the constants, on the first call of {@link socketKernel}. */
function loadSocketKernel(): SocketKernel {
  const symbols = loadSockets();
  if (symbols === undefined) throw unsupportedError("UnixSocket");
  const typeFlags = abi?.features.socketTypeFlags === true;
  const cloexecOnReceive = abi?.features.msgCmsgCloexec === true;
  kernel = {
    symbols,
    accept4: typeFlags ? loadAccept4()?.accept4 : undefined,
    afUnix: constant("AF_UNIX"),
    types: { stream: constant("SOCK_STREAM"), dgram: constant("SOCK_DGRAM"), seqpacket: constant("SOCK_SEQPACKET") },
    sockCloexec: typeFlags ? constant("SOCK_CLOEXEC") : 0,
    sockNonblock: typeFlags ? constant("SOCK_NONBLOCK") : 0,
    solSocket: constant("SOL_SOCKET"),
    soType: constant("SO_TYPE"),
    soAcceptconn: constant("SO_ACCEPTCONN"),
    soNoSigpipe: optionalConstant("SO_NOSIGPIPE"),
    sendFlags: optionalConstant("MSG_NOSIGNAL") ?? 0,
    recvFlags: cloexecOnReceive ? constant("MSG_CMSG_CLOEXEC") : 0,
    receivesCloexec: cloexecOnReceive,
    msgTrunc: constant("MSG_TRUNC"),
    msgCtrunc: constant("MSG_CTRUNC"),
    scmRights: constant("SCM_RIGHTS"),
    somaxconn: constant("SOMAXCONN"),
    shut: { read: constant("SHUT_RD"), write: constant("SHUT_WR"), both: constant("SHUT_RDWR") },
    intCell: new Int32Array(new ArrayBuffer(4)),
    lengthCell: new Uint32Array(new ArrayBuffer(4)),
  };
  return kernel;
}

/**
 * Checks a string argument against the values allowed (a socket type, a shutdown direction).
 * @throws TypeError when it is not a string, or not one of `allowed`.
 */
export function validateChoice<T extends string>(value: unknown, name: string, allowed: readonly T[]): T {
  const list = allowed.map((choice) => `"${choice}"`).join(", ");
  if (typeof value !== "string") throw invalidType(name, `one of ${list}`, value);
  if (!(allowed as readonly string[]).includes(value)) throw invalidValue(name, `must be one of ${list}`, value);
  return value as T;
}

/** ENOTSUP for SOCK_SEQPACKET where the platform lacks it, naming the method. */
export function checkTypeSupported(type: SocketType, method: string): void {
  if (type === "seqpacket" && abi?.features.seqpacket !== true) {
    throw new SystemError("ENOTSUP", method, `seqpacket sockets are not supported on ${hostOs}`);
  }
}

/**
 * Makes what a fresh descriptor from socket/socketpair/accept needs on platforms whose calls take
 * no type flags: close-on-exec, the blocking mode, SO_NOSIGPIPE. On Linux and FreeBSD the flags
 * did it all and only SO_NOSIGPIPE (FreeBSD) remains. Closes `fd` and rethrows when a step fails.
 */
export function prepareDescriptor(fd: number, nonblocking: boolean, flagsApplied: boolean): void {
  try {
    if (!flagsApplied) {
      setCloseOnExec(fd);
      if (nonblocking) setNonblocking(fd, true);
    }
    setNoSigpipe(fd);
  } catch (error) {
    closeDescriptor(fd);
    throw error;
  }
}

/**
 * Sets SO_NOSIGPIPE where the platform defines it (macOS, FreeBSD). Every send also carries
 * MSG_NOSIGNAL where defined; SO_NOSIGPIPE is the way macOS documents, so it is set as well, and
 * either alone keeps a write to a vanished peer an EPIPE error instead of a fatal SIGPIPE.
 */
export function setNoSigpipe(fd: number): void {
  const k = socketKernel();
  if (k.soNoSigpipe !== undefined) setIntOption(fd, k.solSocket, k.soNoSigpipe, 1);
}

/**
 * socket(2): a new AF_UNIX socket of `type`, close-on-exec, blocking unless `nonblocking`.
 * @throws SystemError from socket (EMFILE, ENFILE, EPROTONOSUPPORT, …).
 */
export function openSocket(type: SocketType, nonblocking: boolean): number {
  const k = socketKernel();
  const flags = k.sockCloexec | (nonblocking ? k.sockNonblock : 0);
  const fd = k.symbols.socket(k.afUnix, k.types[type] | flags, 0);
  if (fd < 0) throw lastError("socket");
  prepareDescriptor(fd, nonblocking, k.sockCloexec !== 0);
  return fd;
}

/** setsockopt(fd, level, option, &int, 4). @throws SystemError from setsockopt. */
export function setIntOption(fd: number, level: number, option: number, value: number): void {
  const k = socketKernel();
  k.intCell[0] = value;
  if (k.symbols.setsockopt(fd, level, option, k.intCell, 4) !== 0) throw lastError("setsockopt");
}

/** getsockopt(fd, level, option, &int, &len) for an int option. @throws SystemError from getsockopt. */
export function getIntOption(fd: number, level: number, option: number): number {
  const k = socketKernel();
  k.intCell[0] = 0;
  k.lengthCell[0] = 4;
  if (k.symbols.getsockopt(fd, level, option, k.intCell, k.lengthCell) !== 0) throw lastError("getsockopt");
  return k.intCell[0]!;
}

/** The SocketType of an SO_TYPE value, or `undefined` for another kind. */
export function socketTypeOf(number: number): SocketType | undefined {
  const { types } = socketKernel();
  return (Object.keys(types) as SocketType[]).find((type) => types[type] === number);
}
