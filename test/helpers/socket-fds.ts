/**
 * Descriptor helpers for the socket tests: whether a number is open, a file with known content
 * opened for reading, and reading a whole descriptor.
 * @module
 */
import { closeSync, fstatSync, openSync, readSync, writeFileSync } from "node:fs";

/** Whether `fd` is an open descriptor of this process. */
export function isOpen(fd: number): boolean {
  try {
    fstatSync(fd);
    return true;
  } catch {
    return false;
  }
}

/** Writes `content` to `path` and opens it read-only; the caller closes the descriptor. */
export function openFileWith(path: string, content: string): number {
  writeFileSync(path, content);
  return openSync(path, "r");
}

/** Reads `fd` from offset 0 to its end as UTF-8 (positioned reads: the offset is left alone). */
export function readAll(fd: number): string {
  const chunks: Buffer[] = [];
  const chunk = Buffer.alloc(4096);
  for (let position = 0; ; ) {
    const n = readSync(fd, chunk, 0, chunk.length, position);
    if (n === 0) break;
    chunks.push(Buffer.from(chunk.subarray(0, n)));
    position += n;
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** Closes every descriptor in `fds`. */
export function closeAll(fds: readonly number[]): void {
  for (const fd of fds) closeSync(fd);
}
