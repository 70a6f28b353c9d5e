/**
 * Socket paths for tests: a fresh short directory per test file (sun_path is only 104 to 108
 * bytes, so deep temp directories would not do), removed with everything in it at the end.
 * @module
 */
import { afterAll } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";

/**
 * Makes a temporary directory for this test file and returns a function that names a path in it.
 * Call it at the top level of a test file.
 */
export function socketDir(prefix = "bunix-"): (name: string) => string {
  // /tmp rather than os.tmpdir(): TMPDIR may be a long path, and the socket path must stay short.
  const dir = mkdtempSync(join("/tmp", prefix));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return (name: string) => join(dir, name);
}

/** A Linux abstract name unique to this process and `tag`. */
export function abstractName(tag: string): string {
  return `\0bunix-test-${process.pid}-${tag}-${Math.random().toString(36).slice(2, 8)}`;
}
