/**
 * `bunix/testing`: helpers for `bun test` suites that use bunix (or any descriptors): list the
 * process's open descriptors, and guard tests against leaking them.
 *
 * @module bunix/testing
 */
export { isCloseOnExec } from "../core/fd.ts";
export { installFdLeakGuard, newDescriptors, type FdLeakGuardOptions } from "./leak-guard.ts";
export { countOpenFds, listOpenFds, type OpenFd } from "../core/open-fds.ts";
