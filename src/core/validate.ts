/**
 * Argument checks shared by every class: bad input never reaches the kernel. Wrong type is a
 * `TypeError`, out of range (including NaN and non-integers where an integer is needed) a
 * `RangeError`; each names the argument.
 *
 * @internal
 * @module
 */
import { invalidType, outOfRange } from "./errors.ts";

const INT32_MAX = 0x7fffffff;
const UINT32_MAX = 0xffffffff;

/** An integer in [min, max], or throws. */
export function validateInteger(value: unknown, name: string, min: number, max: number): number {
  if (typeof value !== "number") throw invalidType(name, "of type number", value);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw outOfRange(name, `an integer >= ${min} and <= ${max}`, value);
  }
  return value;
}

/**
 * The error for a bad entry index of a result list (`EpollEvents`, `KeventList`, `PollEvents`):
 * a TypeError for a non-number, a RangeError otherwise. The accessors test
 * `typeof i === "number" && (i >>> 0) === i && i < length` inline and call this only when that
 * fails, so their hot path pays nothing for it; the `typeof` comes first so that `>>>` never meets
 * a bigint, a Symbol or an object it cannot convert (the engine's own errors, which name nothing).
 */
export function indexError(index: unknown, length: number): TypeError | RangeError {
  if (typeof index !== "number") return invalidType("index", "of type number", index);
  return outOfRange("index", length === 0 ? "an index into an empty result (length 0)" : `an integer >= 0 and < ${length}`, index);
}

/** A file descriptor: an integer in [0, 2^31 - 1]. */
export function validateFd(value: unknown, name = "fd"): number {
  return validateInteger(value, name, 0, INT32_MAX);
}

/** An unsigned 32-bit bit mask (event masks, flags). Negative numbers are rejected, not wrapped. */
export function validateUint32(value: unknown, name: string): number {
  return validateInteger(value, name, 0, UINT32_MAX);
}

/** A boolean, or `fallback` when `undefined`. */
export function validateBoolean(value: unknown, name: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== "boolean") throw invalidType(name, "of type boolean", value);
  return value;
}

/** An options object: `undefined` becomes `{}`; anything but a plain object is a TypeError. */
export function validateOptions<T extends object>(value: T | undefined, name = "options"): Partial<T> {
  if (value === undefined) return {};
  if (value === null || typeof value !== "object" || Array.isArray(value)) throw invalidType(name, "of type object", value);
  return value;
}
