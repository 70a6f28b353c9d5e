/**
 * What runtimes other than Bun get for `import "bunix"` (the `node` export condition): the runtime
 * check alone, which throws an error saying that bunix runs on Bun and where to get it, instead of
 * the engine's own failure at the first `bun:ffi` import.
 *
 * @internal
 * @module
 */
import { checkRuntime } from "./core/runtime.ts";

export {};

// Imported first, so that an unsupported runtime is named before anything else loads; called here
// so that no bundler drops it (see core/runtime.ts).
checkRuntime();
