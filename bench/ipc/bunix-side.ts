/**
 * The bunix side of ipc-roundtrip: `IpcClient` against `EchoServer`, one message in flight.
 *
 * - One thread: the client and an in-process `EchoServer` take turns (`send`, `server.step(0)`,
 *   `client.poll` + `process`). Each echo is complete after one server turn as long as a message
 *   and its echo fit the sockets' buffers (64 KiB does), so nobody ever waits for the other.
 * - Against a server process: the client blocks in `poll` until the echo is back.
 *
 * @module
 */
import { EchoServer, IpcClient } from "../../src/ipc/index.ts";
import { RoundTripTimer, type RoundTripRun, checkEcho } from "./round-trip-timing.ts";

/** Longest wait for an echo before the bench calls the run stuck, in ms. */
const STALL_MS = 10_000;

/**
 * Sends `payload` and returns once its echo came back whole. `turn` runs before each poll; with a
 * turn (the server in this thread) the client polls without waiting, since the server only moves
 * when this thread runs it.
 */
function roundTrip(client: IpcClient, payload: Uint8Array, turn: (() => void) | null): void {
  client.send(payload);
  const deadline = performance.now() + STALL_MS;
  for (;;) {
    turn?.();
    for (const event of client.poll(turn === null ? STALL_MS : 0)) {
      if (event.kind === "hangup") throw new Error("ipc-roundtrip: the server went away");
      const echo = client.process(event);
      if (echo !== null) {
        checkEcho(echo, payload);
        return;
      }
    }
    if (performance.now() > deadline) throw new Error("ipc-roundtrip: no echo within 10 s");
  }
}

function run(client: IpcClient, payload: Uint8Array, count: number, warmup: number, turn: (() => void) | null): RoundTripRun {
  const timer = new RoundTripTimer(count, warmup);
  while (!timer.finished) {
    timer.sending();
    roundTrip(client, payload, turn);
    timer.received();
  }
  return timer.result();
}

/** Round trips between an IpcClient and an EchoServer in this thread, on a fresh socket at `path`. */
export function bunixOneThread(path: string, payload: Uint8Array, count: number, warmup: number): RoundTripRun {
  using server = EchoServer.listen(path);
  using client = IpcClient.connect(path, { pingIntervalMs: 0 });
  return run(client, payload, count, warmup, () => server.step(0));
}

/** Round trips between an IpcClient and the server process listening at `path`. */
export function bunixClient(path: string, payload: Uint8Array, count: number, warmup: number): RoundTripRun {
  using client = IpcClient.connect(path, { pingIntervalMs: 0 });
  return run(client, payload, count, warmup, null);
}
