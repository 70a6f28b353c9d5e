/**
 * `struct sockaddr_un`: socket paths to the kernel's bytes and back.
 *
 * The layout comes from ffi/: Linux has a 2-byte `sun_family` and a 108-byte `sun_path`; BSD and
 * macOS start with a `sun_len` byte, then a 1-byte family and a 104-byte path. A path is measured
 * in UTF-8 bytes and needs room for its NUL, so the longest is 107 bytes on Linux and 103 on BSD.
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

/** A path made ready for bind, connect or sendmsg. */
export interface EncodedAddress {
  /** The sockaddr_un, in memory of its own (an ArrayBuffer, so its address is stable). */
  readonly bytes: Uint8Array;
  /** The address length to pass with it: family + path + NUL, or family + abstract name. */
  readonly length: number;
  /** The path as given. */
  readonly path: string;
  /** The path for messages: an abstract name as `@name`. */
  readonly display: string;
  /** Whether it is a Linux abstract name (no file behind it). */
  readonly abstract: boolean;
}

/**
 * Encodes `path` as a sockaddr_un.
 * @param name - the argument's name, for errors.
 * @param method - the library method, for ENOTSUP.
 * @throws TypeError when `path` is not a string or holds a NUL after the first byte.
 * @throws RangeError when it is empty or longer than the platform's sun_path allows, in UTF-8 bytes.
 * @throws SystemError ENOTSUP for an abstract name where the platform has none.
 */
export function encodeAddress(path: unknown, name: string, method: string): EncodedAddress {
  if (typeof path !== "string") throw invalidType(name, "of type string", path);
  const abstract = path.startsWith("\0");
  if (abstract && !platform.supports.abstractSockets) {
    throw new SystemError("ENOTSUP", method, `abstract socket names (a leading NUL) are Linux-only, not available on ${hostOs}`);
  }
  if (!abstract && path.includes("\0")) throw invalidValue(name, "must not contain NUL bytes", path);
  const layout = struct("sockaddr_un");
  const pathField = layout.fields.sun_path;
  // A file path needs its terminating NUL inside sun_path; an abstract name may fill it.
  const room = abstract ? pathField.size : pathField.size - 1;
  const encoded = encoder.encode(path);
  if (encoded.length === 0 || encoded.length > room) {
    throw outOfRange(name, `a path of 1 to ${room} bytes in UTF-8 on ${hostOs} (this one has ${encoded.length})`, path);
  }
  const bytes = new Uint8Array(new ArrayBuffer(layout.size));
  bytes.set(encoded, pathField.offset);
  const length = pathField.offset + encoded.length + (abstract ? 0 : 1);
  writeFamily(bytes, length);
  return { bytes, length, path, display: abstract ? `@${path.slice(1)}` : path, abstract };
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
 */
export function decodeAddress(bytes: Uint8Array, length: number): string | null {
  const pathField = struct("sockaddr_un").fields.sun_path;
  const end = Math.min(length, pathField.offset + pathField.size);
  if (end <= pathField.offset) return null;
  const path = bytes.subarray(pathField.offset, end);
  if (path[0] === 0) {
    // Linux: an abstract name, every byte up to the length. BSD: an unnamed socket, zero-filled.
    return platform.supports.abstractSockets ? `\0${decoder.decode(path.subarray(1))}` : null;
  }
  const nul = path.indexOf(0);
  return decoder.decode(nul < 0 ? path : path.subarray(0, nul));
}

/** The family value read from a sockaddr (sun_family), for checking a descriptor is AF_UNIX. */
export function readFamily(bytes: Uint8Array): number {
  const field = struct("sockaddr_un").fields.sun_family;
  return field.size === 2 ? bytes[field.offset]! | (bytes[field.offset + 1]! << 8) : bytes[field.offset]!;
}
