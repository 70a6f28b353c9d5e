/**
 * The throughput run of `wake-latency-async`: a producer Worker adds 1 to each of `fds` eventfds in
 * turn, flat out or paced, while the main thread loops on `waitAsync` over one Epoll holding them
 * all and reads every ready counter. One resolution delivers every eventfd that became ready and
 * every write since the last read (an eventfd counter sums its writes), so the cost of a wake-up is
 * shared by all of them: the batching this run shows.
 *
 * @module
 */
import { constant, loadCore, loadEventfd } from "../../ffi/index.ts";
import { Epoll, EpollFlags } from "../../src/epoll/epoll.ts";
import { startProducer } from "./latency.ts";
import { STOP, WRITTEN } from "./shared-words.ts";

/** One throughput run's figures, per second of the run. */
export interface Throughput {
  /** Producer writes delivered to the main thread (counter values read). */
  readonly writes: number;
  /** `waitAsync` resolutions. */
  readonly resolutions: number;
  /** Ready entries delivered (eventfds per resolution, summed). */
  readonly entries: number;
}

/**
 * Streams for `durationMs`.
 * @param fdCount - eventfds written in turn.
 * @param pauseMs - the producer's pause after each write (0: flat out). A pause makes the main
 *   thread catch up and sleep, so resolutions come through the helper thread.
 */
export async function streamThroughput(fdCount: number, durationMs: number, pauseMs: number): Promise<Throughput> {
  const { read, close } = loadCore()!;
  const { eventfd } = loadEventfd()!;
  const fds: number[] = [];
  const control = new Int32Array(new SharedArrayBuffer(16));
  const counter = new BigUint64Array(new ArrayBuffer(8));
  let writes = 0;
  let resolutions = 0;
  let entries = 0;
  try {
    using epoll = new Epoll<number>();
    for (let i = 0; i < fdCount; i++) {
      const fd = eventfd(0, constant("EFD_CLOEXEC") | constant("EFD_NONBLOCK"));
      if (fd < 0) throw new Error("eventfd failed");
      fds.push(fd);
      epoll.add(fd, EpollFlags.IN, fd);
    }
    const producer = startProducer({ kind: "stream", control, fds, pauseMs });
    try {
      const started = performance.now();
      const deadline = started + durationMs;
      while (performance.now() < deadline) {
        const events = await epoll.waitAsync(100);
        resolutions++;
        entries += events.length;
        for (let i = 0; i < events.length; i++) {
          if (read(events.data(i)!, counter, 8) === 8) writes += Number(counter[0]);
        }
      }
      const seconds = (performance.now() - started) / 1000;
      Atomics.store(control, STOP, 1);
      await producer.done;
      if (Atomics.load(control, WRITTEN) < writes) throw new Error("throughput: more writes read than made");
      return { writes: writes / seconds, resolutions: resolutions / seconds, entries: entries / seconds };
    } finally {
      Atomics.store(control, STOP, 1);
      producer.worker.terminate();
    }
  } finally {
    for (const fd of fds) close(fd);
  }
}
