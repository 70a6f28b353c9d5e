/**
 * darwin-x64 (Intel Macs). Unverified: no layout check has run on macOS yet. Same layouts and
 * constants as darwin-arm64; only the variadic calling convention differs (SysV x86-64 passes
 * variadic arguments like named ones).
 *
 * @module
 */
import { darwinConstants, darwinFeatures, darwinKqueue, darwinStructs } from "./darwin-common.ts";
import type { AbiTables } from "./shape.ts";

/** The darwin-x64 ABI tables. */
export const darwinX64 = {
  id: "darwin-x64",
  os: "darwin",
  arch: "x64",
  verified: "unverified",
  // libc lives in libSystem; dlopen of the path resolves from the dyld shared cache even though
  // the file is no longer on disk (macOS 11 and later).
  libc: ["/usr/lib/libSystem.B.dylib"],
  // macOS has no POSIX message queues.
  librt: [],
  errnoFunction: "__error",
  // SysV x86-64: integer and pointer variadic arguments go in the same registers as named ones,
  // so a fixed-arity binding works.
  variadicArguments: "registers",
  // Never used: there is no mqd_t on macOS (features.mqueue is false); the field needs a value.
  mqdType: "fd",
  features: darwinFeatures,
  structs: darwinStructs,
  // __DARWIN_ALIGN32: control messages are 4-aligned, so CMSG_DATA is at +12 (8 on Linux and FreeBSD).
  cmsgAlign: 4,
  constants: darwinConstants,
  kqueue: darwinKqueue,
} as const satisfies AbiTables;
