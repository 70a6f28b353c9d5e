/**
 * Loads the symbol groups of `ffi/symbols.ts` from the running platform's libraries, lazily and
 * once per thread (each Worker has its own module instance, and so its own handles).
 *
 * A loader returns `undefined` when the platform lacks the facility or the library lacks a symbol
 * (an old glibc without `pidfd_open`, say); callers turn that into an `ENOTSUP` error. Nothing here
 * throws at import time.
 *
 * @module
 */
import { dlopen, type FFIFunction, type Library } from "bun:ffi";
import { abi } from "./select.ts";
import {
  accept4Symbols,
  clockSymbols,
  coreSymbols,
  epollSymbols,
  eventfdSymbols,
  flockSymbols,
  kqueueSymbols,
  mqueueFdSymbols,
  mqueuePointerSymbols,
  pidfdSymbols,
  pipe2Symbols,
  ptySymbols,
  socketSymbols,
  syscall2Symbols,
  syscall4Symbols,
  timerfdSymbols,
  waitidSymbols,
} from "./symbols.ts";

/** The callable functions of a loaded symbol table. */
export type Symbols<T extends Record<string, FFIFunction>> = Library<T>["symbols"];

/**
 * `dlopen`s the first of `candidates` that loads with every symbol of `table`.
 * @throws The first library's error when none loads (it names the library and the missing symbol).
 */
export function openFirst<T extends Record<string, FFIFunction>>(candidates: readonly string[], table: T): Symbols<T> {
  let firstError: unknown;
  for (const name of candidates) {
    try {
      return dlopen(name, table).symbols;
    } catch (error) {
      firstError ??= error;
    }
  }
  throw firstError ?? new Error("no library to load");
}

/** A loader that opens `table` from `candidates` on first use when `available` holds, else gives `undefined`. */
function lazyGroup<T extends Record<string, FFIFunction>>(
  available: boolean,
  candidates: () => readonly string[],
  table: T,
): () => Symbols<T> | undefined {
  let loaded: Symbols<T> | undefined;
  let tried = false;
  return () => {
    if (!tried) {
      tried = true;
      if (available) {
        try {
          loaded = openFirst(candidates(), table);
        } catch {
          loaded = undefined;
        }
      }
    }
    return loaded;
  };
}

const libcNames = () => abi?.libc ?? [];
const isLinux = abi?.os === "linux";

/** close, read, write, getpid. */
export const loadCore = lazyGroup(abi !== undefined, libcNames, coreSymbols);
/** flock. */
export const loadFlock = lazyGroup(abi !== undefined, libcNames, flockSymbols);
/** pipe2 (Linux, FreeBSD). */
export const loadPipe2 = lazyGroup(abi !== undefined && abi.os !== "darwin", libcNames, pipe2Symbols);
/** socket, socketpair, bind, connect, listen, accept, sendmsg, recvmsg, send, recv, sockopts, shutdown. */
export const loadSockets = lazyGroup(abi !== undefined, libcNames, socketSymbols);
/** accept4 (Linux, FreeBSD). */
export const loadAccept4 = lazyGroup(abi?.features.socketTypeFlags === true, libcNames, accept4Symbols);
/** epoll_create1, epoll_ctl, epoll_wait. */
export const loadEpoll = lazyGroup(abi?.features.epoll === true, libcNames, epollSymbols);
/** eventfd. */
export const loadEventfd = lazyGroup(abi?.features.eventfd === true, libcNames, eventfdSymbols);
/** timerfd_create, timerfd_settime, timerfd_gettime. */
export const loadTimerfd = lazyGroup(abi?.features.timerfd === true, libcNames, timerfdSymbols);
/** `syscall(nr, a, b)` (Linux). */
export const loadSyscall2 = lazyGroup(isLinux, libcNames, syscall2Symbols);
/** `syscall(nr, a, b, c, d)` (Linux). */
export const loadSyscall4 = lazyGroup(isLinux, libcNames, syscall4Symbols);
/** pidfd_open and pidfd_send_signal wrappers (glibc >= 2.36); without them, use `loadSyscall4`. */
export const loadPidfd = lazyGroup(abi?.features.pidfd === true, libcNames, pidfdSymbols);
/** The mq_* calls where mqd_t is a descriptor (Linux). */
export const loadMqueueFd = lazyGroup(abi?.features.mqueue === true && abi.mqdType === "fd", () => abi?.librt ?? [], mqueueFdSymbols);
/** The mq_* calls where mqd_t is a pointer, plus mq_getfd_np (FreeBSD). */
export const loadMqueuePointer = lazyGroup(
  abi?.features.mqueue === true && abi.mqdType === "pointer",
  () => abi?.librt ?? [],
  mqueuePointerSymbols,
);
/** waitid (Linux). */
export const loadWaitid = lazyGroup(isLinux, libcNames, waitidSymbols);

/** openpty. */
export const loadPty = lazyGroup(abi !== undefined, () => abi?.libutil ?? [], ptySymbols);
/** clock_gettime. */
export const loadClock = lazyGroup(abi !== undefined, libcNames, clockSymbols);
/** The native kqueue and kevent (macOS, FreeBSD). */
export const loadNativeKqueue = lazyGroup(abi?.features.kqueue === true, libcNames, kqueueSymbols);

/**
 * kqueue and kevent from another library (libkqueue on Linux), by path or soname.
 * @throws The loader's error when the library cannot be opened or lacks the symbols.
 */
export function loadKqueueFrom(library: string): Symbols<typeof kqueueSymbols> {
  return openFirst([library], kqueueSymbols);
}
