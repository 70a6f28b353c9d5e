/**
 * Descriptors that a library bunix loads opens for itself, recorded so that the fd-leak guard of
 * `bunix/testing` can tell them from a test's own.
 *
 * libkqueue is the case: the first `kqueue()` of a process opens about ten descriptors beside the
 * kqueue itself (epolls, pipes, eventfds), and keeps an epoll and an eventfd of them for the life
 * of the process. A suite whose first `Kqueue` is made inside a test would see those as the test's
 * leak. So the first call into each library is measured: what is open after it and was not before,
 * except the descriptor it returned, is the library's. A recorded descriptor counts only while it
 * stays open with the same target; once seen closed, its number is free for anyone.
 *
 * @internal
 * @module
 */
import { listOpenFds, type OpenFd } from "./open-fds.ts";

/** A descriptor a library opened for itself. */
export interface LibraryFd extends OpenFd {
  /** The library, as bunix loaded it (its path). */
  readonly owner: string;
}

const recorded = new Map<number, LibraryFd>();
const measured = new Set<string>();

/**
 * Runs `open`, a call into `owner` that returns a descriptor, and, the first time for that owner
 * in this process, records the other descriptors it opened as the library's own.
 */
export function openRecordingLibraryFds(owner: string, open: () => number): number {
  if (measured.has(owner)) return open();
  measured.add(owner);
  const before = new Map(listOpenFds().map(({ fd, target }) => [fd, target]));
  const fd = open();
  for (const { fd: other, target } of listOpenFds()) {
    if (other !== fd && before.get(other) !== target) recorded.set(other, { fd: other, target, owner });
  }
  return fd;
}

/** The library that opened `descriptor` for itself, or `undefined` when none did (as far as bunix saw). */
export function libraryOwnerOf(descriptor: OpenFd): string | undefined {
  const entry = recorded.get(descriptor.fd);
  return entry !== undefined && entry.target === descriptor.target ? entry.owner : undefined;
}

/** Forgets recorded descriptors that `open` (a full list of open descriptors) shows closed or reused. */
export function forgetClosedLibraryFds(open: readonly OpenFd[]): void {
  if (recorded.size === 0) return;
  const targets = new Map(open.map(({ fd, target }) => [fd, target]));
  for (const [fd, entry] of recorded) if (targets.get(fd) !== entry.target) recorded.delete(fd);
}
