/**
 * Facts about how the test suite is being run.
 * @module
 */

/** True under qemu-user emulation (the arm64 run sets BUNIX_EMULATED=1): use smaller bounds. */
export const emulated: boolean = process.env.BUNIX_EMULATED === "1";

/**
 * The command that starts a Bun child process. Under emulation without binfmt_misc, the arm64
 * run names a launcher (for example qemu with its library prefix) in BUNIX_CHILD_LAUNCHER.
 */
export function bunCommand(...args: string[]): string[] {
  const launcher = process.env.BUNIX_CHILD_LAUNCHER?.split(" ").filter(Boolean) ?? [];
  return [...launcher, process.execPath, ...args];
}
