/**
 * Which open file a descriptor number refers to, so that a watch can tell that its number was
 * closed, or closed and handed to another file, while it was watched.
 *
 * The identity is the file's device and inode as fstat(2) gives them. Pipes, FIFOs,
 * sockets, ttys and device nodes each have an inode of their own, so a number reused by another
 * of them is told apart. Descriptors on Linux's shared anonymous inode (eventfd, timerfd,
 * signalfd, epoll, inotify) all read the same: a number reused by another such descriptor is not
 * seen as a change (watch-fd.ts documents what that allows).
 *
 * @internal
 * @module
 */
import { fstatSync } from "node:fs";

/** A file's identity: device and inode. */
export interface FileIdentity {
  readonly dev: number;
  readonly ino: number;
}

/** The identity of the file `fd` refers to now, or `null` when `fd` is not open. */
export function identify(fd: number): FileIdentity | null {
  try {
    const stat = fstatSync(fd);
    return { dev: stat.dev, ino: stat.ino };
  } catch {
    return null;
  }
}

/** Whether `fd` still refers to the file `identity` was taken from. */
export function stillRefersTo(fd: number, identity: FileIdentity): boolean {
  const now = identify(fd);
  return now !== null && now.dev === identity.dev && now.ino === identity.ino;
}
