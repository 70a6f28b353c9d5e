/**
 * `bunix/testing`: helpers for `bun test` suites that use bunix (or any descriptors): list the
 * process's open descriptors, guard tests against leaking them, and make a pty pair to stand in
 * for a serial port.
 *
 * @module bunix/testing
 */
import { checkRuntime } from "../core/runtime.ts";
export { isCloseOnExec } from "../core/fd.ts";
export { installFdLeakGuard, newDescriptors, type FdLeakGuardOptions } from "./leak-guard.ts";
export { countOpenFds, listOpenFds, type OpenFd } from "../core/open-fds.ts";
export { openPty, type OpenPtyOptions, type PtyPair } from "./pty.ts";

// Imported first, so that an unsupported runtime is named before anything else loads; called here
// so that no bundler drops it (see core/runtime.ts).
checkRuntime();
