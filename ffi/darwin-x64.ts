/**
 * darwin-x64 (Intel Macs). Unverified: no layout check has run on macOS yet. Same layouts and
 * constants as darwin-arm64; only the variadic calling convention differs (SysV x86-64 passes
 * variadic arguments like named ones).
 *
 * @module
 */
import { darwinCommon } from "./darwin-common.ts";
import type { AbiTables } from "./shape.ts";

/** The darwin-x64 ABI tables. */
export const darwinX64 = {
  ...darwinCommon,
  id: "darwin-x64",
  arch: "x64",
  verified: "unverified",
  // SysV x86-64: integer and pointer variadic arguments go in the same registers as named ones,
  // so a fixed-arity binding works.
  variadicArguments: "registers",
} as const satisfies AbiTables;
