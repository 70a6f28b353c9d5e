/**
 * Message-queue names: checked before any system call and encoded for `mq_open`/`mq_unlink`.
 *
 * @internal
 * @module
 */
import { abi } from "../../ffi/index.ts";
import { invalidType, invalidValue } from "../core/errors.ts";

const encoder = new TextEncoder();

/**
 * The longest name the kernel takes, in UTF-8 bytes after the leading slash: the platform table's
 * `mqNameMax` (the Linux boundary is checked in test/mqueue/names.test.ts).
 */
export function nameLimit(): number {
  // Where the platform has no queues, MsgQueue is ENOTSUP before a name matters; 255 keeps the
  // check meaningful for the error message.
  return abi?.mqNameMax ?? 255;
}

/**
 * Checks a queue name and returns it as a NUL-terminated UTF-8 string for the `cstring` argument.
 *
 * @throws TypeError when `name` is not a string, does not start with `/`, holds another `/` or a
 *   NUL, or is empty, `"/."` or `"/.."` after the slash (Linux refuses those with EACCES, FreeBSD
 *   with EINVAL: neither names a queue).
 * @throws RangeError when it is longer than {@link nameLimit} bytes after the slash.
 */
export function encodeQueueName(name: unknown, argument = "name"): Uint8Array {
  if (typeof name !== "string") throw invalidType(argument, "of type string", name);
  if (!name.startsWith("/")) throw invalidValue(argument, "must start with '/'", name);
  if (name.indexOf("/", 1) !== -1) throw invalidValue(argument, "must hold no '/' after the first character", name);
  if (name.includes("\0")) throw invalidValue(argument, "must not contain a NUL character", name);
  if (name === "/" || name === "/." || name === "/..") {
    throw invalidValue(argument, "must have a name after the '/' other than '.' or '..'", name);
  }
  const bytes = encoder.encode(`${name}\0`);
  // Less the slash and the terminating NUL.
  const length = bytes.length - 2;
  const limit = nameLimit();
  if (length > limit) {
    const error = new RangeError(
      `The value of "${argument}" is out of range. It must be at most ${limit} bytes after the '/' (UTF-8). Received ${length} bytes`,
    );
    (error as RangeError & { code: string }).code = "ERR_OUT_OF_RANGE";
    throw error;
  }
  return bytes;
}
