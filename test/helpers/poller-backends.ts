/**
 * The Poller backends this host can run, for the generic Poller suite (test/poller/): every test
 * file runs the same behaviours once per backend, as CPython's test_selectors does. epoll runs
 * natively on Linux; kqueue natively on macOS and FreeBSD, and on Linux through libkqueue when
 * `BUNIX_LIBKQUEUE` names a build of it. A backend that is missing is skipped visibly, with the
 * reason in the block's name.
 *
 * @module
 */
import { describe } from "bun:test";
import { Poller, type PollerOptions } from "../../src/poller/index.ts";
import { platform } from "../../src/core/platform.ts";
import { holdKqueueRuntime, libkqueuePath } from "./kqueue-env.ts";

/** One backend of the generic suite. */
export interface PollerBackendCase {
  /** `"epoll"` or `"kqueue"`, as `poller.backend` reads. */
  readonly name: "epoll" | "kqueue";
  /** `"epoll"`, `"kqueue"` or `"kqueue (libkqueue)"`: what the describe blocks are named after. */
  readonly label: string;
  /** Whether it runs here. */
  readonly available: boolean;
  /** Why it is skipped, when it is. */
  readonly reason: string;
  /** True on libkqueue, whose documented weaknesses some tests skip (visibly). */
  readonly libkqueue: boolean;
  /** The constructor options that select it. */
  readonly options: PollerOptions;
}

const nativeKqueue = platform.supports.kqueue;

/** Every backend, available or not. */
export const pollerBackends: readonly PollerBackendCase[] = [
  {
    name: "epoll",
    label: "epoll",
    available: platform.supports.epoll,
    reason: "needs Linux",
    libkqueue: false,
    options: { backend: "epoll" },
  },
  {
    name: "kqueue",
    label: nativeKqueue ? "kqueue" : "kqueue (libkqueue)",
    available: nativeKqueue || libkqueuePath !== undefined,
    reason: "needs macOS/FreeBSD, or BUNIX_LIBKQUEUE naming libkqueue.so.0",
    libkqueue: !nativeKqueue,
    options: nativeKqueue ? { backend: "kqueue" } : { backend: "kqueue", library: libkqueuePath ?? "" },
  },
];

/** The backends that run here. */
export const availableBackends: readonly PollerBackendCase[] = pollerBackends.filter((backend) => backend.available);

/** A new Poller on `backend`, with extra options. */
export function openPoller<T>(backend: PollerBackendCase, options: PollerOptions = {}): Poller<T> {
  return new Poller<T>({ ...backend.options, ...options });
}

/**
 * Declares `body`'s tests once per backend, in a describe block named `title [backend]`; a backend
 * this host lacks gets its block skipped with the reason in its name. On libkqueue one kqueue is
 * held open around the block (kqueue-env.ts explains why the fd-leak guard needs that).
 */
export function describeEachBackend(title: string, body: (backend: PollerBackendCase) => void): void {
  for (const backend of pollerBackends) {
    const name = `${title} [${backend.label}]${backend.available ? "" : ` [skipped: ${backend.reason}]`}`;
    describe.skipIf(!backend.available)(name, () => {
      if (backend.available && backend.libkqueue) holdKqueueRuntime();
      body(backend);
    });
  }
}
