/**
 * Round-trip timing for the ping-pong benchmarks: the rate over a whole timed run and the
 * percentiles of the individual round trips, measured the way bench/c/pingpong.c measures them.
 *
 * @module
 */
import { rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Clock } from "../harness/clock.ts";
import { quantile } from "../harness/stats.ts";

/** The outcome of one ping-pong run. */
export interface RoundTrips {
  /** Mean time per round trip over the timed run by the bench clock: 1e9 / rate. */
  readonly nsPerRoundTrip: number;
  readonly p50: number;
  readonly p99: number;
}

function outcome(latencies: Float64Array, elapsed: number): RoundTrips {
  return { nsPerRoundTrip: elapsed / latencies.length, p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99) };
}

/**
 * Runs `roundTrip` `warmup` times untimed, then `count` times: the whole run by `clock`, each
 * round trip by the wall clock.
 */
export function roundTrips(count: number, warmup: number, clock: Clock, roundTrip: () => void): RoundTrips {
  for (let i = 0; i < warmup; i++) roundTrip();
  const latencies = new Float64Array(count);
  const start = clock.now();
  for (let i = 0; i < count; i++) {
    const t0 = Bun.nanoseconds();
    roundTrip();
    latencies[i] = Bun.nanoseconds() - t0;
  }
  return outcome(latencies, clock.now() - start);
}

/**
 * Bun's own sockets: a `Bun.listen` server on a Unix socket path echoes every byte, and a
 * `Bun.connect` client in the same process sends the next byte when the echo arrives, so one
 * message is in flight. Both sockets and the path are gone when the promise settles.
 */
export async function nativePingPong(count: number, warmup: number, clock: Clock): Promise<RoundTrips> {
  const path = join(tmpdir(), `bunix-bench-${process.pid}-${Date.now()}.sock`);
  const server = Bun.listen({
    unix: path,
    socket: {
      data(socket, data) {
        socket.write(data);
      },
    },
  });
  const byte = new Uint8Array([120]);
  const latencies = new Float64Array(count);
  let done!: (elapsed: number) => void;
  let failed!: (error: Error) => void;
  const finished = new Promise<number>((resolve, reject) => {
    done = resolve;
    failed = reject;
  });
  let completed = -warmup;
  let sentAt = 0;
  let start = 0;
  try {
    const client = await Bun.connect({
      unix: path,
      socket: {
        data(socket, data) {
          const now = Bun.nanoseconds();
          if (data.length !== 1) return failed(new Error(`native pingpong: got ${data.length} bytes`));
          if (completed >= 0) latencies[completed] = now - sentAt;
          if (++completed === count) return done(clock.now() - start);
          if (completed === 0) start = clock.now();
          sentAt = Bun.nanoseconds();
          socket.write(byte);
        },
        error(_socket, error) {
          failed(error);
        },
      },
    });
    sentAt = Bun.nanoseconds();
    client.write(byte);
    const elapsed = await finished;
    client.end();
    return outcome(latencies, elapsed);
  } finally {
    server.stop(true);
    rmSync(path, { force: true });
  }
}
