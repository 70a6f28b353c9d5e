/**
 * The main thread's side of the shared readiness thread: one lazily started Worker per JS thread
 * (each Worker that uses `waitAsync` has its own) that blocks in `epoll_wait`/`kevent` on an outer
 * instance holding every instance with a pending async wait, and reports which are ready.
 *
 * ```
 *  this thread                                   readiness thread (worker.ts)
 *  ─────────────────────────────────────         ──────────────────────────────────────────
 *  watch.arm(): outer ADD/MOD fd, ONESHOT        n = epoll_wait(outer, …, -1)        blocks
 *  pump: await Atomics.waitAsync(ring.HEAD) ◄──  ids → ring; Atomics.notify(HEAD)
 *  drain ring → watch.report() → waiter polls
 *  the instance with wait(0), resolves or arms
 *  idle for LINGER_MS: wake, then STATE=STOP ──► leaves its wait, closes outer fds, ends
 * ```
 *
 * Keeping the process alive: a pending `Atomics.waitAsync` does not, so the Worker is `ref()`ed
 * while any wait that keeps the process alive is pending (every one does unless its watch was told
 * `keepAlive(false)`) and `unref()`ed otherwise; a process with nothing pending exits
 * normally, its readiness thread with it. An idle thread lingers (helper-thread.ts, `Linger`),
 * then stops and closes its descriptors.
 *
 * Where it serves: the last fallback of every kernel object whose descriptor is pollable (see the
 * table in ../index.ts). It needs nothing of Bun but Workers and `Atomics.waitAsync`, and a thread
 * that blocks in the kernel costs nothing while idle; it takes two thread wake-ups where Bun's
 * event loop takes one (docs/design/wait-async.md, "The readiness thread").
 *
 * @internal
 * @module
 */
import { errnoName } from "../../../ffi/index.ts";
import { SystemError } from "../../core/errors.ts";
import { HandleMap } from "../../core/handle-map.ts";
import { log } from "../../core/log.ts";
import { platform } from "../../core/platform.ts";
import { openEpollOuter } from "./outer-epoll.ts";
import { openKqueueOuter } from "./outer-kqueue.ts";
import type { OuterControl } from "./outer.ts";
import {
  ERROR,
  HEAD,
  OWNER,
  OWNER_CLOSED,
  OWNER_MAIN,
  RING_ENTRIES,
  STATE,
  STATE_STOP,
  STATE_STOPPED,
  TAIL,
  createRing,
  entryIndex,
  queued,
} from "./ready-ring.ts";
import type { ReadinessStart } from "./worker.ts";
import { helperThreadError } from "../helper-error.ts";
import { LINGER_MS, Linger, startHelperWorker } from "../helper-thread.ts";
import { WaitingWatches } from "../waiting-watches.ts";
import type { ReadinessWatch } from "../watch.ts";

/** One readiness thread and its outer instance, from start to exit. */
class Run {
  readonly ring = createRing();
  /** The watches registered in this run's outer instance, by the id the kernel reports. */
  readonly watches = new HandleMap<WeakRef<ThreadWatch>>();
  readonly worker: Worker;
  /** Settles when the Worker has ended (its 'close' event). */
  readonly exited: Promise<void>;
  /** Entries taken from the ring so far (a wrapping counter, like the ring's HEAD). */
  tail = 0;
  /** Set once this run may no longer be changed: asked to stop, or found dead. */
  stopping = false;
  /** The Worker ended or failed outside the protocol (its script did not load, say). */
  dead = false;
  /** Whether the Worker is ref'd (keeps the process alive). */
  refd = false;
  /** Why the run failed, when it did. */
  failure: unknown;

  constructor(readonly outer: OuterControl) {
    ({ worker: this.worker, exited: this.exited } = startHelperWorker("readiness-worker", "readiness thread", {
      failed: (error) => {
        this.failure ??= error;
      },
      ended: () => this.#died(),
    }));
  }

  /** The Worker is gone: wake the pump, which may be waiting for a report that never comes. */
  #died(): void {
    this.dead = true;
    Atomics.notify(this.ring, HEAD);
  }
}

/**
 * One instance's registration with the readiness thread: the {@link ReadinessWatch} of an `Epoll`
 * (or native `Kqueue`) waiter. Registered lazily in the current run's outer instance, re-armed
 * after each report, and left armed when a wait settles (a later report is ignored), so a loop of
 * waits costs one `EPOLL_CTL_MOD` per wait at most.
 */
export class ThreadWatch implements ReadinessWatch {
  readonly #engine: ReadinessEngine;
  readonly #fd: number;
  readonly #onReady: () => void;
  readonly #onError: (error: unknown) => void;
  // The run's table holds the watch weakly: an instance dropped unclosed can still be collected
  // (its finalizer closes the descriptor, which leaves the outer instance by itself).
  readonly #self = new WeakRef<ThreadWatch>(this);
  #run: Run | undefined;
  #slot = 0;
  #generation = 0;
  #armed = false;
  /** Whether this watch keeps the process alive while it waits. */
  #keepAlive = true;

  /** @internal Made by {@link ReadinessEngine.watch}. */
  constructor(engine: ReadinessEngine, fd: number, onReady: () => void, onError: (error: unknown) => void) {
    this.#engine = engine;
    this.#fd = fd;
    this.#onReady = onReady;
    this.#onError = onError;
  }

  /** Registers (or re-arms) this instance one-shot in the live run's outer instance, and counts it as waiting. */
  arm(): void {
    const engine = this.#engine;
    const run = engine.acquire(this, this.#keepAlive);
    try {
      if (this.#run !== run) {
        this.#leave();
        const watches = run.watches;
        const slot = watches.insert(this.#self, this.#fd);
        const generation = watches.generation(slot);
        try {
          run.outer.add(this.#fd, slot, generation);
        } catch (error) {
          watches.remove(slot);
          throw error;
        }
        this.#run = run;
        this.#slot = slot;
        this.#generation = generation;
      } else if (!this.#armed) {
        run.outer.rearm(this.#fd, this.#slot, this.#generation);
      }
      this.#armed = true;
    } catch (error) {
      engine.release(this);
      throw error;
    }
  }

  /** No longer waiting; the kernel registration stays armed (a later report is ignored). */
  disarm(): void {
    this.#engine.release(this);
  }

  /** Whether this watch keeps the process alive while it waits. */
  keepAlive(on: boolean): void {
    this.#keepAlive = on;
    this.#engine.keepAlive(this, on);
  }

  /** Leaves the outer instance (EPOLL_CTL_DEL / EV_DELETE) before the instance's descriptor closes. */
  dispose(): void {
    this.#engine.release(this);
    this.#leave();
  }

  /** Whether this watch is registered in `run`. @internal */
  belongsTo(run: Run): boolean {
    return this.#run === run;
  }

  /** The readiness thread reported this watch's instance. @internal */
  report(run: Run): void {
    if (run !== this.#run) return;
    // One-shot: the registration is disarmed in the kernel until the next arm().
    this.#armed = false;
    if (this.#engine.isInterested(this)) this.#onReady();
  }

  /** The run died with waits pending. @internal */
  fail(error: unknown): void {
    this.#run = undefined;
    this.#armed = false;
    this.#onError(error);
  }

  /** Leaves the run it is registered in (the kernel side only if that run is still live). */
  #leave(): void {
    const run = this.#run;
    if (run === undefined) return;
    if (!run.stopping) run.outer.remove(this.#fd);
    run.watches.remove(this.#slot);
    this.#run = undefined;
    this.#armed = false;
  }
}

/**
 * The readiness thread of one outer kind on this JS thread: starts it on the first armed watch,
 * refs it while watches wait, stops it after {@link LINGER_MS} idle.
 */
export class ReadinessEngine {
  readonly #openOuter: () => OuterControl;
  #run: Run | undefined;
  /** Watches with a pending wait, held strongly so a waiting instance is never collected. */
  readonly #interested = new WaitingWatches<ThreadWatch>();
  /** Every run whose Worker has not ended yet. */
  readonly #runs = new Set<Run>();
  readonly #linger = new Linger(
    () => this.#run === undefined || this.#interested.size > 0,
    () => this.#stop(this.#run!),
  );
  #reports = 0;

  /** @param openOuter - opens the outer instance of a new run. */
  constructor(openOuter: () => OuterControl) {
    this.#openOuter = openOuter;
  }

  /** A readiness watch for the instance with descriptor `fd`, for its async waiter. */
  watch(fd: number, onReady: () => void, onError: (error: unknown) => void): ThreadWatch {
    return new ThreadWatch(this, fd, onReady, onError);
  }

  /** Whether a readiness thread is running (or starting) for new waits. */
  get running(): boolean {
    return this.#run !== undefined;
  }

  /** How many readiness threads exist, stopping ones included. */
  get threads(): number {
    return this.#runs.size;
  }

  /** How many watches wait. */
  get waiting(): number {
    return this.#interested.size;
  }

  /** How many readiness reports this engine has taken from its threads, for tests. */
  get reports(): number {
    return this.#reports;
  }

  /**
   * Stops the readiness thread now, failing pending waits with ECANCELED, and resolves once every
   * readiness thread of this engine has closed its descriptors and ended. For tests and for code
   * that must leave no thread behind (a Worker about to end).
   */
  async shutdown(): Promise<void> {
    const run = this.#run;
    if (run !== undefined) {
      const cancelled = new SystemError("ECANCELED", "waitAsync", "the readiness thread was shut down");
      for (const watch of this.#interested.list()) if (watch.belongsTo(run)) watch.fail(cancelled);
      this.#stop(run);
    }
    await Promise.all([...this.#runs].map((r) => r.exited));
  }

  /**
   * Marks `watch` as waiting (`keepAlive`: keeping the process alive meanwhile) and returns the
   * live run, starting one if needed. @internal
   */
  acquire(watch: ThreadWatch, keepAlive: boolean): Run {
    const run = this.#run ?? this.#start();
    this.#interested.add(watch, keepAlive);
    this.#updateRef();
    return run;
  }

  /** Whether waiting `watch` keeps the process alive (ignored while it does not wait). @internal */
  keepAlive(watch: ThreadWatch, on: boolean): void {
    this.#interested.setKeepAlive(watch, on);
    this.#updateRef();
  }

  /** `watch` no longer waits. @internal */
  release(watch: ThreadWatch): void {
    const wasWaiting = this.#interested.delete(watch);
    this.#updateRef();
    if (!wasWaiting || this.#interested.size > 0) return;
    if (this.#run !== undefined) this.#linger.idle();
  }

  /** Refs the live run's Worker while a waiting watch keeps the process alive, unrefs it otherwise. */
  #updateRef(): void {
    const run = this.#run;
    if (run === undefined || run.stopping) return;
    const refd = this.#interested.keepsAlive;
    if (refd === run.refd) return;
    run.refd = refd;
    if (refd) run.worker.ref();
    else run.worker.unref();
  }
  /** Whether `watch` waits. @internal */
  isInterested(watch: ThreadWatch): boolean {
    return this.#interested.has(watch);
  }

  #start(): Run {
    const outer = this.#openOuter();
    let run: Run;
    try {
      run = new Run(outer);
    } catch (error) {
      outer.close();
      throw error;
    }
    this.#run = run;
    this.#runs.add(run);
    void run.exited.then(() => this.#runs.delete(run));
    run.worker.unref();
    const start: ReadinessStart = { ring: run.ring, outer: outer.init };
    run.worker.postMessage(start);
    void this.#pump(run);
    return run;
  }

  /**
   * Asks `run`'s thread to stop. The wake-up is written *before* STOP is published: the thread
   * closes the control descriptor as soon as it sees STOP, and a later write could land on a
   * descriptor number reused by someone else. Until it sees STOP it returns from each wait at once
   * (the control registration stays ready), so the window is the few microseconds until the store.
   */
  #stop(run: Run): void {
    if (run.stopping) return;
    run.stopping = true;
    if (this.#run === run) this.#run = undefined;
    this.#linger.cancel();
    // Keep this thread (a Worker, say) alive until the helper has closed its descriptors.
    run.refd = true;
    run.worker.ref();
    if (Atomics.load(run.ring, OWNER) !== OWNER_CLOSED) run.outer.wake();
    Atomics.store(run.ring, STATE, STATE_STOP);
    Atomics.notify(run.ring, TAIL);
  }

  /** Takes reports from `run`'s ring until its thread has stopped. */
  async #pump(run: Run): Promise<void> {
    const ring = run.ring;
    for (;;) {
      const head = Atomics.load(ring, HEAD);
      if (head !== run.tail) {
        this.#drain(run, head);
        // Let the waits just resolved run their continuations before this loop registers its
        // next Atomics.waitAsync (a couple of microseconds): the wake-up latency is theirs.
        await undefined;
        continue;
      }
      if (Atomics.load(ring, STATE) === STATE_STOPPED || run.dead) break;
      const waiting = Atomics.waitAsync(ring, HEAD, head);
      if (waiting.async) await waiting.value;
    }
    this.#ended(run);
  }

  /** Hands every published report to its watch, then frees their room in the ring. */
  #drain(run: Run, head: number): void {
    const ring = run.ring;
    let tail = run.tail;
    const wasFull = queued(head, tail) === RING_ENTRIES;
    const watches = run.watches;
    const live = !run.stopping;
    this.#reports += queued(head, tail);
    while (tail !== head) {
      const at = entryIndex(tail);
      const watch = live ? watches.get(ring[at]! >>> 0, ring[at + 1]! >>> 0)?.deref() : undefined;
      tail = (tail + 1) | 0;
      watch?.report(run);
    }
    run.tail = tail;
    Atomics.store(ring, TAIL, tail);
    if (wasFull) Atomics.notify(ring, TAIL);
  }

  /** `run`'s thread has stopped or died: close what it left and fail waits it still served. */
  #ended(run: Run): void {
    const unexpected = !run.stopping;
    run.stopping = true;
    if (this.#run === run) this.#run = undefined;
    // The thread never took the descriptors over, or gave them back when its wait failed.
    if (Atomics.compareExchange(run.ring, OWNER, OWNER_MAIN, OWNER_CLOSED) === OWNER_MAIN) run.outer.close();
    if (!unexpected) return;
    const code = Atomics.load(run.ring, ERROR);
    const error =
      run.failure ??
      (code > 0 ? SystemError.fromErrno(code, "epoll_wait") : helperThreadError("readiness thread", undefined));
    log("error", `the readiness thread failed: ${code > 0 ? errnoName(code) : String(error)}`, { error });
    for (const watch of this.#interested.list()) if (watch.belongsTo(run)) watch.fail(error);
  }
}

let defaultEngine: ReadinessEngine | undefined;

/**
 * This thread's readiness engine for the platform's own kernel objects: an outer epoll on Linux
 * (for `Epoll`), an outer kqueue on macOS and FreeBSD (for the native `Kqueue`).
 */
export function readinessEngine(): ReadinessEngine {
  defaultEngine ??= new ReadinessEngine(platform.supports.epoll ? openEpollOuter : () => openKqueueOuter(undefined));
  return defaultEngine;
}

/** This thread's readiness engine if one was made, without making it. */
export function existingReadinessEngine(): ReadinessEngine | undefined {
  return defaultEngine;
}
