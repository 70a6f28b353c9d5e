/**
 * bunix: the *nix event and IPC layer for Bun. Typed classes over epoll, kqueue, eventfd, timerfd,
 * pidfd, POSIX message queues and Unix-domain sockets, loaded from libc with `bun:ffi`.
 *
 * @module bunix
 */
export type { WaitAsyncOptions } from "./async/wait-async.ts";
export { Epoll, EpollFlags, type EpollOptions } from "./epoll.ts";
export type { EpollEvent, EpollEvents } from "./epoll-events.ts";
export { SystemError } from "./errors.ts";
export { KeventList, type Kevent } from "./kevent-list.ts";
export { Kqueue, type KqueueOptions } from "./kqueue.ts";
export { EventFilter, EventFlags, Note, type EventFilters, type EventFlagBits, type NoteFlags } from "./kqueue-constants.ts";
export { setLogger, type Logger, type LogLevel } from "./log.ts";
export { platform, type PlatformInfo, type PlatformSupport } from "./platform.ts";
export { EventFd, type EventFdOptions } from "./eventfd.ts";
export { TimerFd, type TimerFdClock, type TimerFdOptions, type TimerFdSetOptions, type TimerFdState } from "./timerfd.ts";
export { PidFd, type PidFdOptions } from "./pidfd.ts";
export * from "./socket/index.ts";
export {
  MsgQueue,
  type MsgQueueAttributes,
  type MsgQueueCreateOptions,
  type MsgQueueMessage,
  type MsgQueueOpenOptions,
  type MsgQueueReceipt,
} from "./mqueue.ts";
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
