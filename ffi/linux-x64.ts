/**
 * linux-x64 (glibc; musl's soname as a fallback). Verified natively: the layout check compiles
 * against this machine's headers on every test run.
 *
 * @module
 */
import { linuxCommon, linuxConstants, linuxStructs } from "./linux-common.ts";
import type { AbiTables } from "./shape.ts";

/** The linux-x64 ABI tables. */
export const linuxX64 = {
  ...linuxCommon,
  id: "linux-x64",
  arch: "x64",
  verified: "native",
  // libc.so (no version) is a GNU ld text script on glibc, so dlopen needs the soname.
  libc: ["libc.so.6", "libc.musl-x86_64.so.1"],
  // glibc >= 2.34 has mq_* in libc; librt.so.1 is the older home and a stub afterwards.
  librt: ["libc.so.6", "librt.so.1", "libc.musl-x86_64.so.1"],
  // glibc >= 2.34 has openpty in libc; libutil.so.1 is the older home.
  libutil: ["libc.so.6", "libutil.so.1", "libc.musl-x86_64.so.1"],
  structs: {
    ...linuxStructs,
    // x86-64 glibc declares epoll_event __attribute__((packed)): data sits unaligned at 4, stride 12.
    epoll_event: { size: 12, fields: { events: { offset: 0, size: 4 }, data: { offset: 4, size: 8 } } },
  },
  constants: {
    ...linuxConstants,
    O_DIRECTORY: 0x10000,
    O_NOFOLLOW: 0x20000,
    SYS_epoll_wait: 232,
    SYS_epoll_ctl: 233,
    SYS_epoll_pwait: 281,
  },
} as const satisfies AbiTables;
