/**
 * `struct sockaddr_un`: socket paths to the kernel's bytes and back.
 *
 * The layout comes from ffi/: Linux has a 2-byte `sun_family` and a 108-byte `sun_path`; BSD and
 * macOS start with a `sun_len` byte, then a 1-byte family and a 104-byte path. A path is measured
 * in bytes (UTF-8 for a string). Linux takes a path that fills all 108 bytes with no NUL after it
 * (it terminates its own copy; unix(7)), so the longest there is 108; on BSD and macOS, where that
 * is untested, a path keeps room for its NUL and the longest is 103.
 *
 * A path may be given as bytes (a `Uint8Array`) for names that are not UTF-8; received addresses
 * are returned as bytes too (`fromBytes`), so a reply can reach a sender whatever its name.
 *
 * A Linux abstract name starts with `"\0"`: the name is every byte after it up to the address
 * length, with no NUL at the end, and no file is created (unix(7)). Abstract names are shown with
 * a leading `@` in error messages, as `ss` and `netstat` print them.
 *
 * @internal
 * @module
 */
import { constant, hostOs, struct } from "../../ffi/index.ts";
import { SystemError, invalidType, invalidValue, outOfRange } from "../core/errors.ts";
import { platform } from "../core/platform.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * A socket path: a string (sent as UTF-8) or the exact bytes of the name, for names that are not
 * UTF-8. A leading NUL (`"\0"` or a first byte 0) is a Linux abstract name.
 */
export type SocketPath = string | Uint8Array;

/** A path made ready for bind, connect or sendmsg. */
export interface EncodedAddress {
  /** The sockaddr_un, in memory of its own (an ArrayBuffer, so its address is stable). */
  readonly bytes: Uint8Array;
  /** The address length to pass with it: family + path + NUL, or family + abstract name. */
  readonly length: number;
  /** The path as given, or decoded from its bytes (invalid UTF-8 as U+FFFD). */
  readonly path: string;
  /** The path as given (bytes without a trailing NUL): what a bound socket needs to find its file again. */
  readonly given: SocketPath;
  /** The path for messages: an abstract name as `@name`. */
  readonly display: string;
  /** Whether it is a Linux abstract name (no file behind it). */
  readonly abstract: boolean;
}

/**
 * Encodes `path` as a sockaddr_un.
 * @param name - the argument's name, for errors.
 * @param method - the library method, for ENOTSUP.
 * @throws TypeError when `path` is neither a string nor a Uint8Array, or holds a NUL after the
 *   first byte (bytes may end with one NUL, as the kernel reports some names).
 * @throws RangeError when it is empty or longer than the platform's sun_path allows, in bytes.
 * @throws SystemError ENOTSUP for an abstract name where the platform has none.
 */
export function encodeAddress(path: unknown, name: string, method: string): EncodedAddress {
  let encoded: Uint8Array;
  if (typeof path === "string") {
    encoded = encoder.encode(path);
  } else if (path instanceof Uint8Array) {
    // A name as recvmsg reports it may carry its terminating NUL; that NUL is not part of the path.
    encoded = path.length > 1 && path[0] !== 0 && path[path.length - 1] === 0 ? path.subarray(0, path.length - 1) : path;
  } else {
    throw invalidType(name, "a string or a Uint8Array", path);
  }
  const abstract = encoded.length > 0 && encoded[0] === 0;
  if (abstract && !platform.supports.abstractSockets) {
    throw new SystemError("ENOTSUP", method, `abstract socket names (a leading NUL) are Linux-only, not available on ${hostOs}`);
  }
  if (!abstract && encoded.includes(0)) throw invalidValue(name, "must not contain NUL bytes", path);
  const layout = struct("sockaddr_un");
  const pathField = layout.fields.sun_path;
  // An abstract name may fill sun_path, and so may a file path where the kernel terminates its own
  // copy (Linux); elsewhere a file path needs its NUL inside sun_path.
  const room = abstract || fullLengthPaths() ? pathField.size : pathField.size - 1;
  if (encoded.length === 0 || encoded.length > room) {
    const unit = typeof path === "string" ? "bytes in UTF-8" : "bytes";
    throw outOfRange(name, `a path of 1 to ${room} ${unit} on ${hostOs} (this one has ${encoded.length})`, path);
  }
  const bytes = new Uint8Array(new ArrayBuffer(layout.size));
  bytes.set(encoded, pathField.offset);
  const terminated = !abstract && encoded.length < pathField.size;
  const length = pathField.offset + encoded.length + (terminated ? 1 : 0);
  writeFamily(bytes, length);
  const text = typeof path === "string" ? path : decoder.decode(encoded);
  return { bytes, length, path: text, given: typeof path === "string" ? path : encoded, display: displayPath(text), abstract };
}

/** How messages name a socket path: a Linux abstract name (a leading NUL) as `@name`. @internal */
export function displayPath(path: string): string {
  return path.startsWith("\0") ? `@${path.slice(1)}` : path;
}

/** Whether the kernel takes a file path that fills sun_path with no NUL: Linux, where it is tested. */
function fullLengthPaths(): boolean {
  return platform.os === "linux";
}

/** Writes sun_family (and, on BSD, sun_len) into a sockaddr_un. */
function writeFamily(bytes: Uint8Array, length: number): void {
  const { fields } = struct("sockaddr_un");
  const family = constant("AF_UNIX");
  // sun_family is a little-endian u16 on Linux and a single byte on BSD.
  bytes[fields.sun_family.offset] = family & 0xff;
  if (fields.sun_family.size === 2) bytes[fields.sun_family.offset + 1] = family >> 8;
  if (fields.sun_len !== undefined) bytes[fields.sun_len.offset] = length;
}

/**
 * The path in a sockaddr_un the kernel filled (recvmsg's msg_name, getsockname), or `null` for an
 * unnamed socket: Linux reports those with just the family (length 2), BSD with an empty path.
 * Bytes that are not UTF-8 read as U+FFFD: use {@link addressBytes} to reach such a socket.
 */
export function decodeAddress(bytes: Uint8Array, length: number): string | null {
  const name = addressBytes(bytes, length);
  return name === null ? null : decoder.decode(name);
}

/**
 * The name in a sockaddr_un the kernel filled, as bytes of its own: a file path without its NUL,
 * an abstract name (Linux) with its leading NUL and every byte up to the length; `null` for an
 * unnamed socket.
 */
export function addressBytes(bytes: Uint8Array, length: number): Uint8Array | null {
  const pathField = struct("sockaddr_un").fields.sun_path;
  const end = Math.min(length, pathField.offset + pathField.size);
  if (end <= pathField.offset) return null;
  const path = bytes.subarray(pathField.offset, end);
  if (path[0] === 0) {
    // Linux: an abstract name, every byte up to the length. BSD: an unnamed socket, zero-filled.
    return platform.supports.abstractSockets ? path.slice() : null;
  }
  const nul = path.indexOf(0);
  return (nul < 0 ? path : path.subarray(0, nul)).slice();
}

/** The family value read from a sockaddr (sun_family), for checking a descriptor is AF_UNIX. */
export function readFamily(bytes: Uint8Array): number {
  const field = struct("sockaddr_un").fields.sun_family;
  return field.size === 2 ? bytes[field.offset]! | (bytes[field.offset + 1]! << 8) : bytes[field.offset]!;
}
