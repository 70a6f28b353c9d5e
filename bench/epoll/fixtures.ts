/**
 * The descriptor populations the Epoll benchmarks wait on, built as in `bench/c/wait.c`:
 * `ready` eventfds holding 1 (level-triggered, never read, so every wait reports them) spread
 * evenly among `idle` ones holding 0. Registration `i` carries data `i + 1`.
 *
 * @module
 */
import { Epoll, EpollFlags } from "../../src/epoll/epoll.ts";
import { DescriptorSet } from "../harness/descriptors.ts";

/** A set of eventfds, some ready; disposing closes them. */
export interface Population extends Disposable {
  /** The eventfds in registration order. */
  readonly fds: readonly number[];
  /** What summing the data (`i + 1`) of the ready ones gives: the check every wait makes. */
  readonly expectedSum: number;
}

/**
 * Opens `ready + idle` eventfds, `ready` of them readable.
 * @param ready - how many report EPOLLIN on every wait; at most maxEvents (1024).
 * @param idle - how many more never become ready.
 */
export function population(ready: number, idle = 0): Population {
  const descriptors = new DescriptorSet();
  const total = ready + idle;
  const spacing = Math.floor(total / ready);
  let expectedSum = 0;
  try {
    for (let i = 0; i < total; i++) {
      const isReady = i % spacing === 0 && i / spacing < ready;
      descriptors.eventfd(isReady ? 1 : 0);
      if (isReady) expectedSum += i + 1;
    }
  } catch (error) {
    descriptors[Symbol.dispose]();
    throw error;
  }
  return { fds: [...descriptors.fds], expectedSum, [Symbol.dispose]: () => descriptors[Symbol.dispose]() };
}

/** A new `Epoll<number>` with every descriptor of `eventfds` added for IN with data `i + 1`. The caller closes it. */
export function epollOver(eventfds: Population): Epoll<number> {
  const epoll = new Epoll<number>();
  try {
    eventfds.fds.forEach((fd, i) => epoll.add(fd, EpollFlags.IN, i + 1));
  } catch (error) {
    epoll.close();
    throw error;
  }
  return epoll;
}

/** One `wait(0)` that sums `events.data(i)` in an indexed loop and checks the sum: the hot path. */
export function indexedLoop(epoll: Epoll<number>, expectedSum: number): () => void {
  return () => {
    const events = epoll.wait(0);
    let sum = 0;
    for (let i = 0; i < events.length; i++) sum += events.data(i)!;
    if (sum !== expectedSum) throw new Error(`indexed wait: sum ${sum}, expected ${expectedSum}`);
  };
}
