/**
 * sendmsg(2) and recvmsg(2) with scatter/gather buffers and SCM_RIGHTS descriptors, encoded with
 * the running platform's layouts.
 *
 * The structs differ where it hurts (docs/design/platform-abi.md §4.6 and §4.7): glibc's `msghdr` is 56 bytes
 * with 8-byte `msg_iovlen` and `msg_controllen`, BSD's is 48 with 4-byte ones (an 8-byte store
 * there would clobber `msg_flags`); `cmsghdr` is 16 bytes on Linux and 12 on BSD, and macOS aligns
 * control messages to 4 bytes, not 8. So every field is written with the width its layout gives.
 *
 * The structs the kernel reads live in one scratch area per thread (calls are synchronous, so
 * nothing else uses it meanwhile), over ArrayBuffers whose addresses are taken once. Only the
 * caller's data buffers need `ptr()` on each call; their `.buffer` is touched first, which moves
 * a small typed array's bytes out of the garbage-collected heap for good (docs/design/bun-ffi.md §3.1), so
 * the address written into the iovec stays valid.
 *
 * @internal
 * @module
 */
import { ptr } from "bun:ffi";
import { cmsgAlign, cmsgDataOffset, cmsgLen, cmsgSpace, errno, errnoNumber, struct, type FieldLayout } from "../../ffi/index.ts";
import { SystemError, invalidType } from "../core/errors.ts";
import { closeDescriptor, setCloseOnExec } from "../core/fd.ts";
import { validateFd } from "../core/validate.ts";
import { addressBytes, type EncodedAddress } from "./address.ts";
import { socketKernel, type SocketKernel } from "./kernel.ts";

const EINTR = errnoNumber("EINTR");
const EAGAIN = errnoNumber("EAGAIN");
const EWOULDBLOCK = errnoNumber("EWOULDBLOCK");

/**
 * Every receive has control room for at least this many descriptors, whatever `maxFds` says, so
 * descriptors nobody asked for are received and closed by us rather than left to the kernel:
 * with too small a buffer, some BSD kernels install descriptors they cannot report. 512 is the
 * most macOS passes in one message (UIPC_MAX_CMSG_FD); Linux passes at most 253 (SCM_MAX_FD).
 */
const FD_ROOM = 512;

/** Room beside SCM_RIGHTS for messages the kernel adds on its own (Linux SCM_CREDENTIALS). */
const EXTRA_CONTROL_ROOM = 128;

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const emptyBytes = new Uint8Array(0);

/** What one `recv` got. */
export interface ReceivedMessage {
  /** How many bytes arrived. 0 is the end of the stream, or an empty datagram. */
  readonly bytes: number;
  /** The filled part of the buffer: a view of the caller's buffer, or of a new one for a size. */
  readonly data: Uint8Array;
  /** The descriptors received, close-on-exec, now owned by the caller. At most `maxFds`. */
  readonly fds: number[];
  /** Whether data (the message was longer than the buffer) or descriptors (beyond `maxFds`) were cut. */
  readonly truncated: boolean;
  /**
   * The sender's path on a datagram socket (`null` when it has none), `null` on other sockets.
   * A name that is not UTF-8 reads with U+FFFD in place of the bad bytes: reply to `fromBytes`.
   */
  readonly from: string | null;
  /**
   * The sender's address as the kernel gave it, as bytes: a file path (without its terminating
   * NUL), or a Linux abstract name with its leading NUL. `null` where `from` is. A reply sent with
   * `sendTo(message.fromBytes)` reaches the sender whatever bytes its name holds.
   */
  readonly fromBytes: Uint8Array | null;
}

/** Where one msghdr field lives in the scratch header, in 32-bit words. */
interface Slot {
  readonly word: number;
  readonly wide: boolean;
}

function slot(field: FieldLayout): Slot {
  return { word: field.offset / 4, wide: field.size === 8 };
}

/** Stores an unsigned value (pointer or length) with the field's width; pointers fit 2^53. */
function store(words: Uint32Array, at: Slot, value: number): void {
  words[at.word] = value >>> 0;
  if (at.wide) words[at.word + 1] = Math.floor(value / 0x1_0000_0000);
}

function load(words: Uint32Array, at: Slot): number {
  return loadWord(words, at.word, at.wide);
}

function loadWord(words: Uint32Array, word: number, wide: boolean): number {
  return wide ? words[word]! + words[word + 1]! * 0x1_0000_0000 : words[word]!;
}

/** The per-thread structs handed to the kernel. */
class Scratch {
  readonly header: Uint32Array;
  readonly name: Uint8Array;
  readonly nameAddress: number;
  iov = new Uint32Array(0);
  iovAddress = 0;
  control = new Uint32Array(0);
  controlAddress = 0;
  /**
   * What iovec 0 points at, so that receiving into the same buffer again skips taking its address:
   * once touched, a typed array's storage stays where it is (a transferred buffer reads length 0).
   */
  iovTarget: Uint8Array | null = null;
  iovTargetLength = -1;
  /** The header is laid out for a plain receive (one iovec, no name, the whole control buffer). */
  plainReceive = false;

  readonly msgName: Slot;
  readonly msgNamelen: Slot;
  readonly msgIov: Slot;
  readonly msgIovlen: Slot;
  readonly msgControl: Slot;
  readonly msgControllen: Slot;
  readonly msgFlags: Slot;
  readonly iovWords: number;
  readonly iovBase: Slot;
  readonly iovLen: Slot;
  readonly cmsgLen: Slot;
  readonly cmsgLevelWord: number;
  readonly cmsgTypeWord: number;
  readonly cmsgHeaderSize: number;
  /** The receive call, the flags every receive passes and the bits that say it was cut, looked up once. */
  readonly recvmsg: SocketKernel["symbols"]["recvmsg"];
  readonly recvFlags: number;
  readonly truncatedFlags: number;

  constructor() {
    const msghdr = struct("msghdr");
    const iovec = struct("iovec");
    const cmsghdr = struct("cmsghdr");
    const sockaddr = struct("sockaddr_un");
    this.header = new Uint32Array(new ArrayBuffer(msghdr.size));
    this.name = new Uint8Array(new ArrayBuffer(sockaddr.size));
    this.nameAddress = ptr(this.name);
    this.msgName = slot(msghdr.fields.msg_name);
    this.msgNamelen = slot(msghdr.fields.msg_namelen);
    this.msgIov = slot(msghdr.fields.msg_iov);
    this.msgIovlen = slot(msghdr.fields.msg_iovlen);
    this.msgControl = slot(msghdr.fields.msg_control);
    this.msgControllen = slot(msghdr.fields.msg_controllen);
    this.msgFlags = slot(msghdr.fields.msg_flags);
    this.iovWords = iovec.size / 4;
    this.iovBase = slot(iovec.fields.iov_base);
    this.iovLen = slot(iovec.fields.iov_len);
    this.cmsgLen = slot(cmsghdr.fields.cmsg_len);
    this.cmsgLevelWord = cmsghdr.fields.cmsg_level.offset / 4;
    this.cmsgTypeWord = cmsghdr.fields.cmsg_type.offset / 4;
    this.cmsgHeaderSize = cmsghdr.size;
    const k = socketKernel();
    this.recvmsg = k.symbols.recvmsg;
    this.recvFlags = k.recvFlags;
    this.truncatedFlags = k.msgTrunc | k.msgCtrunc;
    this.growIov(16);
    this.growControl(cmsgSpace(4 * FD_ROOM) + EXTRA_CONTROL_ROOM);
  }

  growIov(entries: number): void {
    if (this.iov.length >= entries * this.iovWords) return;
    this.iov = new Uint32Array(new ArrayBuffer(Math.max(entries, this.iov.length / this.iovWords * 2) * this.iovWords * 4));
    this.iovAddress = ptr(this.iov);
  }

  growControl(bytes: number): void {
    if (this.control.byteLength >= bytes) return;
    this.control = new Uint32Array(new ArrayBuffer(cmsgAlign(bytes)));
    this.controlAddress = ptr(this.control);
  }

  /** Points iovec `index` at `bytes`. */
  setIov(index: number, bytes: Uint8Array): void {
    if (index === 0) {
      this.iovTarget = bytes;
      this.iovTargetLength = bytes.byteLength;
    }
    const iov = this.iov;
    const base = index * this.iovWords;
    const length = bytes.byteLength;
    let address = 0;
    if (length > 0) {
      // Moves a small typed array's storage out of the GC heap before its address is taken.
      void bytes.buffer;
      address = ptr(bytes);
    }
    // Both fields are 8 bytes wide on every platform (a pointer and a size_t).
    iov[base + this.iovBase.word] = address >>> 0;
    iov[base + this.iovBase.word + 1] = Math.floor(address / 0x1_0000_0000);
    iov[base + this.iovLen.word] = length >>> 0;
    iov[base + this.iovLen.word + 1] = Math.floor(length / 0x1_0000_0000);
  }

  /** Makes the header, laid out for a plain receive already, ready for one into `target`. */
  resetPlainReceive(target: Uint8Array): void {
    if (this.iovTarget !== target || this.iovTargetLength !== target.byteLength) this.setIov(0, target);
    // Only the control length changes between receives: the kernel writes back what it used, which
    // never exceeds the buffer, so the upper word of a wide field stays 0. (It writes msg_flags
    // back on every successful call, so they need no reset.)
    this.header[this.msgControllen.word] = this.control.byteLength;
  }

  /** Fills the msghdr for one call. */
  setHeader(iovCount: number, name: boolean, nameLength: number, controlLength: number): void {
    this.plainReceive = false;
    const h = this.header;
    store(h, this.msgName, name ? this.nameAddress : 0);
    h[this.msgNamelen.word] = nameLength;
    store(h, this.msgIov, this.iovAddress);
    store(h, this.msgIovlen, iovCount);
    store(h, this.msgControl, controlLength > 0 ? this.controlAddress : 0);
    store(h, this.msgControllen, controlLength);
    h[this.msgFlags.word] = 0;
  }
}

let scratch: Scratch | undefined;

function getScratch(): Scratch {
  return (scratch ??= new Scratch());
}

/** What `send` takes: bytes, a string (sent as UTF-8), or a list of either, gathered in order. */
export type SendData = Uint8Array | string | readonly (Uint8Array | string)[];

function toBytes(value: unknown, name: string): Uint8Array {
  if (value instanceof Uint8Array) return value;
  if (typeof value === "string") return encoder.encode(value);
  throw invalidType(name, "a Uint8Array or a string", value);
}

/**
 * Checks the `fds` option: an array of descriptor numbers.
 * @throws TypeError / RangeError naming the bad element.
 */
export function validateFdList(fds: unknown, name: string): readonly number[] {
  if (fds === undefined) return [];
  if (!Array.isArray(fds)) throw invalidType(name, "an array of file descriptors", fds);
  for (let i = 0; i < fds.length; i++) validateFd(fds[i], `${name}[${i}]`);
  return fds as readonly number[];
}

/**
 * sendmsg(2): sends `data` (gathered from several buffers when a list) with `fds` as one
 * SCM_RIGHTS message, to `address` when given. Returns the bytes sent, or `null` when the socket
 * is nonblocking and the call would block.
 * @throws SystemError from sendmsg (EPIPE, ECONNREFUSED, EMSGSIZE, EBADF for a closed fd in `fds`, …).
 */
export function sendMessage(
  fd: number,
  data: SendData,
  fds: readonly number[],
  address: EncodedAddress | null,
): number | null {
  const s = getScratch();
  let iovCount: number;
  if (Array.isArray(data) && data.length > 0) {
    iovCount = data.length;
    s.growIov(iovCount);
    for (let i = 0; i < iovCount; i++) s.setIov(i, toBytes(data[i], `data[${i}]`));
  } else if (Array.isArray(data)) {
    // An empty list is sent as one empty buffer, not as msg_iovlen 0: qemu-user (the arm64 test
    // run) silently drops a sendmsg with no iovec instead of sending an empty datagram.
    iovCount = 1;
    s.setIov(0, emptyBytes);
  } else {
    iovCount = 1;
    s.setIov(0, toBytes(data, "data"));
  }
  const controlLength = fds.length > 0 ? writeRights(s, fds) : 0;
  if (address !== null) s.name.set(address.bytes);
  s.setHeader(iovCount, address !== null, address?.length ?? 0, controlLength);
  const k = socketKernel();
  for (;;) {
    // i64_fast: a plain number for every count a socket call can return.
    const sent = k.symbols.sendmsg(fd, s.header, k.sendFlags) as number;
    if (sent >= 0) return sent;
    const code = errno();
    if (code === EINTR) continue;
    if (code === EAGAIN || code === EWOULDBLOCK) return null;
    throw SystemError.fromErrno(code, "sendmsg", address?.display);
  }
}

/**
 * Writes one SCM_RIGHTS message holding `fds` and returns the control length. macOS accepts only
 * a single SCM_RIGHTS message whose cmsg_len equals the control length; with 4-byte alignment
 * there CMSG_SPACE of whole descriptors equals CMSG_LEN, so CMSG_SPACE suits every platform.
 */
function writeRights(s: Scratch, fds: readonly number[]): number {
  const payload = 4 * fds.length;
  const space = cmsgSpace(payload);
  s.growControl(space);
  const words = s.control;
  words.fill(0, 0, space / 4);
  const k = socketKernel();
  store(words, s.cmsgLen, cmsgLen(payload));
  words[s.cmsgLevelWord] = k.solSocket;
  words[s.cmsgTypeWord] = k.scmRights;
  const first = cmsgDataOffset() / 4;
  for (let i = 0; i < fds.length; i++) words[first + i] = fds[i]!;
  return space;
}

/**
 * recvmsg(2) into `target`: one message (or, on a stream, what is there), its descriptors, and
 * on a datagram socket the sender's path. Returns `null` when the socket is nonblocking and
 * nothing is waiting.
 *
 * Every control message is read, in whatever order the kernel put them (Linux may put
 * SCM_CREDENTIALS first). Descriptors arrive close-on-exec: by MSG_CMSG_CLOEXEC where the
 * platform has it, else by fcntl straight after (macOS; a `Bun.spawn` on another thread in
 * between could still inherit one). The first `maxFds` are returned; the rest are closed.
 * @throws SystemError from recvmsg (ECONNRESET, EBADF, …).
 */
export function receiveMessage(fd: number, target: Uint8Array, maxFds: number, wantSender: boolean): ReceivedMessage | null {
  const s = getScratch();
  if (!wantSender && maxFds <= FD_ROOM && s.plainReceive) {
    s.resetPlainReceive(target);
  } else {
    s.setIov(0, target);
    if (maxFds > FD_ROOM) s.growControl(cmsgSpace(4 * maxFds) + EXTRA_CONTROL_ROOM);
    s.setHeader(1, wantSender, wantSender ? s.name.byteLength : 0, s.control.byteLength);
    s.plainReceive = !wantSender;
  }
  let received: number;
  while ((received = s.recvmsg(fd, s.header, s.recvFlags) as number) < 0) {
    if (!retryReceive()) return null;
  }
  return collect(s, received, target, maxFds, wantSender);
}

/** After a failed recvmsg: true to retry (EINTR), false for "would block"; throws anything else. */
function retryReceive(): boolean {
  const code = errno();
  if (code === EINTR) return true;
  if (code === EAGAIN || code === EWOULDBLOCK) return false;
  throw SystemError.fromErrno(code, "recvmsg");
}

/**
 * `receiveMessage` for the commonest call, `recv(buffer)` on a connected socket: no sender address,
 * no descriptors wanted. The same recvmsg(2) with the same control room (so a descriptor a peer
 * sent is still received, closed and reported through `truncated`), but the header is filled once
 * and reused while the buffer stays the same, and the result is made in one place with one shape.
 * @throws SystemError from recvmsg (ECONNRESET, EBADF, …).
 */
export function receivePlain(fd: number, target: Uint8Array): ReceivedMessage | null {
  const s = scratch ?? getScratch();
  if (!s.plainReceive) {
    s.setHeader(1, false, 0, s.control.byteLength);
    s.plainReceive = true;
    s.setIov(0, target);
  } else {
    s.resetPlainReceive(target);
  }
  const header = s.header;
  let received: number;
  while ((received = s.recvmsg(fd, header, s.recvFlags) as number) < 0) {
    if (!retryReceive()) return null;
  }
  // Nothing but descriptors (or credentials) fills the control buffer: without any, the reply needs
  // neither a scan nor a list of its own to close. (The length written back fits its lower word.)
  if (header[s.msgControllen.word] !== 0) return collect(s, received, target, 0, false);
  return {
    bytes: received,
    data: received === target.length ? target : target.subarray(0, received),
    fds: [],
    truncated: (header[s.msgFlags.word]! & s.truncatedFlags) !== 0,
    from: null,
    fromBytes: null,
  };
}

/** What a receive got, from the scratch header the kernel filled: data view, descriptors, flags, sender. */
function collect(s: Scratch, received: number, target: Uint8Array, maxFds: number, wantSender: boolean): ReceivedMessage {
  const flags = s.header[s.msgFlags.word]!;
  const fromBytes = wantSender ? addressBytes(s.name, s.header[s.msgNamelen.word]!) : null;
  const controlLength = load(s.header, s.msgControllen);
  const all = controlLength > 0 ? readRights(s, controlLength) : [];
  let fds = all;
  if (all.length > maxFds) {
    fds = all.slice(0, maxFds);
    for (const extra of all.slice(maxFds)) closeQuietly(extra);
  }
  return {
    bytes: received,
    // A buffer filled to the end is its own filled part: no new view needed.
    data: received === target.length ? target : target.subarray(0, received),
    fds,
    truncated: (flags & s.truncatedFlags) !== 0 || all.length > maxFds,
    from: fromBytes === null ? null : decoder.decode(fromBytes),
    fromBytes,
  };
}

/** Collects the descriptors of every SCM_RIGHTS message in the control data, close-on-exec. */
function readRights(s: Scratch, controlLength: number): number[] {
  const k = socketKernel();
  const words = s.control;
  const dataOffset = cmsgDataOffset();
  const fds: number[] = [];
  let offset = 0;
  while (offset + s.cmsgHeaderSize <= controlLength) {
    const base = offset / 4;
    const length = loadWord(words, base + s.cmsgLen.word, s.cmsgLen.wide);
    if (length < s.cmsgHeaderSize) break;
    const end = Math.min(offset + length, controlLength);
    if (words[base + s.cmsgLevelWord] === k.solSocket && words[base + s.cmsgTypeWord] === k.scmRights) {
      for (let at = offset + dataOffset; at + 4 <= end; at += 4) fds.push(words[at / 4]!);
    }
    offset += cmsgAlign(length);
  }
  if (!k.receivesCloexec) {
    try {
      for (const received of fds) setCloseOnExec(received);
    } catch (error) {
      for (const received of fds) closeQuietly(received);
      throw error;
    }
  }
  return fds;
}

function closeQuietly(fd: number): void {
  try {
    closeDescriptor(fd);
  } catch {
    // It was ours and is gone either way.
  }
}
