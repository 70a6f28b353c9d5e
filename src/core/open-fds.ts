/**
 * Lists the descriptors this process has open, with what each is where the platform tells. In
 * core, because bunix records the descriptors a library it loads opens for itself (library-fds.ts)
 * for the fd-leak guard of `bunix/testing`, which re-exports this module.
 *
 * @module
 */
import { fstatSync, readdirSync, readlinkSync } from "node:fs";

/** One open descriptor. */
export interface OpenFd {
  /** The descriptor number. */
  readonly fd: number;
  /**
   * What it refers to. On Linux the kernel's own words from `/proc/self/fd`: a path,
   * `socket:[1234]`, `pipe:[5678]`, `anon_inode:[eventpoll]`, `anon_inode:[eventfd]`, … Elsewhere
   * the file type from `fstat`: `file`, `directory`, `socket`, `fifo`, `character-device`, ….
   */
  readonly target: string;
}

// Without /proc, descriptors are found by asking fstat about each number up to this one.
const PROBE_LIMIT = 4096;

/**
 * The open descriptors of this process, in ascending order.
 *
 * @example
 * ```ts
 * import { listOpenFds } from "bunix/testing";
 * for (const { fd, target } of listOpenFds()) console.log(fd, target);
 * ```
 */
export function listOpenFds(): OpenFd[] {
  const fromProc = listFromProc();
  return fromProc ?? listByProbing();
}

/** How many descriptors this process has open. */
export function countOpenFds(): number {
  return listOpenFds().length;
}

function listFromProc(): OpenFd[] | undefined {
  let names: string[];
  try {
    names = readdirSync("/proc/self/fd");
  } catch {
    return undefined;
  }
  const open: OpenFd[] = [];
  for (const name of names) {
    try {
      open.push({ fd: Number(name), target: readlinkSync(`/proc/self/fd/${name}`) });
    } catch {
      // The directory handle readdir used is listed too, and is already closed: skip it.
    }
  }
  return open.sort((a, b) => a.fd - b.fd);
}

function listByProbing(): OpenFd[] {
  const open: OpenFd[] = [];
  for (let fd = 0; fd < PROBE_LIMIT; fd++) {
    try {
      open.push({ fd, target: fileType(fstatSync(fd)) });
    } catch {
      // Not open.
    }
  }
  return open;
}

function fileType(stat: ReturnType<typeof fstatSync>): string {
  if (stat.isFile()) return "file";
  if (stat.isDirectory()) return "directory";
  if (stat.isSocket()) return "socket";
  if (stat.isFIFO()) return "fifo";
  if (stat.isCharacterDevice()) return "character-device";
  if (stat.isBlockDevice()) return "block-device";
  if (stat.isSymbolicLink()) return "symlink";
  return "unknown";
}
