/**
 * Framing for the Bun-native side of ipc-roundtrip, written the way an application on `Bun.listen`
 * / `Bun.connect` would: a 4-byte big-endian length, then the payload; bytes gathered in a growing
 * buffer until a frame is whole; writes that the socket only partly takes finished on `drain`.
 *
 * @module
 */

/** One frame: header and payload in one buffer. */
export function frame(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + payload.length);
  new DataView(out.buffer).setUint32(0, payload.length);
  out.set(payload, 4);
  return out;
}

/** Gathers bytes and cuts whole frames out of them. */
export class FrameReader {
  #buffer = new Uint8Array(64 * 1024);
  #start = 0;
  #end = 0;

  /**
   * Adds `chunk`, then calls `onFrame` with each whole frame (header included: an echo sends it
   * back as it is). Returns false, having called it for the whole frames before, when a header
   * announces more than `max` bytes: the connection should be dropped.
   */
  push(chunk: Uint8Array, onFrame: (frameBytes: Uint8Array) => void, max = Number.POSITIVE_INFINITY): boolean {
    this.#append(chunk);
    for (;;) {
      const available = this.#end - this.#start;
      if (available < 4) break;
      const b = this.#buffer;
      const length = ((b[this.#start]! << 24) >>> 0) + ((b[this.#start + 1]! << 16) | (b[this.#start + 2]! << 8) | b[this.#start + 3]!);
      if (length > max) return false;
      if (available < 4 + length) break;
      onFrame(b.subarray(this.#start, this.#start + 4 + length));
      this.#start += 4 + length;
    }
    if (this.#start === this.#end) this.#start = this.#end = 0;
    return true;
  }

  #append(chunk: Uint8Array): void {
    if (this.#end + chunk.length > this.#buffer.length) {
      const kept = this.#end - this.#start;
      if (kept + chunk.length <= this.#buffer.length) {
        this.#buffer.copyWithin(0, this.#start, this.#end);
      } else {
        const next = new Uint8Array(Math.max(2 * this.#buffer.length, kept + chunk.length));
        next.set(this.#buffer.subarray(this.#start, this.#end));
        this.#buffer = next;
      }
      this.#start = 0;
      this.#end = kept;
    }
    this.#buffer.set(chunk, this.#end);
    this.#end += chunk.length;
  }
}

/** A socket's outgoing bytes: what `write` did not take waits for `drain`. */
export class Writer {
  #pending: Uint8Array[] = [];

  /** Writes `bytes` (copied when the socket does not take all of them at once). */
  write(socket: { write(data: Uint8Array): number }, bytes: Uint8Array): void {
    if (this.#pending.length > 0) {
      this.#pending.push(bytes.slice());
      return;
    }
    const written = socket.write(bytes);
    if (written < bytes.length) this.#pending.push(bytes.slice(Math.max(written, 0)));
  }

  /** Call from the socket's `drain` handler. */
  drain(socket: { write(data: Uint8Array): number }): void {
    while (this.#pending.length > 0) {
      const head = this.#pending[0]!;
      const written = socket.write(head);
      if (written < head.length) {
        this.#pending[0] = head.subarray(Math.max(written, 0));
        return;
      }
      this.#pending.shift();
    }
  }
}
