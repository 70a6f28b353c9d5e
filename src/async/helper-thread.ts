/**
 * What the two helper-thread mechanisms (the shared readiness thread and the libkqueue helper)
 * have in common: where their Worker scripts are, how a Worker's end and failures reach its owner,
 * and the linger timer that stops an idle helper.
 *
 * Where the scripts are: see worker-url.ts (the published build replaces it, so that bundlers see
 * the scripts).
 *
 * @internal
 * @module
 */
import { helperThreadError } from "./helper-error.ts";
import { helperScriptUrl, type HelperScript } from "./worker-url.ts";

/** How long an idle helper thread waits for the next `waitAsync` before it stops, in ms. */
export const LINGER_MS = 100;

/** What the owner of a helper Worker hears from it. */
export interface HelperListeners {
  /** The Worker failed: an uncaught error, or the error its script posted before ending. */
  failed(error: unknown): void;
  /** The Worker is gone (its 'close' event, or right after an uncaught error). */
  ended(): void;
}

/** A started helper Worker. */
export interface HelperWorker {
  readonly worker: Worker;
  /** Settles when the Worker has ended (its 'close' event). */
  readonly exited: Promise<void>;
}

/**
 * Starts the Worker of `script` and wires its lifecycle to `listeners`. A script reports a
 * failure it caught by posting `{ error: message }`; `label` names the thread in that error.
 */
export function startHelperWorker(script: HelperScript, label: string, listeners: HelperListeners): HelperWorker {
  const worker = new Worker(helperScriptUrl(script));
  const exited = new Promise<void>((resolve) => {
    worker.addEventListener("close", () => {
      listeners.ended();
      resolve();
    });
  });
  worker.addEventListener("error", (event) => {
    listeners.failed(helperThreadError(label, event.error ?? event.message));
    listeners.ended();
  });
  worker.addEventListener("message", (event: MessageEvent<{ error?: string }>) => {
    if (event.data?.error !== undefined) listeners.failed(helperThreadError(label, event.data.error));
  });
  return { worker, exited };
}

/**
 * The timer that stops an idle helper thread {@link LINGER_MS} after its last wait, so that a loop
 * of waits does not restart it. It is not reset per wait (a loop of waits would make and clear one
 * per wait): when it fires it checks how long the owner has really been idle, and waits out the
 * rest. On the main thread it is unref'd (process exit ends the thread anyway); inside a Worker it
 * is ref'd, so that the Worker stays until its helper has closed its descriptors: a helper left
 * blocked when its parent Worker ends would keep them open for the life of the process.
 */
export class Linger {
  readonly #busy: () => boolean;
  readonly #expire: () => void;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #idleSince = 0;

  /**
   * @param busy - whether the owner has work again (or nothing left to stop): the timer then does nothing.
   * @param expire - stops the helper.
   */
  constructor(busy: () => boolean, expire: () => void) {
    this.#busy = busy;
    this.#expire = expire;
  }

  /** The owner became idle now: stop the helper {@link LINGER_MS} from now unless it is busy again. */
  idle(): void {
    this.#idleSince = performance.now();
    this.#schedule(LINGER_MS);
  }

  /** No stop is wanted any more (the helper is stopping already). */
  cancel(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #schedule(ms: number): void {
    if (this.#timer !== undefined) return;
    const timer = setTimeout(() => {
      this.#timer = undefined;
      if (this.#busy()) return;
      const left = LINGER_MS - (performance.now() - this.#idleSince);
      if (left >= 1) this.#schedule(left);
      else this.#expire();
    }, ms);
    if (Bun.isMainThread) timer.unref();
    this.#timer = timer;
  }
}
