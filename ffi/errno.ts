/**
 * The errno accessor: reads this thread's `errno` straight after a failing call.
 *
 * bun:ffi has no errno capture of its own. The address of the thread's errno comes once from
 * `__errno_location()` (glibc, musl) or `__error()` (macOS, FreeBSD); never bind glibc's `errno`
 * symbol, a TLS object that crashes when called (oven-sh/bun#22212). Read it before any other FFI
 * call or `await`: the next libc call may overwrite it. Measured reliable in about a million reads
 * (docs/design/bun-ffi.md §4).
 *
 * @module
 */
import { toArrayBuffer, type Pointer } from "bun:ffi";
import { constants as osConstants } from "node:os";
import * as util from "node:util";
import { openFirst } from "./load.ts";
import { abi } from "./select.ts";
import { errnoLocationSymbols, errorSymbols } from "./symbols.ts";

/** Calls the platform's accessor for the address of this thread's errno. */
function errnoAddress(): Pointer | bigint | null {
  if (abi === undefined) return null;
  if (abi.errnoFunction === "__error") return openFirst(abi.libc, errorSymbols).__error();
  return openFirst(abi.libc, errnoLocationSymbols).__errno_location();
}

// One view per thread over the errno cell; the module is instantiated per Worker, so per thread.
let errnoCell: Int32Array | undefined;

/**
 * This thread's current errno. Call it right after a call that reported failure.
 * Looking up the address the first time calls no function that can fail, so errno is unchanged.
 */
export function errno(): number {
  if (errnoCell === undefined) {
    const address = errnoAddress();
    if (address === null) return 0;
    errnoCell = new Int32Array(toArrayBuffer(Number(address) as Pointer, 0, 4));
  }
  return errnoCell[0]!;
}

// The runtime's own errno tables: Bun implements Node's util.getSystemErrorMap(), keyed like libuv
// by the negated errno, with the name and the message Node prints ("bad file descriptor"). Reached
// through the namespace, not a named import: a Bun without it must still load this module (a named
// import of a missing export fails the whole import graph before any version check can run).
const systemErrors: Map<number, [string, string]> =
  (util as { getSystemErrorMap?: () => Map<number, [string, string]> }).getSystemErrorMap?.() ?? new Map();

/** The errno name for a positive errno number (`9` → `"EBADF"` on Linux), or `"Unknown system error N"`. */
export function errnoName(code: number): string {
  return systemErrors.get(-code)?.[0] ?? `Unknown system error ${code}`;
}

/** The message Node gives for a positive errno number (`"bad file descriptor"`). */
export function errnoMessage(code: number): string {
  return systemErrors.get(-code)?.[1] ?? `unknown error ${code}`;
}

/** The running platform's errno number for a name (`"EAGAIN"` → 11 on Linux, 35 on macOS). */
export function errnoNumber(name: string): number {
  const value = (osConstants.errno as Record<string, number | undefined>)[name];
  if (value === undefined) throw new Error(`errnoNumber: the runtime knows no errno named ${name}`);
  return value;
}
