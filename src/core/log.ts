/**
 * The logging facade. bunix never prints: what it has to say (a leaked descriptor closed by the
 * finalizer, a degraded fallback) goes to the logger set here, and by default nowhere.
 *
 * @module
 */
import { invalidType } from "./errors.ts";

/**
 * Anything with some of `debug`, `info`, `warn` and `error`: `console`, a pino logger, or an
 * object of your own. Structured fields come first, then the message, which suits both pino
 * (`warn(obj, msg)`) and console (`console.warn(obj, msg)` prints both).
 */
export interface Logger {
  /** Detail for debugging: registrations, fallbacks taken. */
  debug?(...args: unknown[]): void;
  /** Notable events in normal operation. */
  info?(...args: unknown[]): void;
  /** Something the program should fix, such as a descriptor closed by the garbage collector. */
  warn?(...args: unknown[]): void;
  /** A failure the library could not report by throwing. */
  error?(...args: unknown[]): void;
}

/** The levels a {@link Logger} may implement. */
export type LogLevel = "debug" | "info" | "warn" | "error";

let current: Logger | null = null;

/**
 * Sets where bunix logs, or `null` (the default) for silence.
 *
 * @example
 * ```ts
 * import { setLogger } from "bunix";
 * setLogger(console);   // see warnings such as a descriptor closed by the garbage collector
 * setLogger(null);      // silent again
 * ```
 * @throws TypeError when `logger` is neither an object nor `null`.
 */
export function setLogger(logger: Logger | null): void {
  if (logger !== null && (typeof logger !== "object" || Array.isArray(logger))) {
    throw invalidType("logger", "an object with debug/info/warn/error methods, or null", logger);
  }
  current = logger;
}

/** The logger in force, or `null`. */
export function getLogger(): Logger | null {
  return current;
}

/**
 * Logs through the current logger, if it has that level. A logger that throws never breaks the
 * library: the call that logged carries on.
 * @internal
 */
export function log(level: LogLevel, message: string, fields?: Record<string, unknown>): void {
  const logger = current;
  const method = logger?.[level];
  if (typeof method !== "function") return;
  try {
    if (fields === undefined) method.call(logger, `bunix: ${message}`);
    else method.call(logger, fields, `bunix: ${message}`);
  } catch {
    // A broken logger must not turn a log line into a failure.
  }
}
