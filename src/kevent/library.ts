/**
 * Where bunix gets `kqueue()` and `kevent()`: the C library's own kqueue (macOS, FreeBSD), or a
 * kqueue library named by path or soname (libkqueue on Linux, which has no kqueue of its own).
 *
 * A library is opened once per path and kept, so every `Kqueue`, `Waker` and helper over it shares
 * one binding. The cache is this module's, and a Worker has module instances of its own, so each
 * thread opens the library once for itself (the dynamic loader shares the code underneath). This
 * module imports nothing but `ffi/` and the error helpers, so that the helper threads' Worker
 * scripts can load it.
 *
 * @internal
 * @module
 */
import { loadKqueueFrom, loadNativeKqueue } from "../../ffi/index.ts";
import { invalidType, invalidValue } from "../core/errors.ts";

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

/**
 * The `library` option of `Kqueue` and `Poller`: undefined, or a non-empty path without NUL (a NUL
 * would cut the name the dynamic loader sees).
 * @throws TypeError when it is not a string, is empty or holds a NUL.
 */
export function validateLibrary(library: unknown): string | undefined {
  if (library === undefined) return undefined;
  if (typeof library !== "string") throw invalidType("options.library", "of type string", library);
  if (library.length === 0 || library.includes("\0")) {
    throw invalidValue("options.library", "must be a non-empty path without NUL characters", library);
  }
  return library;
}
