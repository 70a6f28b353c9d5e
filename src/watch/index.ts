/**
 * Any descriptor in Bun's event loop: {@link watchFd}.
 *
 * @module
 */
export { FdWatch, watchFd, type WatchCallback, type WatchInterest, type WatchOptions, type WatchReadiness } from "./watch-fd.ts";
