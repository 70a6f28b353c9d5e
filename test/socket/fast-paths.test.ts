// The byte-only paths of UnixSocket: send without options goes through send(2), and a receive
// into the buffer of the last receive reuses its iovec. Whatever happens in between (other
// buffers, descriptor passing, many gathered buffers, datagram senders, a buffer transferred
// away), each call must read and write exactly the bytes it is given.
import { expect, test } from "bun:test";
import { socketpair, UnixSocket } from "../../src/socket/index.ts";
import { socketDir } from "../helpers/socket-paths.ts";

const path = socketDir("bunix-fast-");

test("receives into the same buffer, then others, around fd passing and gathered sends, land where they should", () => {
  const [a, b] = socketpair("stream");
  try {
    const one = new Uint8Array(new ArrayBuffer(4));
    const two = new Uint8Array(8);
    a.send(new Uint8Array([1, 2, 3, 4]));
    expect([...b.recv(one)!.data]).toEqual([1, 2, 3, 4]);
    a.send(new Uint8Array([5, 6, 7, 8]));
    expect([...b.recv(one)!.data]).toEqual([5, 6, 7, 8]);
    a.send(new Uint8Array([9, 10]));
    expect([...b.recv(two)!.data]).toEqual([9, 10]);
    expect([...one]).toEqual([5, 6, 7, 8]); // untouched by the receive into `two`
    // A descriptor and a gathered send in between: the next plain receive still lands in `one`.
    a.send(new Uint8Array([11]), { fds: [a.fd] });
    const withFd = b.recv(one, { maxFds: 1 })!;
    expect(withFd.bytes).toBe(1);
    expect(withFd.fds).toHaveLength(1);
    UnixSocket.fromFd(withFd.fds[0]!).close();
    a.send(Array.from({ length: 40 }, (_, i) => new Uint8Array([i])));
    const gathered = new Uint8Array(64);
    expect(b.recv(gathered)!.bytes).toBe(40);
    a.send(new Uint8Array([12, 13, 14, 15]));
    expect([...b.recv(one)!.data]).toEqual([12, 13, 14, 15]);
    // A buffer transferred away reads length 0: a receive into it is an empty receive of nothing.
    const moving = new Uint8Array(new ArrayBuffer(4));
    a.send(new Uint8Array([16, 17, 18, 19]));
    expect([...b.recv(moving)!.data]).toEqual([16, 17, 18, 19]);
    moving.buffer.transfer();
    const fresh = new Uint8Array(4);
    a.send(new Uint8Array([20, 21, 22, 23]));
    expect([...b.recv(fresh)!.data]).toEqual([20, 21, 22, 23]);
  } finally {
    a.close();
    b.close();
  }
});

test("a datagram receive with its sender between plain receives: each gets its own header", () => {
  using server = UnixSocket.bind(path("d.sock"));
  using client = UnixSocket.bind(path("c.sock"));
  const buffer = new Uint8Array(16);
  client.sendTo(path("d.sock"), "one");
  expect(server.recv(buffer)!.from).toBe(path("c.sock"));
  const [a, b] = socketpair("stream");
  try {
    a.send("two");
    const got = b.recv(buffer)!;
    expect(new TextDecoder().decode(got.data)).toBe("two");
    expect(got.from).toBeNull();
    client.sendTo(path("d.sock"), "three");
    expect(server.recv(buffer)!.from).toBe(path("c.sock"));
  } finally {
    a.close();
    b.close();
  }
});

test("send without options: bytes, empty, EPIPE after the peer is gone, null when full (nonblocking)", () => {
  const [a, b] = socketpair("stream", { nonblocking: true });
  expect(a.send(new Uint8Array(0))).toBe(0);
  const big = new Uint8Array(1 << 20);
  let total = 0;
  for (let sent = a.send(big); sent !== null; sent = a.send(big)) total += sent;
  expect(total).toBeGreaterThan(0);
  b.close();
  let code = "";
  try {
    a.send(new Uint8Array([1]));
  } catch (error) {
    code = (error as { code: string }).code;
  }
  expect(["EPIPE", "ECONNRESET"]).toContain(code);
  a.close();
});
