/**
 * The C reference programs of `bench/c/`: compiled with the system compiler at bench time into
 * the gitignored `bench/.out/`, run as child processes (inheriting the runner's CPU pinning), and
 * read back from the `result key=value …` line each prints.
 *
 * Without a compiler every bench still runs and says that the C columns are skipped.
 *
 * @module
 */
import { mkdirSync, statSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { isPinned } from "./pin.ts";

const sourceDir = fileURLToPath(new URL("../c/", import.meta.url));
const outDir = fileURLToPath(new URL("../.out/", import.meta.url));

let compiler: string | null | undefined;

/** The C compiler: `$CC`, else the first of cc, gcc, clang on the PATH; `null` when there is none. */
export function findCompiler(): string | null {
  if (compiler === undefined) {
    const candidates = [process.env.CC, "cc", "gcc", "clang"].filter((name): name is string => !!name);
    compiler = candidates.map((name) => Bun.which(name)).find((path) => path !== null) ?? null;
  }
  return compiler;
}

/** The first line of `cc --version`, or `null` without a compiler. */
export function compilerVersion(): string | null {
  const cc = findCompiler();
  if (cc === null) return null;
  const result = Bun.spawnSync([cc, "--version"]);
  return result.stdout.toString().split("\n")[0]?.trim() || cc;
}

function modifiedMs(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return -1;
  }
}

/** One `result` line of a C program, as its key=value pairs. */
export type CRecord = Readonly<Record<string, string>>;

/** A numeric field of a C result. @throws Error when the field is missing or not a number. */
export function field(record: CRecord, key: string): number {
  const value = Number(record[key]);
  if (record[key] === undefined || !Number.isFinite(value)) throw new Error(`C result lacks a numeric ${key}: ${JSON.stringify(record)}`);
  return value;
}

/** A compiled C reference program. */
export class CProgram {
  /** @param path - the executable in `bench/.out/`. */
  private constructor(readonly name: string, readonly path: string) {}

  /**
   * Compiles `bench/c/<name>.c` with `cc -O2 -pthread` unless the binary is newer than the source
   * and `bench.h`. Returns `null` when there is no compiler.
   * @throws Error with the compiler's output when compilation fails.
   */
  static build(name: string): CProgram | null {
    const cc = findCompiler();
    if (cc === null) return null;
    const source = `${sourceDir}${name}.c`;
    const binary = `${outDir}${name}`;
    const newestInput = Math.max(modifiedMs(source), modifiedMs(`${sourceDir}bench.h`));
    if (modifiedMs(binary) < newestInput) {
      mkdirSync(outDir, { recursive: true });
      const result = Bun.spawnSync([cc, "-O2", "-pthread", "-Wall", "-Wextra", "-o", binary, source]);
      if (result.exitCode !== 0) throw new Error(`compiling ${name}.c failed:\n${result.stderr.toString()}`);
    }
    return new CProgram(name, binary);
  }

  /**
   * Runs the program with `key=value` arguments and returns its `result` lines.
   * @throws Error when it exits non-zero or prints no result.
   */
  run(args: Readonly<Record<string, string | number>>): CRecord[] {
    const argv = Object.entries(args).map(([key, value]) => `${key}=${value}`);
    const child = Bun.spawnSync([this.path, ...argv]);
    const stdout = child.stdout.toString();
    if (child.exitCode !== 0) {
      throw new Error(`${this.name} ${argv.join(" ")} exited ${child.exitCode}: ${child.stderr.toString().trim()}`);
    }
    const records = stdout
      .split("\n")
      .filter((line) => line.startsWith("result "))
      .map((line) => Object.fromEntries(line.slice(7).trim().split(/\s+/).map((pair) => pair.split("=", 2) as [string, string])));
    if (records.length === 0) throw new Error(`${this.name} printed no result line:\n${stdout}`);
    // The programs report how many CPUs they may use: under a pinned runner it must be one.
    if (isPinned() && records.some((record) => record.cpus !== undefined && record.cpus !== "1")) {
      throw new Error(`${this.name} ran on more than one CPU although the runner is pinned`);
    }
    return records;
  }

  /** Runs the program and returns numeric field `key` of its single result line. */
  measure(args: Readonly<Record<string, string | number>>, key: string): number {
    return field(this.run(args)[0]!, key);
  }
}
