/**
 * Where the helper threads' scripts are: beside this file when Bun runs the TypeScript sources
 * (the package's `"bun"` export), or under `async/` next to the bundle in `dist/` (the build lists
 * both scripts as entries of their own, so that they are not inlined into the bundle).
 *
 * @internal
 * @module
 */

/** The helper thread scripts. */
export type HelperScript = "readiness-worker" | "kevent-worker";

/** The URL of a helper thread's script, for `new Worker`. */
export function helperScriptUrl(script: HelperScript): string {
  const here = import.meta.url;
  if (here.endsWith(".ts")) return new URL(`./${script}.ts`, here).href;
  return new URL(`./async/${script}.js`, here).href;
}
