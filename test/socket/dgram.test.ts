import { describe, expect, test } from "bun:test";
import { closeSync, existsSync, writeFileSync } from "node:fs";
import { platform } from "../../src/index.ts";
import { UnixSocket, socketpair } from "../../src/socket/index.ts";
import { isCloseOnExec } from "../../src/testing/index.ts";
import { openFileWith, readAll } from "../helpers/socket-fds.ts";
import { abstractName, socketDir } from "../helpers/socket-paths.ts";
import { systemError } from "../helpers/errors.ts";

const path = socketDir("bunix-dgram-");
const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

describe("bound datagram sockets", () => {
  test("sendTo a bound path; the receiver sees the sender's path in from", () => {
    using server = UnixSocket.bind(path("server.sock"));
    using client = UnixSocket.bind(path("client.sock"), { type: "dgram" });
    expect(server.type).toBe("dgram");
    expect(isCloseOnExec(server.fd)).toBe(true);
    expect(client.sendTo(path("server.sock"), "hello")).toBe(5);
    const message = server.recv(64)!;
    expect(decode(message.data)).toBe("hello");
    expect(message.from).toBe(path("client.sock"));
    // And the reply goes back to that path.
    server.sendTo(message.from!, "hi yourself");
    const reply = client.recv(64)!;
    expect(decode(reply.data)).toBe("hi yourself");
    expect(reply.from).toBe(path("server.sock"));
  });

  test("a sender that is not bound shows from as null", () => {
    using server = UnixSocket.bind(path("anon-server.sock"));
    const [unbound, other] = socketpair("dgram");
    try {
      unbound.sendTo(path("anon-server.sock"), "who am I");
      const message = server.recv(64)!;
      expect(decode(message.data)).toBe("who am I");
      expect(message.from).toBeNull();
    } finally {
      unbound.close();
      other.close();
    }
  });

  test("a connected datagram socket sends with send(); zero-length datagrams arrive as bytes 0", () => {
    using server = UnixSocket.bind(path("conn-server.sock"), { nonblocking: true });
    using client = UnixSocket.connect(path("conn-server.sock"), { type: "dgram" });
    expect(client.type).toBe("dgram");
    expect(client.send("")).toBe(0);
    expect(client.send("x")).toBe(1);
    const empty = server.recv(16)!;
    expect(empty.bytes).toBe(0);
    expect(empty.truncated).toBe(false);
    expect(server.recv(16)!.bytes).toBe(1);
    expect(server.recv(16)).toBeNull();
  });

  test("a datagram longer than the buffer is cut: truncated, the rest discarded", () => {
    using server = UnixSocket.bind(path("trunc.sock"));
    using client = UnixSocket.bind(path("trunc-client.sock"));
    client.sendTo(path("trunc.sock"), "0123456789");
    client.sendTo(path("trunc.sock"), "next");
    const cut = server.recv(new Uint8Array(4))!;
    expect(cut.bytes).toBe(4);
    expect(decode(cut.data)).toBe("0123");
    expect(cut.truncated).toBe(true);
    expect(decode(server.recv(64)!.data)).toBe("next");
  });

  test("descriptors travel with sendTo", () => {
    using server = UnixSocket.bind(path("fds.sock"));
    using client = UnixSocket.bind(path("fds-client.sock"));
    const file = openFileWith(path("payload.txt"), "datagram payload");
    try {
      client.sendTo(path("fds.sock"), "f", { fds: [file] });
      const message = server.recv(8, { maxFds: 1 })!;
      expect(message.from).toBe(path("fds-client.sock"));
      expect(readAll(message.fds[0]!)).toBe("datagram payload");
      closeSync(message.fds[0]!);
    } finally {
      closeSync(file);
    }
  });

  test("sendTo a path with nothing bound is ENOENT naming sendmsg and the path; a stale file is ECONNREFUSED", () => {
    using client = UnixSocket.bind(path("lonely.sock"));
    const error = systemError(() => client.sendTo(path("nobody.sock"), "x"));
    expect(error.code).toBe("ENOENT");
    expect(error.syscall).toBe("sendmsg");
    expect(error.message).toContain(path("nobody.sock"));
    writeFileSync(path("plain-file"), "");
    expect(systemError(() => client.sendTo(path("plain-file"), "x")).code).toBe("ECONNREFUSED");
  });

  test("close removes the bound socket's file; bind never removes an existing one", () => {
    const at = path("removed-dgram.sock");
    const socket = UnixSocket.bind(at);
    expect(existsSync(at)).toBe(true);
    expect(systemError(() => UnixSocket.bind(at)).code).toBe("EADDRINUSE");
    socket.close();
    expect(existsSync(at)).toBe(false);
  });

  test("only dgram can be bound this way", () => {
    expect(() => UnixSocket.bind(path("s.sock"), { type: "stream" as "dgram" })).toThrow(TypeError);
    expect(existsSync(path("s.sock"))).toBe(false);
  });

  test.skipIf(!platform.supports.abstractSockets)("abstract datagram names show in from with their leading NUL", () => {
    const serverName = abstractName("dgram-server");
    const clientName = abstractName("dgram-client");
    using server = UnixSocket.bind(serverName);
    using client = UnixSocket.bind(clientName);
    client.sendTo(serverName, "abstract");
    expect(server.recv(64)!.from).toBe(clientName);
  });
});
