/**
 * An fd-leak guard for `bun test` suites: it lists the open descriptors before each test and
 * fails the test when, after it, descriptors are open that were not before and that the test
 * itself opened.
 *
 * @module
 */
import { afterEach, beforeEach } from "bun:test";
import { forgetClosedLibraryFds, libraryOwnerOf } from "../core/library-fds.ts";
import { invalidType, outOfRange } from "../core/errors.ts";
import { validateOptions } from "../core/validate.ts";
import { listOpenFds, type OpenFd } from "../core/open-fds.ts";

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
 * Descriptors Bun opens for itself, by target (Linux `/proc/self/fd` names). A subprocess given a
 * buffer as stdin gets it through a memfd that Bun closes only when the `Subprocess` object is
 * collected, long after the test that spawned it.
 */
const RUNTIME_DESCRIPTORS: readonly { readonly target: RegExp; readonly owner: string }[] = [
  { target: /^\/memfd:spawn_stdio_/, owner: "Bun for a subprocess's stdio buffer, until the Subprocess is collected" },
];

/** Who opened `descriptor` for itself: Bun, or a library bunix loaded (libkqueue); else `undefined`. */
function ownerOf(descriptor: OpenFd): string | undefined {
  for (const { target, owner } of RUNTIME_DESCRIPTORS) if (target.test(descriptor.target)) return owner;
  const library = libraryOwnerOf(descriptor);
  return library === undefined ? undefined : `the library ${library} for itself`;
}

const MAX_SETTLE_MS = 0x7fffffff;

function validateGuardOptions(options: unknown): { settleMs: number; ignore: ((fd: OpenFd) => boolean) | undefined } {
  const { settleMs, ignore } = validateOptions(options as FdLeakGuardOptions | undefined);
  if (ignore !== undefined && typeof ignore !== "function") throw invalidType("options.ignore", "of type function", ignore);
  if (settleMs === undefined) return { settleMs: 200, ignore };
  if (typeof settleMs !== "number") throw invalidType("options.settleMs", "of type number", settleMs);
  if (!(settleMs >= 0 && settleMs <= MAX_SETTLE_MS)) throw outOfRange("options.settleMs", `a number >= 0 and <= ${MAX_SETTLE_MS}`, settleMs);
  return { settleMs, ignore };
}

function describeAll(descriptors: readonly OpenFd[]): string {
  return descriptors.map(({ fd, target }) => `${fd} (${target})`).join(", ");
}

/**
 * Installs a `beforeEach`/`afterEach` pair that fails any test leaving descriptors open. Call it
 * at the top of a test file, or once in a `bun test` preload to guard every file.
 *
 * Descriptors the runtime or a library opens for itself during a test are not the test's: Bun's
 * stdio buffer of a subprocess spawned with a buffer as stdin (closed only when the subprocess
 * object is collected), and those a kqueue library such as libkqueue opens with the first
 * `Kqueue` of the process (bunix records them as it makes that kqueue). The failure message lists
 * what could not be attributed to either, and what was set aside as theirs.
 *
 * The guard does not run the garbage collector: a descriptor of the test's that only a finalizer
 * would close counts as leaked, which is the point.
 *
 * @param options - `ignore`, a predicate for descriptors to leave out; `settleMs`, the time
 *   descriptors being closed asynchronously get (default 200).
 * @throws TypeError when `options`, `ignore` or `settleMs` has the wrong type; RangeError for a
 *   `settleMs` that is negative, NaN or above 2^31 - 1.
 *
 * @example
 * ```ts
 * import { installFdLeakGuard } from "bunix/testing";
 * installFdLeakGuard();
 * ```
 */
export function installFdLeakGuard(options: FdLeakGuardOptions = {}): void {
  const { settleMs, ignore } = validateGuardOptions(options);
  let before: OpenFd[] = [];
  beforeEach(() => {
    before = listOpenFds();
    forgetClosedLibraryFds(before);
  });
  afterEach(async () => {
    const theirs: OpenFd[] = [];
    const unattributed = () => {
      theirs.length = 0;
      return newDescriptors(before, ignore).filter((descriptor) => {
        const owner = ownerOf(descriptor);
        if (owner !== undefined) theirs.push({ fd: descriptor.fd, target: `${descriptor.target}, opened by ${owner}` });
        return owner === undefined;
      });
    };
    let leaked = unattributed();
    const deadline = performance.now() + settleMs;
    while (leaked.length > 0 && performance.now() < deadline) {
      await Bun.sleep(5);
      leaked = unattributed();
    }
    if (leaked.length > 0) {
      const setAside = theirs.length === 0 ? "" : `; set aside as not the test's own: ${describeAll(theirs)}`;
      throw new Error(
        `The test left ${leaked.length} descriptor(s) open: ${describeAll(leaked)}. Neither Bun nor a library bunix loaded opened them for itself${setAside}`,
      );
    }
  });
}
