/**
 * What the running platform is and which kernel facilities bunix can use on it.
 *
 * @module
 */
import { abi, hostArch, hostOs, loadEpoll, loadEventfd, loadNativeKqueue, loadSyscall2, loadTimerfd } from "../../ffi/index.ts";
import { core } from "./fd.ts";

/** Which facilities bunix can use here. Each is `false` where constructing the class is `ENOTSUP`. */
export interface PlatformSupport {
  /** `Epoll` (Linux). */
  readonly epoll: boolean;
  /** `Kqueue` with the native kqueue (macOS, FreeBSD). On Linux, `Kqueue` needs `{ library }`. */
  readonly kqueue: boolean;
  /** `EventFd` (Linux; FreeBSD >= 13). */
  readonly eventfd: boolean;
  /** `TimerFd` (Linux; FreeBSD >= 14). */
  readonly timerfd: boolean;
  /** `PidFd` (Linux >= 5.3). */
  readonly pidfd: boolean;
  /** `MsgQueue` (Linux; FreeBSD with the mqueuefs module). */
  readonly mqueue: boolean;
  /** SOCK_SEQPACKET Unix sockets. */
  readonly seqpacket: boolean;
  /** Linux abstract socket names (a leading NUL). */
  readonly abstractSockets: boolean;
}

/** The running platform, as bunix sees it. */
export interface PlatformInfo {
  /** As `process.platform` spells it: `"linux"`, `"darwin"`, `"freebsd"`, … */
  readonly os: string;
  /** As `process.arch` spells it: `"x64"`, `"arm64"`, … */
  readonly arch: string;
  /** The readiness API `Poller` uses here, or `"none"` on a platform bunix has no tables for. */
  readonly backend: "epoll" | "kqueue" | "none";
  /** Which facilities are usable; worked out on first read, never at import. */
  readonly supports: PlatformSupport;
}

let support: PlatformSupport | undefined;

function detectSupport(): PlatformSupport {
  const features = abi?.features;
  return Object.freeze({
    epoll: features?.epoll === true && loadEpoll() !== undefined,
    kqueue: features?.kqueue === true && loadNativeKqueue() !== undefined,
    eventfd: features?.eventfd === true && loadEventfd() !== undefined,
    timerfd: features?.timerfd === true && loadTimerfd() !== undefined,
    pidfd: features?.pidfd === true && kernelHasPidfd(),
    // Whether the kernel has queues shows only at mq_open: FreeBSD without mqueuefs raises SIGSYS,
    // so it is never probed here; MsgQueue reports ENOTSUP at its first call instead.
    mqueue: features?.mqueue === true,
    seqpacket: features?.seqpacket === true,
    abstractSockets: features?.abstractSockets === true,
  });
}

/** pidfd_open(getpid()) succeeds on Linux >= 5.3; the probe descriptor is closed at once. */
function kernelHasPidfd(): boolean {
  const syscall = loadSyscall2()?.syscall;
  const number = abi?.constants.SYS_pidfd_open;
  if (syscall === undefined || number === undefined) return false;
  const fd = Number(syscall(number, core().getpid(), 0));
  if (fd < 0) return false;
  core().close(fd);
  return true;
}

function backendOf(): PlatformInfo["backend"] {
  if (abi?.features.epoll) return "epoll";
  if (abi?.features.kqueue) return "kqueue";
  return "none";
}

/**
 * The running platform: `{ os, arch, backend, supports }`.
 *
 * @example
 * ```ts
 * import { platform } from "bunix";
 * if (platform.supports.pidfd) console.log("process exits can be polled on", platform.os);
 * ```
 */
export const platform: PlatformInfo = Object.freeze({
  os: hostOs,
  arch: hostArch,
  backend: backendOf(),
  get supports(): PlatformSupport {
    return (support ??= detectSupport());
  },
});
