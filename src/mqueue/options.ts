/**
 * The options of `MsgQueue.create` and `MsgQueue.open`, checked and turned into `mq_open`'s
 * flags, mode and sizes before any system call; and the other argument checks of `MsgQueue`.
 *
 * @module
 */
import { constant, optionalConstant } from "../../ffi/index.ts";
import { invalidValue } from "../core/errors.ts";
import { defaultSizes, type RequestedSizes } from "./limits.ts";
import { validateBoolean, validateInteger, validateOptions } from "../core/validate.ts";

/** Options of {@link MsgQueue.open}. */
export interface MsgQueueOpenOptions {
  /** Open for receiving. Default `true`. */
  readonly read?: boolean;
  /** Open for sending. Default `true`. */
  readonly write?: boolean;
  /** `O_NONBLOCK`: `send` returns `false` on a full queue and `receive` `null` on an empty one, at once. Default `false`. */
  readonly nonblocking?: boolean;
}

/** Options of {@link MsgQueue.create}. */
export interface MsgQueueCreateOptions extends MsgQueueOpenOptions {
  /**
   * `mq_maxmsg`: how many messages the queue holds. With `messageSize`, or both left out for the
   * system's defaults (Linux: `/proc/sys/fs/mqueue/msg_default`); one left out takes its default.
   */
  readonly maxMessages?: number;
  /** `mq_msgsize`: the longest message in bytes (Linux default: `/proc/sys/fs/mqueue/msgsize_default`). */
  readonly messageSize?: number;
  /** Permission bits of a new queue, less the umask. Default `0o600`. */
  readonly mode?: number;
  /** `O_EXCL`: fail with EEXIST when the queue exists, rather than open it. Default `false`. */
  readonly exclusive?: boolean;
}

/** What `mq_open` is asked for. @internal */
export interface OpenRequest {
  readonly flags: number;
  readonly mode: number;
  /** `undefined`: the kernel's default sizes (or not creating). */
  readonly sizes: RequestedSizes | undefined;
  readonly read: boolean;
  readonly write: boolean;
}

const INT32_MAX = 0x7fffffff;
const DEFAULT_MODE = 0o600;
// FreeBSD's table has no MQ_PRIO_MAX yet: there the kernel checks the priority (EINVAL).
const PRIORITY_MAX = (optionalConstant("MQ_PRIO_MAX") ?? 2 ** 32) - 1;

/**
 * Checks the options of `MsgQueue.create`: O_CREAT, O_CLOEXEC always, the access mode, O_EXCL and
 * O_NONBLOCK as asked.
 * @internal
 */
export function createRequest(options: MsgQueueCreateOptions | undefined): OpenRequest {
  const opts = validateOptions(options);
  const { read, write } = validateAccess(opts);
  const sizes = validateSizes(opts);
  // Only an absent mode takes the default: `null` is as wrong here as for every other option.
  const mode = opts.mode === undefined ? DEFAULT_MODE : validateInteger(opts.mode, "options.mode", 0, 0o777);
  let flags = accessFlag(read, write) | constant("O_CREAT") | constant("O_CLOEXEC");
  if (validateBoolean(opts.exclusive, "options.exclusive", false)) flags |= constant("O_EXCL");
  if (validateBoolean(opts.nonblocking, "options.nonblocking", false)) flags |= constant("O_NONBLOCK");
  return { flags, mode, sizes, read, write };
}

/** Checks the options of `MsgQueue.open`. @internal */
export function openRequest(options: MsgQueueOpenOptions | undefined): OpenRequest {
  const opts = validateOptions(options);
  const { read, write } = validateAccess(opts);
  let flags = accessFlag(read, write) | constant("O_CLOEXEC");
  if (validateBoolean(opts.nonblocking, "options.nonblocking", false)) flags |= constant("O_NONBLOCK");
  return { flags, mode: 0, sizes: undefined, read, write };
}

function validateAccess(options: Partial<MsgQueueOpenOptions>): { read: boolean; write: boolean } {
  const read = validateBoolean(options.read, "options.read", true);
  const write = validateBoolean(options.write, "options.write", true);
  if (!read && !write) throw invalidValue("options", "must allow read, write or both", options);
  return { read, write };
}

function accessFlag(read: boolean, write: boolean): number {
  if (read && write) return constant("O_RDWR");
  return read ? constant("O_RDONLY") : constant("O_WRONLY");
}

/** Both sizes, one filled in from the system default, or undefined for the kernel's defaults. */
function validateSizes(options: Partial<MsgQueueCreateOptions>): RequestedSizes | undefined {
  let { maxMessages, messageSize } = options;
  if (maxMessages === undefined && messageSize === undefined) return undefined;
  if (maxMessages === undefined || messageSize === undefined) {
    const defaults = defaultSizes();
    // Fill in only the absent one: a `null` stays, and fails the check below.
    if (maxMessages === undefined) maxMessages = defaults.maxMessages;
    if (messageSize === undefined) messageSize = defaults.messageSize;
    if (maxMessages === undefined || messageSize === undefined) {
      throw invalidValue("options", "must give both maxMessages and messageSize, or neither, where the system's defaults cannot be read", options);
    }
  }
  return {
    maxMessages: validateInteger(maxMessages, "options.maxMessages", 1, INT32_MAX),
    messageSize: validateInteger(messageSize, "options.messageSize", 1, INT32_MAX),
  };
}

/** A priority from 0 to MQ_PRIO_MAX - 1. @internal */
export function validatePriority(priority: unknown): void {
  validateInteger(priority, "priority", 0, PRIORITY_MAX);
}

function rangeError(message: string): RangeError {
  const error = new RangeError(message);
  (error as RangeError & { code: string }).code = "ERR_OUT_OF_RANGE";
  return error;
}

/** The RangeError for a message longer than the queue's messageSize. @internal */
export function messageTooLong(length: number, messageSize: number): RangeError {
  return rangeError(`The message is ${length} bytes, longer than the queue's messageSize (${messageSize}): nothing was sent`);
}

/** The RangeError for a receive buffer shorter than the queue's messageSize. @internal */
export function bufferTooSmall(length: number, messageSize: number): RangeError {
  return rangeError(`The value of "buffer" is out of range. It must hold at least messageSize (${messageSize}) bytes. Received ${length} bytes`);
}
