/**
 * Waiting for a socket without blocking the test runner: a blocking recv or accept in the test
 * process cannot be interrupted by a test timeout, so tests that wait on another process poll a
 * nonblocking socket between short sleeps, up to a deadline.
 * @module
 */
import type { ReceivedMessage, UnixListener, UnixSocket, UnixRecvOptions } from "../../src/socket/index.ts";
import { emulated } from "./env.ts";

/** How long to wait for another process before failing. */
export const PROCESS_WAIT_MS = emulated ? 30_000 : 10_000;

async function poll<T>(what: string, attempt: () => T | null, ms: number): Promise<T> {
  const deadline = performance.now() + ms;
  for (;;) {
    const result = attempt();
    if (result !== null) return result;
    if (performance.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await Bun.sleep(2);
  }
}

/** The next message on `socket` (made nonblocking), waiting up to `ms`. */
export function recvWithin(socket: UnixSocket, size: number, options?: UnixRecvOptions, ms = PROCESS_WAIT_MS): Promise<ReceivedMessage> {
  if (!socket.nonblocking) socket.setNonblocking(true);
  return poll("a message", () => socket.recv(size, options), ms);
}

/** The next connection on `listener` (made nonblocking), waiting up to `ms`. */
export function acceptWithin(listener: UnixListener, ms = PROCESS_WAIT_MS): Promise<UnixSocket> {
  if (!listener.nonblocking) listener.setNonblocking(true);
  return poll("a connection", () => listener.accept(), ms);
}

/** The text of the next message on `socket`. */
export async function recvText(socket: UnixSocket, size = 4096): Promise<string> {
  return new TextDecoder().decode((await recvWithin(socket, size)).data);
}
