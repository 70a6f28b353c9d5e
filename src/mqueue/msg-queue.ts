/**
 * `MsgQueue`: POSIX message queues (mq_overview(7)) on Linux and FreeBSD.
 *
 * @module
 */
import { constant, errno, errnoName, errnoNumber } from "../../ffi/index.ts";
import { SystemError, closedError, invalidType, lastError } from "../core/errors.ts";
import { duplicateDescriptor } from "../core/fd.ts";
import { mqCalls, type MqCalls } from "./calls.ts";
import { explainCreateFailure } from "./limits.ts";
import { encodeQueueName } from "./name.ts";
import {
  bufferTooSmall,
  createRequest,
  messageTooLong,
  openRequest,
  validatePriority,
  type MsgQueueCreateOptions,
  type MsgQueueOpenOptions,
  type OpenRequest,
} from "./options.ts";
import { emptyAttr, fillAttr, readAttr } from "./structs.ts";
import { timedCall } from "./timed.ts";
import { FdResource } from "../core/resource.ts";
import { validateTimeout } from "../core/timeout.ts";

export type { MsgQueueCreateOptions, MsgQueueOpenOptions } from "./options.ts";

/** A received message. */
export interface MsgQueueMessage {
  /** The message's bytes, a copy of exactly its length. */
  readonly data: Uint8Array;
  /** Its priority. */
  readonly priority: number;
}

/** What {@link MsgQueue.receiveInto} wrote. */
export interface MsgQueueReceipt {
  /** How many bytes of the buffer hold the message. */
  readonly length: number;
  /** Its priority. */
  readonly priority: number;
}

/** What `mq_getattr` reports. */
export interface MsgQueueAttributes {
  /** The most messages the queue holds. */
  readonly maxMessages: number;
  /** The longest message, in bytes. */
  readonly messageSize: number;
  /** How many messages it holds now. */
  readonly currentMessages: number;
  /** Whether this handle is nonblocking (`O_NONBLOCK`). */
  readonly nonblocking: boolean;
}

const EAGAIN = errnoNumber("EAGAIN");
const EINTR = errnoNumber("EINTR");
const EBADF = errnoNumber("EBADF");

// The priority out-parameter of mq_timedreceive: one per thread, over a plain ArrayBuffer (a small
// typed array's storage can move, docs/design/bun-ffi.md §3.1).
const priorityCell = new Uint32Array(new ArrayBuffer(4));
const encoder = new TextEncoder();

// FreeBSD only: mqd_t is a librt structure that mq_close must free. The descriptor FdResource owns
// is a duplicate, so its own finalizer never closes the number the structure holds.
const pointerRegistry = new FinalizationRegistry<{ readonly mqd: number; readonly calls: MqCalls }>(({ mqd, calls }) => {
  calls.close(mqd);
});

/**
 * A POSIX message queue: a kernel object with a name (`/orders`) that any process with permission
 * can open, holding up to `maxMessages` messages of up to `messageSize` bytes, each with a
 * priority. Receivers take the highest priority first, and messages of one priority in the order
 * they were sent. A message is sent and received whole or not at all.
 *
 * Make one with {@link MsgQueue.create} or {@link MsgQueue.open}. The queue outlives every handle
 * until {@link MsgQueue.unlink} removes its name (and the last handle is closed). Handles are
 * blocking unless opened `nonblocking`, and always close-on-exec. On Linux, `fd` is pollable:
 * readable when a message is waiting, writable when there is room.
 *
 * Platforms: Linux (glibc; the kernel needs CONFIG_POSIX_MQUEUE, on by default) and FreeBSD (with
 * the mqueuefs module loaded, `kldload mqueuefs`; bunix checks with `kldstat` before the first
 * call, since without the module the call kills the process with SIGSYS). macOS has no message
 * queues: every method that makes one throws ENOTSUP. `platform.supports.mqueue` says in advance.
 *
 * @example
 * ```ts
 * import { MsgQueue } from "bunix";
 * using queue = MsgQueue.create("/jobs", { maxMessages: 8, messageSize: 256 });
 * queue.send("low", 1);
 * queue.send("high", 5);
 * const first = queue.receive()!;
 * console.log(new TextDecoder().decode(first.data), first.priority); // "high" 5
 * MsgQueue.unlink("/jobs");
 * ```
 */
export class MsgQueue extends FdResource {
  readonly #name: string;
  readonly #messageSize: number;
  readonly #calls: MqCalls;
  // The hot path reads these fields, each set once: on Linux they are the bound functions themselves.
  readonly #timedsend: MqCalls["timedsend"];
  readonly #timedreceive: MqCalls["timedreceive"];
  readonly #readable: boolean;
  readonly #writable: boolean;
  /** The mqd_t: the descriptor on Linux, a pointer on FreeBSD; -1 once closed. */
  #mqd: number;
  /** `messageSize` bytes for encoding strings and for `receive`, made on first use. */
  #scratch: Uint8Array | undefined;
  /** How many bytes of what `#bytes` returned last make the message. */
  #length = 0;

  private constructor(mqd: number, calls: MqCalls, name: string, messageSize: number, readable: boolean, writable: boolean) {
    super(ownedDescriptor(mqd, calls), "MsgQueue");
    this.#mqd = mqd;
    this.#calls = calls;
    this.#name = name;
    this.#messageSize = messageSize;
    this.#timedsend = calls.timedsend;
    this.#timedreceive = calls.timedreceive;
    this.#readable = readable;
    this.#writable = writable;
    if (calls.pointer) pointerRegistry.register(this, { mqd, calls }, this);
  }

  /**
   * `mq_open(name, O_CREAT | …)`: creates the queue `name`, or opens it if it exists (unless
   * `exclusive`).
   *
   * When the queue already exists, its own sizes stand, not the ones asked for: read them with
   * {@link MsgQueue.attributes}. Sizes are not checked against the system's limits beforehand
   * (a process with CAP_SYS_RESOURCE may exceed some, and the per-user byte budget is shared with
   * queues this process cannot see); when the kernel refuses, the error says which limit was hit
   * and how to raise it.
   *
   * @param name - `/` then 1 to 255 bytes of UTF-8 with no `/` (254 on FreeBSD).
   * @param options - sizes, `mode` (default `0o600`), `exclusive`, `nonblocking`, `read` and
   *   `write` (both default `true`).
   * @throws SystemError (syscall `"mq_open"`, `path` the name): EEXIST (`exclusive` and it
   *   exists); EACCES (exists, and the permissions refuse the access asked for); EINVAL (a size
   *   above `/proc/sys/fs/mqueue/msg_max` or `msgsize_max`, or the kernel's hard limit; the message
   *   names it); EMFILE (the user's RLIMIT_MSGQUEUE byte budget, named in the message, or too many
   *   open descriptors); ENOSPC (`/proc/sys/fs/mqueue/queues_max` queues exist); ENFILE, ENOMEM.
   *   ENOTSUP (syscall `"MsgQueue"`) where the platform has no message queues.
   * @throws TypeError for a malformed name (no leading `/`, another `/`, nothing after the `/`),
   *   an option of the wrong type, or `read` and `write` both `false`.
   * @throws RangeError for a name too long, sizes below 1 or not integers, a `mode` outside 0..0o777.
   *
   * @example
   * ```ts
   * using queue = MsgQueue.create("/events", { maxMessages: 10, messageSize: 1024, exclusive: true });
   * console.log(queue.attributes().messageSize); // 1024
   * ```
   */
  static create(name: string, options?: MsgQueueCreateOptions): MsgQueue {
    const encoded = encodeQueueName(name);
    return MsgQueue.#open(name, encoded, createRequest(options));
  }

  /**
   * `mq_open(name, flags)`: opens the existing queue `name`.
   *
   * @param name - `/` then 1 to 255 bytes of UTF-8 with no `/` (254 on FreeBSD).
   * @param options - `read` and `write` (both default `true`), `nonblocking` (default `false`).
   * @throws SystemError (syscall `"mq_open"`): ENOENT (no such queue); EACCES (its permissions
   *   refuse the access asked for); EMFILE, ENFILE. ENOTSUP (syscall `"MsgQueue"`) where the
   *   platform has no message queues.
   * @throws TypeError for a malformed name, an option of the wrong type, or `read` and `write` both
   *   `false`.
   * @throws RangeError for a name too long.
   *
   * @example
   * ```ts
   * // In another process: MsgQueue.create("/jobs", { maxMessages: 8, messageSize: 256 })
   * using jobs = MsgQueue.open("/jobs", { write: false });
   * const job = jobs.receive(); // waits for one
   * ```
   */
  static open(name: string, options?: MsgQueueOpenOptions): MsgQueue {
    const encoded = encodeQueueName(name);
    return MsgQueue.#open(name, encoded, openRequest(options));
  }

  /**
   * `mq_unlink(name)`: removes the queue's name. Handles already open keep working on the old
   * queue, which the kernel frees when the last is closed; `open` no longer finds it, and
   * `create` makes a new, empty one.
   *
   * @throws SystemError (syscall `"mq_unlink"`): ENOENT (no such queue), EACCES. ENOTSUP (syscall
   *   `"MsgQueue"`) where the platform has no message queues.
   * @throws TypeError / RangeError for a malformed or too long name.
   *
   * @example
   * ```ts
   * MsgQueue.unlink("/jobs");
   * try { MsgQueue.unlink("/jobs"); } catch (e) { console.log((e as SystemError).code); } // "ENOENT"
   * ```
   */
  static unlink(name: string): void {
    const encoded = encodeQueueName(name);
    if (mqCalls().unlink(encoded) !== 0) throw lastError("mq_unlink", name);
  }

  static #open(name: string, encoded: Uint8Array, request: OpenRequest): MsgQueue {
    const calls = mqCalls();
    const { flags, mode, sizes } = request;
    const attr = sizes === undefined ? null : fillAttr(0, sizes.maxMessages, sizes.messageSize);
    const mqd = calls.open(encoded, flags, mode, attr);
    if (mqd === -1) {
      const code = errnoName(errno());
      const creating = (flags & constant("O_CREAT")) !== 0;
      throw new SystemError(code, "mq_open", creating ? explainCreateFailure(code, sizes) : undefined, name);
    }
    try {
      if (calls.getattr(mqd, emptyAttr()) !== 0) throw lastError("mq_getattr", name);
      return new MsgQueue(mqd, calls, name, readAttr().messageSize, request.read, request.write);
    } catch (error) {
      calls.close(mqd);
      throw error;
    }
  }


  /** The name the queue was opened by, as given. */
  get name(): string {
    return this.#name;
  }

  /**
   * The queue's descriptor, or -1 once closed. On Linux it is the `mqd_t` itself, pollable with
   * epoll or poll: readable when a message waits, writable when there is room. On FreeBSD it is a
   * duplicate of `mq_getfd_np`'s, for kqueue (EVFILT_READ/EVFILT_WRITE).
   */
  override get fd(): number {
    return super.fd;
  }

  /**
   * `mq_msgsize`, read once at open: the longest message, and the least a `receiveInto` buffer
   * must hold.
   */
  get messageSize(): number {
    return this.#messageSize;
  }

  /**
   * `mq_send`: sends `message` with `priority`, waiting for room on a blocking handle.
   *
   * A string is sent as its UTF-8 bytes; a `Uint8Array`'s bytes go untouched. Either way the
   * message is queued whole or not at all. EINTR is retried.
   *
   * @param message - at most `messageSize` bytes.
   * @param priority - 0 to MQ_PRIO_MAX - 1 (32767 on Linux, 63 on FreeBSD); higher is received first.
   * @returns `true` when sent; `false` when the handle is nonblocking and the queue is full.
   * @throws SystemError (syscall `"mq_send"`): EBADF when the handle was opened without write
   *   access. EBADF (syscall `"MsgQueue.send"`) when closed.
   * @throws RangeError when the message is longer than `messageSize` (nothing is sent), or the
   *   priority out of range. TypeError for a message neither string nor Uint8Array.
   *
   * @example
   * ```ts
   * using queue = MsgQueue.create("/q", { maxMessages: 1, messageSize: 16, nonblocking: true });
   * console.log(queue.send("one"), queue.send("two")); // true false
   * ```
   */
  send(message: Uint8Array | string, priority = 0): boolean {
    const mqd = this.#handle("send");
    const bytes = this.#bytes(message);
    const length = this.#length;
    validatePriority(priority);
    for (;;) {
      if (this.#timedsend(mqd, bytes, length, priority, null) === 0) return true;
      const code = errno();
      if (code === EAGAIN) return false;
      if (code !== EINTR) throw this.#failure(code, "mq_send");
    }
  }

  /**
   * `mq_timedsend`: sends like {@link MsgQueue.send}, waiting at most `timeoutMs` for room.
   *
   * The kernel takes an absolute CLOCK_REALTIME deadline; bunix computes it from the timeout and,
   * after EINTR or a clock step, from the time that is left on a monotonic clock, so the wait is
   * never shorter than asked. A nonblocking handle never waits.
   *
   * @param timeoutMs - ms; `-1`, `undefined` or `Infinity` wait forever, `0` polls.
   * @returns `false` when the time ran out (or the handle is nonblocking) with the queue full.
   * @throws As {@link MsgQueue.send}, with syscall `"mq_timedsend"`; RangeError/TypeError for a bad timeout.
   *
   * @example
   * ```ts
   * if (!queue.timedSend("report", 0, 250)) console.log("queue still full after 250 ms");
   * ```
   */
  timedSend(message: Uint8Array | string, priority: number, timeoutMs?: number): boolean {
    const mqd = this.#handle("timedSend");
    const bytes = this.#bytes(message);
    const length = this.#length;
    validatePriority(priority);
    const timeout = validateTimeout(timeoutMs);
    const send = this.#timedsend;
    try {
      return timedCall(timeout, (deadline) => send(mqd, bytes, length, priority, deadline), "mq_timedsend") === 0;
    } catch (error) {
      throw this.#explain(error);
    }
  }

  /**
   * `mq_receive`: takes the oldest message of the highest priority, waiting for one on a blocking
   * handle. The data is copied out of a buffer kept for the purpose; use
   * {@link MsgQueue.receiveInto} to receive into your own without that copy.
   *
   * @returns the message, or `null` when the handle is nonblocking and the queue is empty.
   * @throws SystemError (syscall `"mq_receive"`): EBADF when opened without read access. EBADF
   *   (syscall `"MsgQueue.receive"`) when closed.
   *
   * @example
   * ```ts
   * const message = queue.receive();
   * if (message !== null) console.log(message.priority, new TextDecoder().decode(message.data));
   * ```
   */
  receive(): MsgQueueMessage | null {
    const mqd = this.#handle("receive");
    const buffer = this.#scratchBuffer();
    const length = this.#receiveLoop(mqd, buffer);
    return length < 0 ? null : { data: buffer.slice(0, length), priority: priorityCell[0]! };
  }

  /**
   * `mq_receive` into `buffer`: as {@link MsgQueue.receive}, but the bytes land in `buffer` and
   * nothing is allocated besides the small result object.
   *
   * @param buffer - at least `messageSize` bytes (the kernel refuses smaller buffers).
   * @returns how many bytes were written and the priority, or `null` when the handle is
   *   nonblocking and the queue is empty.
   * @throws RangeError when `buffer` is shorter than `messageSize`; TypeError when it is not a
   *   Uint8Array. SystemError as {@link MsgQueue.receive}.
   *
   * @example
   * ```ts
   * const buffer = new Uint8Array(queue.messageSize);
   * const got = queue.receiveInto(buffer);
   * if (got !== null) handle(buffer.subarray(0, got.length), got.priority);
   * ```
   */
  receiveInto(buffer: Uint8Array): MsgQueueReceipt | null {
    const mqd = this.#handle("receiveInto");
    if (!(buffer instanceof Uint8Array)) throw invalidType("buffer", "an instance of Uint8Array", buffer);
    if (buffer.length < this.#messageSize) throw bufferTooSmall(buffer.length, this.#messageSize);
    const length = this.#receiveLoop(mqd, buffer);
    return length < 0 ? null : { length, priority: priorityCell[0]! };
  }

  /**
   * `mq_timedreceive`: receives like {@link MsgQueue.receive}, waiting at most `timeoutMs` for a
   * message (absolute CLOCK_REALTIME deadline, recomputed after EINTR; never returns early). A
   * nonblocking handle never waits.
   *
   * @param timeoutMs - ms; `-1`, `undefined` or `Infinity` wait forever, `0` polls.
   * @returns the message, or `null` when none came in time (or the nonblocking queue is empty).
   * @throws As {@link MsgQueue.receive}, with syscall `"mq_timedreceive"`; RangeError/TypeError for
   *   a bad timeout.
   *
   * @example
   * ```ts
   * const reply = queue.timedReceive(1000);
   * if (reply === null) console.log("no reply within a second");
   * ```
   */
  timedReceive(timeoutMs?: number): MsgQueueMessage | null {
    const mqd = this.#handle("timedReceive");
    const timeout = validateTimeout(timeoutMs);
    const buffer = this.#scratchBuffer();
    const receive = this.#timedreceive;
    let length: number;
    try {
      const call = (deadline: Uint8Array | null) => receive(mqd, buffer, buffer.length, priorityCell, deadline) as number;
      length = timedCall(timeout, call, "mq_timedreceive");
    } catch (error) {
      throw this.#explain(error);
    }
    return length < 0 ? null : { data: buffer.slice(0, length), priority: priorityCell[0]! };
  }

  /**
   * `mq_getattr`: the queue's sizes and message count as the kernel has them now, and whether this
   * handle is nonblocking.
   *
   * @throws SystemError EBADF (syscall `"MsgQueue.attributes"`) when closed.
   *
   * @example
   * ```ts
   * const { maxMessages, messageSize, currentMessages, nonblocking } = queue.attributes();
   * ```
   */
  attributes(): MsgQueueAttributes {
    const mqd = this.#handle("attributes");
    if (this.#calls.getattr(mqd, emptyAttr()) !== 0) throw lastError("mq_getattr");
    const raw = readAttr();
    return {
      maxMessages: raw.maxMessages,
      messageSize: raw.messageSize,
      currentMessages: raw.currentMessages,
      nonblocking: (raw.flags & constant("O_NONBLOCK")) !== 0,
    };
  }

  /**
   * `mq_setattr`: makes this handle nonblocking (`send` returns `false` on a full queue, `receive`
   * `null` on an empty one) or blocking again. Other handles of the queue are not affected.
   *
   * @throws TypeError when `on` is not a boolean. SystemError EBADF (syscall
   *   `"MsgQueue.setNonblocking"`) when closed.
   *
   * @example
   * ```ts
   * queue.setNonblocking(true);
   * while (queue.receive() !== null); // drain without waiting
   * ```
   */
  setNonblocking(on: boolean): void {
    const mqd = this.#handle("setNonblocking");
    if (typeof on !== "boolean") throw invalidType("on", "of type boolean", on);
    if (this.#calls.setattr(mqd, fillAttr(on ? constant("O_NONBLOCK") : 0, 0, 0), null) !== 0) throw lastError("mq_setattr");
  }

  /**
   * `mq_close` (on Linux, `close` of the descriptor): releases this handle. The queue and its
   * messages stay until unlinked. Idempotent; see `FdResource.close`.
   */
  protected override releaseResources(): void {
    const mqd = this.#mqd;
    this.#mqd = -1;
    this.#scratch = undefined;
    // On Linux the descriptor is the mqd_t, and FdResource closes it next.
    if (!this.#calls.pointer) return;
    pointerRegistry.unregister(this);
    if (this.#calls.close(mqd) !== 0) throw lastError("mq_close");
  }

  #handle(method: string): number {
    const mqd = this.#mqd;
    if (mqd === -1) throw closedError("MsgQueue", method);
    return mqd;
  }

  /** The bytes to send: the Uint8Array itself, or the string encoded into the scratch buffer. */
  #bytes(message: Uint8Array | string): Uint8Array {
    if (typeof message === "string") {
      const scratch = this.#scratchBuffer();
      const { read, written } = encoder.encodeInto(message, scratch);
      if (read < message.length) throw messageTooLong(Buffer.byteLength(message, "utf8"), this.#messageSize);
      this.#length = written;
      return scratch;
    }
    if (!(message instanceof Uint8Array)) throw invalidType("message", "of type string or an instance of Uint8Array", message);
    if (message.length > this.#messageSize) throw messageTooLong(message.length, this.#messageSize);
    this.#length = message.length;
    return message;
  }

  #scratchBuffer(): Uint8Array {
    return (this.#scratch ??= new Uint8Array(new ArrayBuffer(this.#messageSize)));
  }

  /** mq_receive until not EINTR: the length, or -1 when a nonblocking queue is empty. */
  #receiveLoop(mqd: number, buffer: Uint8Array): number {
    for (;;) {
      // i64_fast gives a number whenever the value fits, and a length always does.
      const length = this.#timedreceive(mqd, buffer, buffer.length, priorityCell, null) as number;
      if (length >= 0) return length;
      const code = errno();
      if (code === EAGAIN) return -1;
      if (code !== EINTR) throw this.#failure(code, "mq_receive");
    }
  }

  /** The error for a failed send or receive; EBADF on an open handle means the access mode lacks it. */
  #failure(code: number, syscall: string): SystemError {
    if (code === EBADF) {
      const sending = syscall.includes("send");
      if (sending ? !this.#writable : !this.#readable) {
        return new SystemError("EBADF", syscall, `the queue was opened without ${sending ? "write" : "read"} access`, this.#name);
      }
    }
    return SystemError.fromErrno(code, syscall);
  }

  #explain(error: unknown): unknown {
    if (error instanceof SystemError && error.code === "EBADF") return this.#failure(EBADF, error.syscall);
    return error;
  }
}

/** The descriptor FdResource owns: the mqd_t on Linux; on FreeBSD a duplicate of the one librt holds. */
function ownedDescriptor(mqd: number, calls: MqCalls): number {
  if (!calls.pointer) return mqd;
  const fd = calls.descriptor(mqd);
  if (fd < 0) throw lastError("mq_getfd_np");
  return duplicateDescriptor(fd);
}
