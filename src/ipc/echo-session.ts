/**
 * One client of an `EchoServer`: its connection and where it stands with backpressure.
 *
 * @internal
 * @module
 */
import type { FramedConnection } from "../framed/framed-connection.ts";
import { Interest } from "../poller/index.ts";

/** A connected client, as the server's Poller carries it. */
export class EchoSession {
  /** A number for the logs: 1 for the server's first client, then 2, 3, … */
  readonly id: number;
  readonly connection: FramedConnection;
  /** The interest registered in the Poller now. */
  interest: number = Interest.READABLE;
  /** Reading stopped because the echoes queued for this client passed the server's bound. */
  paused = false;
  /** The client closed its side: write what is queued, then close. */
  ended = false;
  /** Messages echoed to this client. */
  messages = 0;

  constructor(id: number, connection: FramedConnection) {
    this.id = id;
    this.connection = connection;
  }

  /** What to wait for: reading unless paused or ended, writing while something is queued. */
  wantedInterest(): number {
    const read = this.paused || this.ended ? 0 : Interest.READABLE;
    const write = this.connection.wantsWrite ? Interest.WRITABLE : 0;
    return read | write;
  }
}
