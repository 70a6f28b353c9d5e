/**
 * The one error type of bunix, and the argument errors.
 *
 * @module
 */
import { errno as readErrno, errnoMessage, errnoName, errnoNumber, hostOs } from "../../ffi/index.ts";

/**
 * A failed system call, shaped like Node's own system errors: `code` is the errno name
 * (`"EBADF"`), `errno` the negated errno number (as Bun's `fs` errors give it: `-9` for EBADF on
 * Linux), `syscall` the call (`"epoll_ctl"`) or, for errors no system call produced, the library
 * method (`"Epoll.add"`). The message reads like Node's: `EBADF: bad file descriptor, epoll_ctl`.
 *
 * @example
 * ```ts
 * import { SystemError } from "bunix";
 * try { new Epoll().delete(12345); } catch (e) {
 *   if (e instanceof SystemError && e.code === "EBADF") console.log(e.syscall); // "epoll_ctl"
 * }
 * ```
 */
export class SystemError extends Error {
  /** The errno name: `"EBADF"`, `"ENOENT"`, … The same on every platform. */
  readonly code: string;
  /** The negated errno number, as Bun's `fs` errors give it. Differs between platforms; compare `code`. */
  readonly errno: number;
  /** The system call that failed, or the library method for errors no system call produced. */
  readonly syscall: string;
  /** The path or name involved, where there is one. */
  declare readonly path?: string;

  /**
   * @param code - errno name, such as `"EBADF"`.
   * @param syscall - the system call or library method.
   * @param detail - the description after the code; defaults to the runtime's text for the errno.
   * @param path - a path or name to append to the message.
   */
  constructor(code: string, syscall: string, detail?: string, path?: string) {
    const number = knownErrno(code);
    const description = detail ?? (number === undefined ? code : errnoMessage(number));
    super(`${code}: ${description}, ${syscall}${path === undefined ? "" : ` '${path}'`}`);
    this.name = "SystemError";
    this.code = code;
    this.errno = number === undefined ? 0 : -number;
    this.syscall = syscall;
    if (path !== undefined) this.path = path;
  }

  /** The error for a positive errno number reported by `syscall`. */
  static fromErrno(errnoValue: number, syscall: string, path?: string): SystemError {
    return new SystemError(errnoName(errnoValue), syscall, undefined, path);
  }
}

function knownErrno(code: string): number | undefined {
  try {
    return errnoNumber(code);
  } catch {
    return undefined;
  }
}

/**
 * Reads errno now and makes the error for it. Call it straight after the failing call, before
 * any other FFI call.
 * @internal
 */
export function lastError(syscall: string, path?: string): SystemError {
  return SystemError.fromErrno(readErrno(), syscall, path);
}

/**
 * The error for using an object after `close()`: EBADF, naming the object and the method.
 * @internal
 */
export function closedError(what: string, method: string): SystemError {
  return new SystemError("EBADF", `${what}.${method}`, `${what} is closed`);
}

/**
 * The error for something the running platform lacks: ENOTSUP, naming the class.
 * @internal
 */
export function unsupportedError(what: string, reason = `not supported on ${hostOs}`): SystemError {
  return new SystemError("ENOTSUP", what, `${what} is ${reason}`);
}

/** A `TypeError` with Node's code for a value of the wrong type. @internal */
export function invalidType(name: string, expected: string, value: unknown): TypeError {
  const error = new TypeError(`The "${name}" argument must be ${expected}. Received ${describe(value)}`);
  (error as TypeError & { code: string }).code = "ERR_INVALID_ARG_TYPE";
  return error;
}

/** A `RangeError` with Node's code for a value out of range. @internal */
export function outOfRange(name: string, expected: string, value: unknown): RangeError {
  const error = new RangeError(`The value of "${name}" is out of range. It must be ${expected}. Received ${describe(value)}`);
  (error as RangeError & { code: string }).code = "ERR_OUT_OF_RANGE";
  return error;
}

/** A `TypeError` with Node's code for a value of the right type but the wrong form. @internal */
export function invalidValue(name: string, reason: string, value: unknown): TypeError {
  const error = new TypeError(`The argument "${name}" ${reason}. Received ${describe(value)}`);
  (error as TypeError & { code: string }).code = "ERR_INVALID_ARG_VALUE";
  return error;
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (value === undefined) return "undefined";
  if (typeof value === "string") return `type string (${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)})`;
  if (typeof value === "number" || typeof value === "bigint" || typeof value === "boolean") {
    return `type ${typeof value} (${String(value)}${typeof value === "bigint" ? "n" : ""})`;
  }
  if (typeof value === "function") return `function ${value.name || "<anonymous>"}`;
  const name = (value as object).constructor?.name;
  return name ? `an instance of ${name}` : "an object";
}
