/**
 * The `mq_*` calls behind one signature, whichever C type `mqd_t` is.
 *
 * On Linux `mqd_t` is the queue's descriptor, and the bound functions are used as they are (the
 * hot path calls them directly). On FreeBSD it is a pointer to a librt structure around the
 * descriptor: the pointer travels as a plain number, `mq_getfd_np` gives the descriptor, and
 * `mq_close` frees the structure as well as closing it.
 *
 * @internal
 * @module
 */
import type { Pointer } from "bun:ffi";
import { abi, loadMqueueFd, loadMqueuePointer } from "../../ffi/index.ts";
import { unsupportedError } from "../core/errors.ts";
import { platform } from "../core/platform.ts";

type Buffer = NodeJS.TypedArray;

/** The message-queue calls, with `mqd_t` as a number; failures return -1 (then read errno). */
export interface MqCalls {
  /** `mq_open`: the `mqd_t`, or -1. */
  readonly open: (name: Buffer, oflag: number, mode: number, attr: Buffer | null) => number;
  readonly close: (mqd: number) => number;
  readonly unlink: (name: Buffer) => number;
  readonly getattr: (mqd: number, attr: Buffer) => number;
  readonly setattr: (mqd: number, attr: Buffer, old: Buffer | null) => number;
  readonly timedsend: (mqd: number, message: Buffer, length: number, priority: number, deadline: Buffer | null) => number;
  /**
   * `mq_timedreceive`: the message's length, or -1. Typed `number | bigint` as bun:ffi's
   * `i64_fast` is; it is always a number here, since a message length fits a double.
   */
  readonly timedreceive: (mqd: number, buffer: Buffer, length: number, priority: Buffer, deadline: Buffer | null) => number | bigint;
  /** The descriptor of an open `mqd_t`: itself on Linux, `mq_getfd_np` on FreeBSD. */
  readonly descriptor: (mqd: number) => number;
  /** Whether `mqd_t` is a pointer that only `mq_close` may release (FreeBSD). */
  readonly pointer: boolean;
}

let calls: MqCalls | undefined;

/**
 * The calls of this platform, bound once per thread.
 * @throws SystemError ENOTSUP (syscall `"MsgQueue"`) where there are no message queues: macOS,
 *   a libc without `mq_open`, FreeBSD without the mqueuefs kernel module.
 */
export function mqCalls(): MqCalls {
  if (calls !== undefined) return calls;
  if (!platform.supports.mqueue) throw unsupportedError("MsgQueue");
  calls = abi?.mqdType === "pointer" ? pointerCalls() : descriptorCalls();
  return calls;
}

function descriptorCalls(): MqCalls {
  const mq = loadMqueueFd();
  if (mq === undefined) throw unsupportedError("MsgQueue", "unavailable: libc has no mq_open");
  return {
    open: mq.mq_open,
    close: mq.mq_close,
    unlink: mq.mq_unlink,
    getattr: mq.mq_getattr,
    setattr: mq.mq_setattr,
    timedsend: mq.mq_timedsend,
    timedreceive: mq.mq_timedreceive,
    descriptor: (mqd) => mqd,
    pointer: false,
  };
}

function pointerCalls(): MqCalls {
  const mq = loadMqueuePointer();
  if (mq === undefined) throw unsupportedError("MsgQueue", "unavailable: librt has no mq_open");
  requireMqueuefs();
  const p = (mqd: number) => mqd as Pointer;
  return {
    // A failed mq_open returns (mqd_t)-1, which bun:ffi hands back as a BigInt (it does not fit a
    // double exactly), or NULL as null; a real pointer is a plain number.
    open: (name, oflag, mode, attr) => {
      const mqd = mq.mq_open(name, oflag, mode, attr);
      return typeof mqd === "number" && mqd !== 0 ? mqd : -1;
    },
    close: (mqd) => mq.mq_close(p(mqd)),
    unlink: mq.mq_unlink,
    getattr: (mqd, attr) => mq.mq_getattr(p(mqd), attr),
    setattr: (mqd, attr, old) => mq.mq_setattr(p(mqd), attr, old),
    timedsend: (mqd, message, length, priority, deadline) => mq.mq_timedsend(p(mqd), message, length, priority, deadline),
    timedreceive: (mqd, buffer, length, priority, deadline) => mq.mq_timedreceive(p(mqd), buffer, length, priority, deadline),
    descriptor: (mqd) => mq.mq_getfd_np(p(mqd)),
    pointer: true,
  };
}

/**
 * FreeBSD without the mqueuefs module answers kmq_open with SIGSYS, whose default action kills the
 * process (sys/kern/kern_sig.c, nosys()), not just ENOSYS. So ask before the first call, without
 * touching the calls: `kldstat -q -m mqueuefs` exits 0 when the module is loaded or compiled in.
 * Untested here (no FreeBSD runner yet).
 */
function requireMqueuefs(): void {
  let loaded = false;
  try {
    const kldstat = Bun.which("kldstat") ?? "/sbin/kldstat";
    loaded = Bun.spawnSync([kldstat, "-q", "-m", "mqueuefs"], { stdio: ["ignore", "ignore", "ignore"] }).exitCode === 0;
  } catch {
    // No kldstat to run: assume the worst rather than risk SIGSYS.
  }
  if (!loaded) {
    throw unsupportedError("MsgQueue", "unavailable: the mqueuefs kernel module is not loaded (load it with `kldload mqueuefs`)");
  }
}
