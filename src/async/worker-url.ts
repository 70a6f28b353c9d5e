/**
 * Where the helper threads' scripts are. When Bun runs the TypeScript sources (the package's `"bun"`
 * export) each script sits in its mechanism's folder beside this file; in `dist/` the build emits
 * both as entries of their own under `async/`, next to the bundle, so that they are not inlined.
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
  const here = import.meta.url;
  if (here.endsWith(".ts")) return new URL(SOURCE_PATHS[script], here).href;
  return new URL(`./async/${script}.js`, here).href;
}
