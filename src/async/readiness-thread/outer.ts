/**
 * The contract of an *outer* instance: the private epoll or kqueue in which the readiness thread
 * waits for the descriptors of instances that have an async waiter, each registered one-shot with
 * its id (a handle-map slot and generation) as user data, beside a control registration that
 * tells the thread to stop.
 *
 * The main thread creates it and makes every change to it (epoll_ctl and kevent may be called
 * while another thread waits on the same instance); the readiness thread only waits on it, and
 * closes its descriptors when it stops.
 *
 * @internal
 * @module
 */

/** What the readiness thread needs to wait on an outer instance: structured-cloneable. */
export type OuterInit =
  | { readonly kind: "epoll"; readonly fd: number; readonly controlFd: number }
  | { readonly kind: "kqueue"; readonly fd: number; readonly library: string | undefined };

/** The main thread's side of an outer instance. */
export interface OuterControl {
  /** Posted to the readiness thread, which takes the descriptors over. */
  readonly init: OuterInit;
  /**
   * Registers `fd` to be reported once (one-shot) when readable, as (`slot`, `generation`).
   * @throws SystemError from epoll_ctl or kevent (EBADF, ELOOP, ENOMEM, …).
   */
  add(fd: number, slot: number, generation: number): void;
  /**
   * Re-arms the one-shot registration of `fd` after its report.
   * @throws SystemError from epoll_ctl or kevent.
   */
  rearm(fd: number, slot: number, generation: number): void;
  /** Removes `fd`, ignoring errors (the registration may be gone already). */
  remove(fd: number): void;
  /** Makes the readiness thread's wait return so that it sees the stop request. */
  wake(): void;
  /** Closes the descriptors, when the readiness thread never took them over. */
  close(): void;
}

/** The readiness thread's side: one waiting call at a time into its own buffer. */
export interface OuterWaiter {
  /** Waits until something is ready and returns the count, or -errno (EINTR included). */
  wait(max: number): number;
  /** The slot of entry `i` of the last wait. */
  slot(i: number): number;
  /** The generation of entry `i` of the last wait. */
  generation(i: number): number;
  /** Closes the outer descriptors. */
  close(): void;
}

/** How many entries one wait of the readiness thread collects at most. */
export const OUTER_BATCH = 256;
