/**
 * Thread-directed signals for tests: `pthread_self` on one thread, `pthread_kill` from another, so
 * that a signal is sure to interrupt a system call blocked on the chosen thread (a process-directed
 * signal may be delivered to any thread of the runtime).
 *
 * @module
 */
import { abi, openFirst } from "../../ffi/index.ts";

const pthreadSymbols = {
  pthread_self: { args: [], returns: "u64" },
  pthread_kill: { args: ["u64", "i32"], returns: "i32" },
} as const;

let pthread: ReturnType<typeof openFirst<typeof pthreadSymbols>> | undefined;

function load() {
  // glibc >= 2.34 has the pthread calls in libc; older ones in libpthread.
  return (pthread ??= openFirst([...(abi?.libc ?? []), "libpthread.so.0"], pthreadSymbols));
}

/** This thread's `pthread_t`, to hand to another thread. */
export function currentThread(): bigint {
  return BigInt(load().pthread_self());
}

/**
 * Sends `signal` to one thread of this process.
 * @throws Error with the error number pthread_kill returned.
 */
export function signalThread(thread: bigint, signal: number): void {
  const result = load().pthread_kill(thread, signal);
  if (result !== 0) throw new Error(`pthread_kill failed: error ${result}`);
}
