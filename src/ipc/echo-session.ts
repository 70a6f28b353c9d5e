/**
 * One client of an `EchoServer`: its socket, the bytes the server holds for it, and where it
 * stands with backpressure.
 *
 * The server echoes frames straight out of its one shared read buffer; a session keeps only what
 * could not be handled at once: the start of an incomplete frame (`carry`), a frame too long for
 * the shared buffer (`large`), and echoes the socket did not take yet (`out`). Every byte of it
 * is `charged` to the server's global bound.
 *
 * @internal
 * @module
 */
import { ptr } from "bun:ffi";
import type { SystemError } from "../core/errors.ts";
import type { UnixSocket } from "../socket/unix-socket.ts";

/** Echoes not yet written: whole frames, or the unwritten end of them. */
export interface OutChunk {
  readonly bytes: Uint8Array;
  readonly address: number;
  /** Frames whose last byte is in this chunk: echoed once it is written. */
  readonly frames: number;
}

/** Why reading from a session stopped for a while. */
export type PauseReason = "backlog" | "memory";

/**
 * A buffer of its own for `length` bytes, with its address: ArrayBuffer-backed, so the address
 * never changes.
 */
export function ownedBuffer(length: number): { bytes: Uint8Array; address: number } {
  const bytes = new Uint8Array(new ArrayBuffer(length));
  return { bytes, address: length === 0 ? 0 : ptr(bytes) };
}

/** A connected client, as the server's Poller carries it. */
export class EchoSession {
  /** A number for the logs: 1 for the server's first client, then 2, 3, … */
  readonly id: number;
  readonly socket: UnixSocket;
  readonly fd: number;
  /** The interest registered in the Poller now; 0 when not registered at all. */
  interest = 0;
  /** Still reading: false once the client ended, failed, or the server is shutting down. */
  reading = true;
  /** Why reading is paused, or `null`. */
  paused: PauseReason | null = null;
  /** The protocol error to report when the session closes after its last echoes. */
  failure: SystemError | null = null;
  /** The start of an incomplete frame that fits the shared read buffer. */
  carry: Uint8Array | null = null;
  /** A frame longer than the shared read buffer, filled up to `largeFilled`. */
  large: Uint8Array | null = null;
  largeAddress = 0;
  largeFilled = 0;
  /** Echoes waiting for the socket, oldest first, from `outHead` on; `outOffset` bytes of the first are written. */
  out: OutChunk[] = [];
  outHead = 0;
  outOffset = 0;
  /** Bytes of `out` not yet written. */
  outBytes = 0;
  /** Bytes of the server's bound held by this session. */
  charged = 0;
  /** When the client last completed a frame (or connected), in ms of `performance.now()`. */
  lastFrameAt: number;
  /** Messages echoed to this client. */
  messages = 0;

  constructor(id: number, socket: UnixSocket, now: number) {
    this.id = id;
    this.socket = socket;
    this.fd = socket.fd;
    this.lastFrameAt = now;
  }
}
