/**
 * The Poller: one portable readiness API over epoll and kqueue, with timers, process exits and a
 * cross-thread waker. This module lists what the package root exports from `src/poller/`.
 *
 * @module
 */
export { Poller } from "./poller.ts";
export { Interest, type PollMode, type PollerAddOptions, type PollerOptions, type TimerOptions } from "./options.ts";
export type { PollerBackendName } from "./backend.ts";
export type { PollEvent, PollEvents } from "./poll-events.ts";
export type { Timer } from "./timer.ts";
export { Waker, type EventFdWakeSource, type KqueueWakeSource, type WakerTransfer } from "./waker.ts";
