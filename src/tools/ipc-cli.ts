/**
 * What `bunix-echo` and `bunix-ping` share: the default socket path, and the console logger that
 * the tools (never the library) install, filtered by level.
 *
 * @internal
 * @module
 */
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Logger, LogLevel } from "../core/log.ts";
import { platform } from "../core/platform.ts";
import { UsageError } from "./cli.ts";

/**
 * Where `bunix-echo` listens and `bunix-ping` connects unless `--socket` says otherwise: in
 * `$XDG_RUNTIME_DIR` when it is set (a directory of the user's own, mode 700), else in the
 * temporary directory.
 */
export function defaultSocketPath(env: Record<string, string | undefined> = process.env): string {
  const runtime = env.XDG_RUNTIME_DIR;
  return join(runtime !== undefined && runtime !== "" ? runtime : tmpdir(), "bunix-echo.sock");
}

/**
 * The socket a `--socket` value names, as the library takes it: `@name` is the Linux abstract
 * name `name` (a leading NUL, no file); anything else is a path (`./@file` for a file whose name
 * starts with `@`).
 * @throws UsageError for an empty value, a bare `@`, or `@name` where there are no abstract sockets.
 */
export function socketArgument(value: string): string {
  if (value === "") throw new UsageError("--socket takes a path, or @name for an abstract socket");
  if (!value.startsWith("@")) return value;
  if (value.length === 1) throw new UsageError("--socket @name needs a name after the @");
  if (!platform.supports.abstractSockets) throw new UsageError(`--socket ${value}: abstract sockets exist only on Linux, not on ${platform.os}`);
  return `\0${value.slice(1)}`;
}

const LEVELS: readonly LogLevel[] = ["debug", "info", "warn", "error"];

/**
 * The level to log at: `BUNIX_LOG` (debug, info, warn, error; also `silent`), made at least `info`
 * by `--verbose`; `null` for silence (the default).
 * @throws UsageError for another value of `BUNIX_LOG`.
 */
export function logLevel(verbose: boolean, env: string | undefined = process.env.BUNIX_LOG): LogLevel | null {
  let level: LogLevel | null = null;
  if (env !== undefined && env !== "" && env !== "silent") {
    if (!LEVELS.includes(env as LogLevel)) throw new UsageError(`BUNIX_LOG takes debug, info, warn, error or silent, not '${env}'`);
    level = env as LogLevel;
  }
  if (verbose && (level === null || LEVELS.indexOf(level) > LEVELS.indexOf("info"))) level = "info";
  return level;
}

/**
 * A logger writing `TIME TOOL LEVEL: message` lines to standard error, for `level` and above.
 * The library's own "bunix: " prefix is left out: the tool's name says where the line came from.
 */
export function consoleLogger(tool: string, level: LogLevel): Logger {
  const logger: Logger = {};
  for (const name of LEVELS.slice(LEVELS.indexOf(level))) {
    logger[name] = (...args: unknown[]) => {
      const message = args.filter((arg) => typeof arg === "string").join(" ").replace(/^bunix: /, "");
      process.stderr.write(`${new Date().toISOString()} ${tool} ${name}: ${message}\n`);
    };
  }
  return logger;
}
