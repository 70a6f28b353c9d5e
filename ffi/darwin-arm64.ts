/**
 * darwin-arm64 (Apple silicon). Unverified: no layout check has run on macOS yet. Apple's arm64
 * ABI puts every variadic argument on the stack, so `fcntl`, `open` with `O_CREAT` and `ioctl`
 * need the padded bindings of `ffi/variadic.ts` (ABI.md section 4).
 *
 * @module
 */
import { darwinConstants, darwinFeatures, darwinKqueue, darwinStructs } from "./darwin-common.ts";
import type { AbiTables } from "./shape.ts";

/** The darwin-arm64 ABI tables. */
export const darwinArm64 = {
  id: "darwin-arm64",
  os: "darwin",
  arch: "arm64",
  verified: "unverified",
  // libc lives in libSystem; dlopen of the path resolves from the dyld shared cache even though
  // the file is no longer on disk (macOS 11 and later).
  libc: ["/usr/lib/libSystem.B.dylib"],
  // macOS has no POSIX message queues.
  librt: [],
  errnoFunction: "__error",
  // Unlike AAPCS64, Apple passes each variadic argument in its own 8-byte stack slot.
  variadicArguments: "stack",
  // Never used: there is no mqd_t on macOS (features.mqueue is false); the field needs a value.
  mqdType: "fd",
  features: darwinFeatures,
  structs: darwinStructs,
  // __DARWIN_ALIGN32: control messages are 4-aligned, so CMSG_DATA is at +12 (8 on Linux and FreeBSD).
  cmsgAlign: 4,
  constants: darwinConstants,
  kqueue: darwinKqueue,
} as const satisfies AbiTables;
