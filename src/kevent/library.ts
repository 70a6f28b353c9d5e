/**
 * Where bunix gets `kqueue()` and `kevent()`: the C library's own kqueue (macOS, FreeBSD), or a
 * kqueue library named by path or soname (libkqueue on Linux, which has no kqueue of its own).
 *
 * A library is opened once per path and kept, so every `Kqueue`, `Waker` and helper over it shares
 * one binding. The cache is this module's, and a Worker has module instances of its own, so each
 * thread opens the library once for itself (the dynamic loader shares the code underneath). This
 * module imports nothing but `ffi/` so that the helper threads' Worker scripts can load it.
 *
 * @internal
 * @module
 */
import { loadKqueueFrom, loadNativeKqueue } from "../../ffi/index.ts";

/** The bound `kqueue` and `kevent` functions of one kqueue implementation. */
export type KqueueFunctions = NonNullable<ReturnType<typeof loadNativeKqueue>>;

/** A bound `kevent` function: the native kqueue's or a library's (libkqueue). */
export type KeventCall = KqueueFunctions["kevent"];

// Loaded libraries by path, for this thread.
const libraries = new Map<string, KqueueFunctions>();

/**
 * The kqueue functions of `library`, or the C library's when `library` is undefined. Callers turn
 * a failure into the error of their own API (`Kqueue`, `Waker`, `waitAsync`).
 *
 * @returns undefined when `library` is undefined and the platform has no kqueue of its own.
 * @throws The loader's error when `library` cannot be opened or lacks `kqueue` or `kevent`.
 */
export function kqueueFunctions(library: string | undefined): KqueueFunctions | undefined {
  if (library === undefined) return loadNativeKqueue();
  let functions = libraries.get(library);
  if (functions === undefined) {
    functions = loadKqueueFrom(library);
    libraries.set(library, functions);
  }
  return functions;
}
