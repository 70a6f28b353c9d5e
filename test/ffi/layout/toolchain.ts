/**
 * Finds the C compiler for the layout check, and builds and runs the probe with it.
 *
 * @module
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { emulated } from "../../helpers/env.ts";

/** How to build a C program for the platform Bun runs on, and how to start it. */
export interface Toolchain {
  /** The compiler command, from `CC` where set. */
  readonly compiler: readonly string[];
  /** Words to put before the built program to start it (a qemu launcher), usually none. */
  readonly launcher: readonly string[];
}

/**
 * The toolchain for the running platform, or why there is none.
 *
 * Under the arm64 run (`BUNIX_EMULATED=1` on arm64) the `cc` on the PATH is the x86-64 host's, whose
 * programs would report x86-64 layouts, so the default there is Debian's aarch64 cross compiler.
 */
export function findToolchain(): Toolchain | { readonly missing: string } {
  const fallback = emulated && process.arch === "arm64" ? "aarch64-linux-gnu-gcc" : "cc";
  const compiler = (process.env.CC?.trim() || fallback).split(/\s+/);
  const program = compiler[0] ?? fallback;
  if (Bun.which(program) === null) {
    return { missing: `no C compiler: ${program} is not on the PATH (set CC to name one)` };
  }
  // The same launcher that starts Bun children under qemu without binfmt_misc (test/helpers/env.ts)
  // starts any aarch64 program.
  const launcher = process.env.BUNIX_CHILD_LAUNCHER?.split(" ").filter(Boolean) ?? [];
  return { compiler, launcher };
}

/**
 * Compiles `source` in a fresh temporary directory, runs the program, and returns what it printed.
 * The directory is removed afterwards either way.
 * @throws Error with the compiler's or the program's own output when either fails.
 */
export function compileAndRun(toolchain: Toolchain, source: string): string {
  const dir = mkdtempSync(join(tmpdir(), "bunix-layout-"));
  try {
    const file = join(dir, "probe.c");
    const binary = join(dir, "probe");
    writeFileSync(file, source);
    const build = Bun.spawnSync([...toolchain.compiler, "-o", binary, file], { stdout: "pipe", stderr: "pipe" });
    if (!build.success) {
      const output = `${build.stdout.toString()}${build.stderr.toString()}`.trim();
      throw new Error(`The C probe did not compile with ${toolchain.compiler.join(" ")}:\n${output}`);
    }
    const run = Bun.spawnSync([...toolchain.launcher, binary], { stdout: "pipe", stderr: "pipe" });
    if (!run.success) {
      throw new Error(`The C probe failed (exit ${run.exitCode ?? run.signalCode}):\n${run.stderr.toString().trim()}`);
    }
    return run.stdout.toString();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
