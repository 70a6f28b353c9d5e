/**
 * darwin-arm64 (Apple silicon). Unverified: no layout check has run on macOS yet. Apple's arm64
 * ABI puts every variadic argument on the stack, so `fcntl`, `open` with `O_CREAT` and `ioctl`
 * need the padded bindings of `ffi/variadic.ts` (docs/design/platform-abi.md §6).
 *
 * @module
 */
import { darwinCommon } from "./darwin-common.ts";
import type { AbiTables } from "./shape.ts";

/** The darwin-arm64 ABI tables. */
export const darwinArm64 = {
  ...darwinCommon,
  id: "darwin-arm64",
  arch: "arm64",
  verified: "unverified",
  // Unlike AAPCS64, Apple passes each variadic argument in its own 8-byte stack slot.
  variadicArguments: "stack",
} as const satisfies AbiTables;
