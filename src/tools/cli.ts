/**
 * What the command-line tools (mqsend, mqrecv, bunix-echo, bunix-ping) share: exit codes, number
 * parsing, and the one place that turns an error into a message on standard error and an exit
 * status.
 *
 * @internal
 * @module
 */
import { SystemError } from "../core/errors.ts";
import packageJson from "../../package.json" with { type: "json" };

/** The exit statuses of every tool. */
export const Exit = {
  /** Done. */
  ok: 0,
  /** `mqrecv`: nothing received, or fewer messages than asked (empty queue or time out). */
  short: 1,
  /** Bad command line or arguments. */
  usage: 2,
  /** A system call failed. */
  system: 3,
} as const;

/** A command-line mistake: reported with a pointer to `--help`, exit status 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/** Parses an option's value as an integer in [min, max], or throws a UsageError naming the option. */
export function parseInteger(text: string, option: string, min: number, max: number): number {
  const value = /^-?\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new UsageError(`${option} takes an integer from ${min} to ${max}, not '${text}'`);
  }
  return value;
}

/** What `TOOL --version` prints: the tool's name and the bunix version it belongs to. */
export function versionLine(tool: string): string {
  return `${tool} ${packageJson.version}`;
}

/** Whether the command line asks for the version: `--version` anywhere before a `--`. */
export function wantsVersion(args: readonly string[]): boolean {
  const end = args.indexOf("--");
  return (end === -1 ? args : args.slice(0, end)).includes("--version");
}

/**
 * Runs a tool's `main` and sets the exit status: what `main` returns, 2 for a usage error (a
 * parseArgs error, a UsageError, or the library's TypeError/RangeError for a bad name or size),
 * 3 for a SystemError or anything unexpected. Messages go to standard error, prefixed by the tool.
 * `--version` is answered here, for every tool, before `main` parses anything.
 */
export async function runTool(tool: string, main: () => Promise<number>): Promise<void> {
  if (wantsVersion(process.argv.slice(2))) {
    console.log(versionLine(tool));
    process.exitCode = Exit.ok;
    return;
  }
  let status: number;
  try {
    status = await main();
  } catch (error) {
    status = report(tool, error);
  }
  process.exitCode = status;
}

function report(tool: string, error: unknown): number {
  if (error instanceof UsageError || isParseArgsError(error)) {
    console.error(`${tool}: ${(error as Error).message}\nTry '${tool} --help' for more information.`);
    return Exit.usage;
  }
  // The library's argument errors: a malformed name, a message too long, a priority out of range.
  if (error instanceof TypeError || error instanceof RangeError) {
    console.error(`${tool}: ${error.message}`);
    return Exit.usage;
  }
  if (error instanceof SystemError) {
    console.error(`${tool}: ${error.message}`);
    return Exit.system;
  }
  console.error(`${tool}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  return Exit.system;
}

function isParseArgsError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && code.startsWith("ERR_PARSE_ARGS_");
}
