/**
 * The system limits on message queues, and the words that explain a refused `mq_open`.
 *
 * bunix does not check sizes against the limits before the call: a process with CAP_SYS_RESOURCE
 * may exceed `msg_max` and `msgsize_max` (up to the kernel's hard limits), and RLIMIT_MSGQUEUE is
 * shared by every queue of the user, which this process cannot see. So it asks the kernel, and
 * when the kernel says EINVAL, EMFILE or ENOSPC, reads the limits and says which one was hit and
 * how to raise it. The limits are read from Linux's /proc (mq_overview(7)); where that does not
 * exist, the explanation is generic.
 *
 * @internal
 * @module
 */
import { readFileSync, readdirSync } from "node:fs";

const PROC_MQUEUE = "/proc/sys/fs/mqueue/";

// Linux >= 3.5 (ipc/mqueue.c, mq_overview(7)): the ceilings of msg_max and msgsize_max, and what a
// process with CAP_SYS_RESOURCE may ask for whatever they are set to.
const HARD_MSGMAX = 65536;
const HARD_MSGSIZEMAX = 16 * 1024 * 1024;
const CAP_SYS_RESOURCE = 24;

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

/** A number from /proc/sys/fs/mqueue (`msg_max`, `msgsize_max`, `queues_max`, `msg_default`, …). */
export function mqueueSetting(name: string): number | undefined {
  const text = readText(`${PROC_MQUEUE}${name}`);
  const value = text === undefined ? Number.NaN : Number(text.trim());
  return Number.isInteger(value) ? value : undefined;
}

/** A soft limit from /proc/self/limits (`"Max msgqueue size"`); Infinity for unlimited. */
function softLimit(label: string): number | undefined {
  const line = readText("/proc/self/limits")
    ?.split("\n")
    .find((row) => row.startsWith(label));
  const soft = line?.slice(label.length).trim().split(/\s+/)[0];
  if (soft === undefined) return undefined;
  if (soft === "unlimited") return Number.POSITIVE_INFINITY;
  const value = Number(soft);
  return Number.isInteger(value) ? value : undefined;
}

/** Whether this process has CAP_SYS_RESOURCE, from /proc/self/status; undefined where unreadable. */
function hasSysResource(): boolean | undefined {
  const hex = readText("/proc/self/status")?.match(/^CapEff:\s*([0-9a-f]+)$/m)?.[1];
  return hex === undefined ? undefined : ((BigInt(`0x${hex}`) >> BigInt(CAP_SYS_RESOURCE)) & 1n) === 1n;
}

/**
 * The kernel's default sizes for a queue created without them (`msg_default`, `msgsize_default`),
 * where they can be read.
 */
export function defaultSizes(): { maxMessages?: number; messageSize?: number } {
  return { maxMessages: mqueueSetting("msg_default"), messageSize: mqueueSetting("msgsize_default") };
}

/** Sizes asked of `mq_open`. */
export interface RequestedSizes {
  readonly maxMessages: number;
  readonly messageSize: number;
}

/**
 * Why `mq_open` with O_CREAT failed with `code`, in words that name the limit and how to raise it;
 * `undefined` when no limit explains it (the plain errno text then stands).
 */
export function explainCreateFailure(code: string, sizes: RequestedSizes | undefined): string | undefined {
  switch (code) {
    case "EINVAL":
      return sizes === undefined ? undefined : explainSizes(sizes);
    case "EMFILE":
      return explainByteLimit(sizes);
    case "ENOSPC": {
      const queuesMax = mqueueSetting("queues_max");
      if (queuesMax === undefined) return "the system's limit on the number of message queues is reached";
      return `the system already has fs.mqueue.queues_max (${queuesMax}) message queues: unlink queues no longer used, or raise it with \`sysctl fs.mqueue.queues_max=${queuesMax * 2}\``;
    }
    default:
      return undefined;
  }
}

function explainSizes({ maxMessages, messageSize }: RequestedSizes): string {
  const msgMax = mqueueSetting("msg_max");
  const msgsizeMax = mqueueSetting("msgsize_max");
  if (msgMax === undefined || msgsizeMax === undefined) {
    return `maxMessages (${maxMessages}) or messageSize (${messageSize}) exceeds the system's limit (on FreeBSD, sysctl kern.mqueue.maxmsg and kern.mqueue.maxmsgsize)`;
  }
  // Unknown privilege: assume the common case, an unprivileged process.
  const privileged = hasSysResource() === true;
  return (
    explainOne("maxMessages", maxMessages, "msg_max", msgMax, HARD_MSGMAX, privileged) ??
    explainOne("messageSize", messageSize, "msgsize_max", msgsizeMax, HARD_MSGSIZEMAX, privileged) ??
    `maxMessages (${maxMessages}) × messageSize (${messageSize}) is too large for the kernel`
  );
}

function explainOne(
  option: string,
  value: number,
  setting: string,
  limit: number,
  hardLimit: number,
  privileged: boolean,
): string | undefined {
  if (value > hardLimit) {
    return `${option} ${value} exceeds the kernel's hard limit (${hardLimit}), beyond what /proc/sys/fs/mqueue/${setting} (${limit}) can be raised to`;
  }
  if (value > limit && !privileged) {
    return `${option} ${value} exceeds /proc/sys/fs/mqueue/${setting} (${limit}): raise it with \`sysctl fs.mqueue.${setting}=${value}\` (up to ${hardLimit}), or run with CAP_SYS_RESOURCE`;
  }
  return undefined;
}

function explainByteLimit(sizes: RequestedSizes | undefined): string | undefined {
  // EMFILE is also the plain "too many open files" of RLIMIT_NOFILE: leave that one alone.
  const openFilesLimit = softLimit("Max open files");
  if (openFilesLimit !== undefined && countOpenFds() >= openFilesLimit) return undefined;
  const limit = softLimit("Max msgqueue size");
  if (limit === undefined) return undefined;
  const maxMessages = sizes?.maxMessages ?? mqueueSetting("msg_default");
  const messageSize = sizes?.messageSize ?? mqueueSetting("msgsize_default");
  const raise = "raise it with `ulimit -q BYTES` or `prlimit --msgqueue=BYTES`";
  const rlimit = `RLIMIT_MSGQUEUE (${limit} bytes, "Max msgqueue size" in /proc/self/limits)`;
  if (maxMessages === undefined || messageSize === undefined) {
    return `this user's message queues would exceed ${rlimit}: ${raise}, or unlink queues no longer used`;
  }
  // The kernel also charges some bookkeeping per message (about 100 bytes on 64-bit Linux 6.x).
  const need = maxMessages * messageSize;
  if (need >= limit) {
    return `the queue needs more than ${need} bytes (maxMessages × messageSize, plus the kernel's bookkeeping), more than ${rlimit}: ${raise}, or make the queue smaller`;
  }
  return `this user's message queues together would exceed ${rlimit}, which they all share; this one needs more than ${need} bytes: unlink queues no longer used, ${raise}, or make the queue smaller`;
}

function countOpenFds(): number {
  try {
    return readdirSync("/proc/self/fd").length;
  } catch {
    return 0;
  }
}
