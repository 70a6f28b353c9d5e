/**
 * An fd-leak guard for `bun test` suites: it lists the open descriptors before each test and
 * fails the test when, after it, descriptors are open that were not before.
 *
 * @module
 */
import { afterEach, beforeEach } from "bun:test";
import { listOpenFds, type OpenFd } from "./open-fds.ts";

/** Options of {@link installFdLeakGuard}. */
export interface FdLeakGuardOptions {
  /** Descriptors to leave out of the comparison, such as ones the runtime opens lazily. */
  readonly ignore?: (fd: OpenFd) => boolean;
  /**
   * How long to let descriptors that are being closed asynchronously (a child's pipes after it
   * exits, say) settle before calling them leaked, in ms. Default 200.
   */
  readonly settleMs?: number;
}

/**
 * The descriptors open now that were not open (with the same target) in `before`.
 * A number reused for something else counts as new.
 */
export function newDescriptors(before: readonly OpenFd[], ignore?: (fd: OpenFd) => boolean): OpenFd[] {
  const known = new Map(before.map(({ fd, target }) => [fd, target]));
  return listOpenFds().filter(({ fd, target }) => known.get(fd) !== target && !(ignore?.({ fd, target }) ?? false));
}

/**
 * Installs a `beforeEach`/`afterEach` pair that fails any test leaving descriptors open. Call it
 * at the top of a test file, or once in a `bun test` preload to guard every file.
 *
 * The guard does not run the garbage collector: a descriptor only a finalizer would close counts
 * as leaked, which is the point.
 *
 * @example
 * ```ts
 * import { installFdLeakGuard } from "bunix/testing";
 * installFdLeakGuard();
 * ```
 */
export function installFdLeakGuard(options: FdLeakGuardOptions = {}): void {
  const settleMs = options.settleMs ?? 200;
  let before: OpenFd[] = [];
  beforeEach(() => {
    before = listOpenFds();
  });
  afterEach(async () => {
    let leaked = newDescriptors(before, options.ignore);
    const deadline = performance.now() + settleMs;
    while (leaked.length > 0 && performance.now() < deadline) {
      await Bun.sleep(5);
      leaked = newDescriptors(before, options.ignore);
    }
    if (leaked.length > 0) {
      const list = leaked.map(({ fd, target }) => `${fd} (${target})`).join(", ");
      throw new Error(`The test left ${leaked.length} descriptor(s) open: ${list}`);
    }
  });
}
