/**
 * Where the helper threads' scripts are.
 *
 * Run from the TypeScript sources (this repository's tests), each script sits in its mechanism's
 * folder beside this file. The published build replaces this module (see `tsup.config.ts`) with one
 * that imports each script, prebuilt as a single self-contained file, `with { type: "file" }`: the
 * one form Bun's bundler follows to a Worker script. `bun build` then copies the scripts next to the
 * app's bundle and `bun build --compile` embeds them, while a path computed at run time (the
 * sources' form) would name a file no bundler ever saw.
 *
 * @internal
 * @module
 */
/** The helper thread scripts. */
export type HelperScript = "readiness-worker" | "kevent-worker";

/** Each script's source file, relative to this module. */
const SOURCE_PATHS: Record<HelperScript, string> = {
  "readiness-worker": "./readiness-thread/worker.ts",
  "kevent-worker": "./libkqueue-helper/worker.ts",
};

/** The URL of a helper thread's script, for `new Worker`. */
export function helperScriptUrl(script: HelperScript): string {
  return new URL(SOURCE_PATHS[script], import.meta.url).href;
}

