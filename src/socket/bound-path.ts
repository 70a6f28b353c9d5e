/**
 * The socket file a `bind` created, so that closing removes that file and nothing else.
 *
 * bind(2) creates the file; close(2) leaves it behind, and the next bind to the path fails with
 * EADDRINUSE. The file's device and inode are recorded right after bind; at close the path is
 * removed only if it still names that same file, so a socket that another process has since
 * bound at the path (after removing ours) survives. The path is made absolute at bind time: a
 * `process.chdir()` in between must not make close remove a file elsewhere. A path given as bytes
 * stays bytes (a Buffer, which node:fs takes as the exact name), so a name that is not UTF-8 is
 * removed too.
 *
 * @internal
 * @module
 */
import { lstatSync, unlinkSync } from "node:fs";
import { resolve } from "node:path";
import type { SocketPath } from "./address.ts";
import { log } from "../core/log.ts";

/** A socket file this process created, by absolute path, device and inode. */
export class BoundPath {
  private constructor(
    readonly path: string | Buffer,
    private readonly dev: number,
    private readonly ino: number,
  ) {}

  /** Records the file just bound at `path` (as given to bind, maybe relative). */
  static record(path: SocketPath): BoundPath | null {
    const absolute = absolutePath(path);
    try {
      const stat = lstatSync(absolute);
      return new BoundPath(absolute, stat.dev, stat.ino);
    } catch {
      // Removed between bind and here: there is nothing of ours to clean up later.
      return null;
    }
  }

  /** Removes the file if it is still the one recorded. Never throws: close must not fail for this. */
  remove(): void {
    try {
      const stat = lstatSync(this.path);
      if (stat.dev === this.dev && stat.ino === this.ino) unlinkSync(this.path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") {
        log("debug", `could not remove the socket file ${this.path}`, { path: this.path, error });
      }
    }
  }
}

/** `path` made absolute against the current directory, keeping bytes as bytes. */
function absolutePath(path: SocketPath): string | Buffer {
  if (typeof path === "string") return resolve(path);
  const bytes = Buffer.from(path);
  return bytes[0] === 0x2f ? bytes : Buffer.concat([Buffer.from(`${process.cwd()}/`), bytes]);
}
