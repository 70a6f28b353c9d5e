/**
 * A Worker for tests that queues its messages, so a test can `await worker.next()` for each, and
 * that is terminated (and waited for) at the end of an `await using` block.
 *
 * @module
 */

/** A test's Worker: messages in order, errors as rejections, terminated at dispose. */
export class TestWorker implements AsyncDisposable {
  readonly worker: Worker;
  readonly #queue: unknown[] = [];
  readonly #waiting: { resolve: (value: unknown) => void; reject: (error: unknown) => void }[] = [];
  #failure: unknown;
  #closed: Promise<void>;

  /** Starts the worker script at `url` (resolve it with `new URL("./x.ts", import.meta.url)`). */
  constructor(url: URL) {
    this.worker = new Worker(url.href);
    this.#closed = new Promise((resolve) => this.worker.addEventListener("close", () => resolve(), { once: true }));
    this.worker.onmessage = (event) => {
      const waiter = this.#waiting.shift();
      if (waiter) waiter.resolve(event.data);
      else this.#queue.push(event.data);
    };
    this.worker.onerror = (event) => {
      this.#failure = event.error ?? new Error(event.message);
      for (const waiter of this.#waiting.splice(0)) waiter.reject(this.#failure);
    };
  }

  /** Posts `message` to the worker. */
  post(message: unknown): void {
    this.worker.postMessage(message);
  }

  /** The next message, in order; rejects when the worker fails or `timeoutMs` passes. */
  next(timeoutMs = 10_000): Promise<unknown> {
    if (this.#queue.length > 0) return Promise.resolve(this.#queue.shift());
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no message from the worker within ${timeoutMs} ms`)), timeoutMs);
      this.#waiting.push({
        resolve: (value) => (clearTimeout(timer), resolve(value)),
        reject: (error) => (clearTimeout(timer), reject(error)),
      });
    });
  }

  /** Terminates the worker and waits until its thread has closed. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.worker.terminate();
    await this.#closed;
  }
}
