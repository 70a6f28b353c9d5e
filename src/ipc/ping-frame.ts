/**
 * The payload of an `IpcClient` ping, 24 bytes, big-endian like the frame header:
 *
 *     0..8    "bunixPNG"          magic, so a ping is told apart from other messages
 *     8..12   u32 client id       random per client, so another client's ping is not taken for ours
 *     12..16  u32 sequence        1, 2, 3, … per client
 *     16..24  f64 sent at         performance.now() in the sending process, in ms
 *
 * The send time travels in the ping (as ICMP echo does) rather than in a table, so an echo can be
 * timed whenever it comes back and nothing is kept for pings that never return.
 *
 * @internal
 * @module
 */

/** Bytes in a ping's payload. */
export const PING_SIZE = 24;
const MAGIC = new TextEncoder().encode("bunixPNG");

/** A ping payload from client `clientId`, number `sequence`, stamped now. */
export function encodePing(clientId: number, sequence: number): Uint8Array {
  const bytes = new Uint8Array(new ArrayBuffer(PING_SIZE));
  bytes.set(MAGIC, 0);
  const view = new DataView(bytes.buffer);
  view.setUint32(8, clientId);
  view.setUint32(12, sequence);
  view.setFloat64(16, performance.now());
  return bytes;
}

/** The sequence number and send time of `message` if it is a ping of client `clientId`, else null. */
export function decodePing(message: Uint8Array, clientId: number): { sequence: number; sentAt: number } | null {
  if (message.length !== PING_SIZE) return null;
  for (let i = 0; i < MAGIC.length; i++) if (message[i] !== MAGIC[i]) return null;
  const view = new DataView(message.buffer, message.byteOffset, message.byteLength);
  if (view.getUint32(8) !== clientId) return null;
  return { sequence: view.getUint32(12), sentAt: view.getFloat64(16) };
}
