/**
 * bunix: the *nix event and IPC layer for Bun. Typed classes over epoll, kqueue, eventfd, timerfd,
 * pidfd, POSIX message queues and Unix-domain sockets, loaded from libc with `bun:ffi`.
 *
 * @module bunix
 */
import { checkRuntime } from "./core/runtime.ts";
export type { WaitAsyncOptions } from "./async/wait-async.ts";
export { Epoll, EpollFlags, type EpollOptions } from "./epoll/epoll.ts";
export type { EpollEvent, EpollEvents } from "./epoll/epoll-events.ts";
export { SystemError } from "./core/errors.ts";
export { KeventList, type Kevent } from "./kqueue/kevent-list.ts";
export { Kqueue, type KqueueOptions } from "./kqueue/kqueue.ts";
export { EventFilter, EventFlags, Note, type EventFilters, type EventFlagBits, type NoteFlags } from "./kevent/constants.ts";
export { setLogger, type Logger, type LogLevel } from "./core/log.ts";
export { platform, type PlatformInfo, type PlatformSupport } from "./core/platform.ts";
export { EventFd, type EventFdOptions } from "./sources/eventfd.ts";
export { TimerFd, type TimerFdClock, type TimerFdOptions, type TimerFdSetOptions, type TimerFdState } from "./sources/timerfd.ts";
export { PidFd, type PidFdOptions } from "./sources/pidfd.ts";
export * from "./socket/index.ts";
export {
  MsgQueue,
  type MsgQueueAttributes,
  type MsgQueueCreateOptions,
  type MsgQueueMessage,
  type MsgQueueOpenOptions,
  type MsgQueueReceipt,
} from "./mqueue/msg-queue.ts";
export * from "./framed/index.ts";
export {
  Interest,
  Poller,
  Waker,
  type EventFdWakeSource,
  type KqueueWakeSource,
  type PollEvent,
  type PollEvents,
  type PollMode,
  type PollerAddOptions,
  type PollerBackendName,
  type PollerOptions,
  type Timer,
  type TimerOptions,
  type WakerTransfer,
} from "./poller/index.ts";
export * from "./ipc/index.ts";
export * from "./watch/index.ts";

// Imported first, so that an unsupported runtime is named before anything else loads; called here
// so that no bundler drops it (see core/runtime.ts).
checkRuntime();
