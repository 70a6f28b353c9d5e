import { describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { struct } from "../../ffi/index.ts";
import { platform } from "../../src/index.ts";
import { UnixListener, UnixSocket, socketpair } from "../../src/socket/index.ts";
import { expectSystemError } from "../helpers/errors.ts";
import { abstractName, socketDir } from "../helpers/socket-paths.ts";

const path = socketDir("bunix-bytes-");
const encoder = new TextEncoder();
const decoder = new TextDecoder();
const sunPath = struct("sockaddr_un").fields.sun_path.size;

/** A path in the test directory whose last bytes are not UTF-8 (0xff 0xfe never start a character). */
function nonUtf8Path(tag: string): Uint8Array {
  return new Uint8Array([...encoder.encode(path(tag)), 0xff, 0xfe, 0x2e, 0x73]);
}

/** Sends "ping" from `client` to `server`, replies "pong" to the received `fromBytes`, and returns the message. */
function pingAndReplyToBytes(client: UnixSocket, server: UnixSocket, serverPath: string) {
  expect(client.sendTo(serverPath, "ping")).toBe(4);
  const message = server.recv(64)!;
  expect(decoder.decode(message.data)).toBe("ping");
  expect(server.sendTo(message.fromBytes!, "pong")).toBe(4);
  expect(decoder.decode(client.recv(64)!.data)).toBe("pong");
  return message;
}

describe("paths as bytes", () => {
  test("a sender bound at a path that is not UTF-8 is replied to through fromBytes; from alone cannot reach it", () => {
    const clientPath = nonUtf8Path("client-");
    const serverPath = path("server.sock");
    using server = UnixSocket.bind(serverPath);
    const client = UnixSocket.bind(clientPath);
    try {
      expect(existsSync(Buffer.from(clientPath))).toBe(true);
      const message = pingAndReplyToBytes(client, server, serverPath);
      expect(message.fromBytes).toEqual(clientPath);
      expect(message.from).toBe(decoder.decode(clientPath));
      expect(message.from).toContain("\uFFFD");
      // The decoded string names another file, which does not exist.
      expectSystemError(() => server.sendTo(message.from!, "lost"), "ENOENT", "sendmsg");
    } finally {
      client.close();
    }
    // close() removes the socket file it created, found by its exact bytes.
    expect(existsSync(Buffer.from(clientPath))).toBe(false);
  });

  test("a listener bound at bytes is reached by connect with the same bytes, and removes its file on close", () => {
    const at = nonUtf8Path("listener-");
    const listener = UnixListener.bind(at);
    try {
      using client = UnixSocket.connect(at);
      using served = listener.accept()!;
      client.send("hi");
      expect(served.recv(8)!.bytes).toBe(2);
      expect(listener.path).toBe(decoder.decode(at));
    } finally {
      listener.close();
    }
    expect(existsSync(Buffer.from(at))).toBe(false);
  });

  test("bytes may end with the NUL the kernel reports for some names; a NUL inside, empty or too long bytes are refused", () => {
    const at = encoder.encode(path("terminated.sock"));
    using listener = UnixListener.bind(new Uint8Array([...at, 0]));
    expect(existsSync(decoder.decode(at))).toBe(true);
    using client = UnixSocket.connect(at);
    expect(() => UnixSocket.connect(new Uint8Array([...at, 0, 0x61]))).toThrow(TypeError);
    expect(() => UnixSocket.connect(new Uint8Array(0))).toThrow(RangeError);
    expect(() => UnixSocket.connect(new Uint8Array(sunPath + 1).fill(0x61))).toThrow(RangeError);
    expect(() => UnixSocket.connect([0x61] as unknown as Uint8Array)).toThrow(TypeError);
    expect(client.closed).toBe(false);
  });

  test("an unnamed sender has from and fromBytes null; a connected socket has both null", () => {
    using server = UnixSocket.bind(path("unnamed-server.sock"));
    const [a, b] = socketpair("dgram");
    try {
      a.sendTo(path("unnamed-server.sock"), "x");
      const message = server.recv(8)!;
      expect([message.from, message.fromBytes]).toEqual([null, null]);
      a.send("y");
      const connected = b.recv(8)!;
      expect([connected.from, connected.fromBytes]).toEqual([null, null]);
    } finally {
      a.close();
      b.close();
    }
  });
});

describe.skipIf(platform.os !== "linux")("the full sun_path (Linux)", () => {
  test(`a sender bound at a ${sunPath}-byte path (no NUL) is replied to through fromBytes and from`, () => {
    const base = path("");
    const full = base + "f".repeat(sunPath - base.length);
    expect(Buffer.byteLength(full)).toBe(sunPath);
    const serverPath = path("full-server.sock");
    using server = UnixSocket.bind(serverPath);
    const client = UnixSocket.bind(full);
    try {
      const message = pingAndReplyToBytes(client, server, serverPath);
      expect(message.from).toBe(full);
      expect(message.fromBytes).toEqual(encoder.encode(full));
      expect(server.sendTo(message.from!, "again")).toBe(5);
      expect(decoder.decode(client.recv(64)!.data)).toBe("again");
    } finally {
      client.close();
    }
    expect(existsSync(full)).toBe(false);
  });

  test("an abstract sender comes back with its leading NUL in fromBytes, and the reply reaches it", () => {
    const name = abstractName("bytes");
    const serverPath = path("abstract-server.sock");
    using server = UnixSocket.bind(serverPath);
    using client = UnixSocket.bind(name);
    const message = pingAndReplyToBytes(client, server, serverPath);
    expect(message.fromBytes![0]).toBe(0);
    expect(message.fromBytes).toEqual(encoder.encode(name));
    expect(message.from).toBe(name);
  });
});
