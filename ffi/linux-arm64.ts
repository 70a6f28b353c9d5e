/**
 * linux-arm64 (glibc; musl's soname as a fallback). Verified under emulation: `npm run test:arm64`
 * runs the arm64 build of Bun under qemu-user, and the layout check compiles with Debian's aarch64
 * cross compiler.
 *
 * @module
 */
import { linuxCommon, linuxConstants, linuxStructs } from "./linux-common.ts";
import type { AbiTables } from "./shape.ts";

/** The linux-arm64 ABI tables. */
export const linuxArm64 = {
  ...linuxCommon,
  id: "linux-arm64",
  arch: "arm64",
  verified: "emulated",
  // The same sonames as on linux-x64 (see there), but musl's names the CPU.
  libc: ["libc.so.6", "libc.musl-aarch64.so.1"],
  librt: ["libc.so.6", "librt.so.1", "libc.musl-aarch64.so.1"],
  libutil: ["libc.so.6", "libutil.so.1", "libc.musl-aarch64.so.1"],
  structs: {
    ...linuxStructs,
    // arm64 glibc does not pack epoll_event: data is 8-aligned, stride 16.
    epoll_event: { size: 16, fields: { events: { offset: 0, size: 4 }, data: { offset: 8, size: 8 } } },
  },
  constants: {
    ...linuxConstants,
    O_DIRECTORY: 0x4000,
    O_NOFOLLOW: 0x8000,
    // arm64 has no epoll_wait system call: epoll_pwait with a NULL mask does its work.
    SYS_epoll_ctl: 21,
    SYS_epoll_pwait: 22,
  },
} as const satisfies AbiTables;
