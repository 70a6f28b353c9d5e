/**
 * The variadic C calls the library makes, bound correctly for each ABI (docs/design/platform-abi.md §6).
 *
 * bun:ffi binds fixed-arity signatures only. That is right wherever variadic arguments travel like
 * named ones, and wrong on Apple arm64, where they go on the stack: there the binding is padded so
 * the value lands in the first stack slot. Callers see one plain function either way.
 *
 * @module
 */
import { openFirst } from "./load.ts";
import { abi } from "./select.ts";
import { fcntlRegisterSymbols, fcntlStackSymbols } from "./symbols.ts";

/** `fcntl(fd, cmd, arg)` with an integer `arg`, as one plain function. */
export type FcntlCall = (fd: number, cmd: number, arg: number) => number;

let fcntlCall: FcntlCall | undefined;

/**
 * `fcntl(fd, cmd, arg)` for commands that take an `int` (F_GETFD, F_SETFD, F_GETFL, F_SETFL,
 * F_DUPFD_CLOEXEC). Returns what fcntl returns; -1 means: read errno now.
 */
export function fcntl(fd: number, cmd: number, arg: number): number {
  if (fcntlCall === undefined) {
    if (abi === undefined) throw new Error("fcntl: no ABI tables for this platform");
    if (abi.variadicArguments === "stack") {
      const bound = openFirst(abi.libc, fcntlStackSymbols).fcntl;
      fcntlCall = (f, c, a) => bound(f, c, 0, 0, 0, 0, 0, 0, a);
    } else {
      const bound = openFirst(abi.libc, fcntlRegisterSymbols).fcntl;
      fcntlCall = (f, c, a) => bound(f, c, a);
    }
  }
  return fcntlCall(fd, cmd, arg);
}
