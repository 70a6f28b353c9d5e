/**
 * Where bunix gets `kqueue()` and `kevent()`: the C library's own kqueue (macOS, FreeBSD), or a
 * kqueue library named by path or soname (libkqueue on Linux, which has no kqueue of its own).
 *
 * @internal
 * @module
 */
import type { loadNativeKqueue } from "../../ffi/index.ts";

/** The bound `kqueue` and `kevent` functions of one kqueue implementation. */
export type KqueueFunctions = NonNullable<ReturnType<typeof loadNativeKqueue>>;

/** A bound `kevent` function: the native kqueue's or a library's (libkqueue). */
export type KeventCall = KqueueFunctions["kevent"];
