/**
 * The runtime check that runs first on import: bunix needs Bun, and a Bun at least as new as
 * {@link MINIMUM_BUN}. An older Bun gets one clear error naming both versions instead of a failure
 * somewhere deep inside (Bun 1.4.0 leaks a descriptor each time a Worker ends; 1.3.x lacks
 * `util.getSystemErrorMap`, so every errno would be nameless).
 *
 * @internal
 * @module
 */

/** The oldest Bun release the whole test suite passes on; `engines.bun` in package.json says the same. */
export const MINIMUM_BUN = "1.4.1";

/** The message for a runtime bunix cannot run on, or `undefined` when this one is fine. */
export function unsupportedRuntime(bunVersion: string | undefined): string | undefined {
  if (bunVersion === undefined) {
    return `bunix runs on Bun (>= ${MINIMUM_BUN}), not on this runtime. Install Bun from https://bun.com and run your program with \`bun\`.`;
  }
  if (!Bun.semver.satisfies(bunVersion, `>=${MINIMUM_BUN}`)) {
    return `bunix needs Bun ${MINIMUM_BUN} or newer; this is Bun ${bunVersion}. Run \`bun upgrade\`.`;
  }
  return undefined;
}

/**
 * Throws the {@link unsupportedRuntime} message when there is one. It runs when this module loads,
 * which is first: each entry imports it before anything else. Each entry also calls it, because a
 * bare `import "./runtime.ts"` would be dropped by bundlers, the package being `sideEffects: false`.
 */
export function checkRuntime(): void {
  const problem = unsupportedRuntime(process.versions.bun);
  if (problem !== undefined) throw new Error(problem);
}

checkRuntime();
