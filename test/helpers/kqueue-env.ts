/**
 * Which kqueue the kqueue tests run against, and the set-up that keeps the fd-leak guard honest.
 *
 * macOS and FreeBSD: the native kqueue. Linux: libkqueue, when `BUNIX_LIBKQUEUE` names a build of
 * it (the path of `libkqueue.so.0`); without it the behavioural tests are skipped, visibly.
 * @module
 */
import { afterAll, beforeAll } from "bun:test";
import { Kqueue, type KqueueOptions } from "../../src/kqueue/kqueue.ts";
import { platform } from "../../src/core/platform.ts";

/** The libkqueue build named by `BUNIX_LIBKQUEUE`, if any. */
export const libkqueuePath: string | undefined = process.env.BUNIX_LIBKQUEUE || undefined;

/**
 * Options that make a working `Kqueue` here: `{}` where the platform has kqueue, `{ library }`
 * with libkqueue on Linux, `undefined` when there is no kqueue to test.
 */
export const kqueueOptions: KqueueOptions | undefined = platform.supports.kqueue
  ? {}
  : libkqueuePath !== undefined
    ? { library: libkqueuePath }
    : undefined;

/** Whether the behavioural kqueue tests can run. */
export const haveKqueue: boolean = kqueueOptions !== undefined;

/** Appended to the name of a describe block that needs a kqueue, so the skip says why. */
export const needsKqueue: string = haveKqueue ? "" : " [skipped: needs BUNIX_LIBKQUEUE]";

/** A new `Kqueue` on this host's kqueue. */
export function openKqueue<T>(options: KqueueOptions = {}): Kqueue<T> {
  if (kqueueOptions === undefined) throw new Error("no kqueue on this host: set BUNIX_LIBKQUEUE");
  return new Kqueue<T>({ ...kqueueOptions, ...options });
}

/**
 * Call at the top of a test file that opens kqueues. libkqueue opens about ten descriptors (and
 * two threads) with the first kqueue of a process and closes most of them after the last kqueue
 * is closed, asynchronously, but keeps an epoll and an eventfd for the life of the process. If a
 * test opened the first kqueue, the guard (test/setup.ts) would blame those on the test. So one
 * kqueue is opened here, outside every test, and kept until the file's tests are done: each
 * test's snapshot then already holds libkqueue's own descriptors, and what a test's kqueue adds
 * (its pipe, epoll, eventfd and one descriptor per timer, user event or process watch) is
 * released on close within the guard's settle time. The native kqueue needs none of this.
 */
export function holdKqueueRuntime(): void {
  let anchor: Kqueue | undefined;
  beforeAll(() => {
    if (kqueueOptions?.library !== undefined) anchor = new Kqueue(kqueueOptions);
  });
  afterAll(() => {
    anchor?.close();
  });
}
