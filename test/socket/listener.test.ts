import { describe, expect, test } from "bun:test";
import { existsSync, renameSync, rmSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { platform } from "../../src/index.ts";
import { UnixListener, UnixSocket } from "../../src/socket/index.ts";
import { isCloseOnExec } from "../../src/testing/index.ts";
import { abstractName, socketDir } from "../helpers/socket-paths.ts";
import { systemError } from "../helpers/errors.ts";

const path = socketDir("bunix-listen-");
const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

describe("UnixListener", () => {
  test("bind, connect, accept: the accepted socket is close-on-exec, blocking, and connected", () => {
    const at = path("basic.sock");
    using server = UnixListener.bind(at);
    expect(server.path).toBe(at);
    expect(server.type).toBe("stream");
    expect(server.nonblocking).toBe(false);
    expect(isCloseOnExec(server.fd)).toBe(true);
    expect(statSync(at).isSocket()).toBe(true);
    using client = UnixSocket.connect(at);
    using conn = server.accept()!;
    expect(conn).toBeInstanceOf(UnixSocket);
    expect(conn.type).toBe("stream");
    expect(conn.nonblocking).toBe(false);
    expect(isCloseOnExec(conn.fd)).toBe(true);
    client.send("hello");
    expect(decode(conn.recv(16)!.data)).toBe("hello");
    conn.send("back");
    const reply = client.recv(16)!;
    expect(decode(reply.data)).toBe("back");
    expect(reply.from).toBeNull();
  });

  test("a nonblocking listener's accept returns null when nobody waits; accept may ask for a nonblocking socket", () => {
    using server = UnixListener.bind(path("nb.sock"), { nonblocking: true });
    expect(server.nonblocking).toBe(true);
    expect(server.accept()).toBeNull();
    using client = UnixSocket.connect(server.path);
    using conn = server.accept({ nonblocking: true })!;
    expect(conn.nonblocking).toBe(true);
    expect(conn.recv(8)).toBeNull();
    using client2 = UnixSocket.connect(server.path);
    // Blocking by default, whatever the listener's mode.
    using conn2 = server.accept()!;
    expect(conn2.nonblocking).toBe(false);
    expect(server.accept()).toBeNull();
    client.send("1");
    client2.send("2");
    expect(decode(conn.recv(8)!.data)).toBe("1");
    expect(decode(conn2.recv(8)!.data)).toBe("2");
  });

  test("setNonblocking toggles accept between waiting and null", () => {
    using server = UnixListener.bind(path("toggle.sock"));
    server.setNonblocking(true);
    expect(server.accept()).toBeNull();
    using client = UnixSocket.connect(server.path);
    server.setNonblocking(false);
    using conn = server.accept()!;
    expect(conn).not.toBeNull();
    expect(client.closed).toBe(false);
  });

  test.skipIf(!platform.supports.seqpacket)("a seqpacket listener keeps message boundaries over accepted sockets", () => {
    using server = UnixListener.bind(path("seq.sock"), { type: "seqpacket", backlog: 4 });
    expect(server.type).toBe("seqpacket");
    using client = UnixSocket.connect(server.path, { type: "seqpacket" });
    using conn = server.accept()!;
    expect(conn.type).toBe("seqpacket");
    client.send("one");
    client.send("two");
    expect(decode(conn.recv(64)!.data)).toBe("one");
    expect(decode(conn.recv(64)!.data)).toBe("two");
    // A stream client cannot connect to a seqpacket listener.
    expect(systemError(() => UnixSocket.connect(server.path)).code).toBe("EPROTOTYPE");
  });

  test("close removes the socket file the listener created", () => {
    const at = path("removed.sock");
    const server = UnixListener.bind(at);
    expect(existsSync(at)).toBe(true);
    server.close();
    expect(existsSync(at)).toBe(false);
    // And the path can be bound again.
    UnixListener.bind(at).close();
    expect(existsSync(at)).toBe(false);
  });

  test("close leaves a file alone that replaced the socket at the path", () => {
    const at = path("replaced.sock");
    const server = UnixListener.bind(at);
    renameSync(at, path("moved-away.sock"));
    writeFileSync(at, "someone else's file");
    server.close();
    expect(existsSync(at)).toBe(true);
    expect(existsSync(path("moved-away.sock"))).toBe(true);
    unlinkSync(at);
    unlinkSync(path("moved-away.sock"));
  });

  test("close removes the file even after process.chdir (the path was made absolute)", () => {
    const at = path("relative.sock");
    const cwd = process.cwd();
    process.chdir(at.slice(0, at.lastIndexOf("/")));
    let server: UnixListener;
    try {
      server = UnixListener.bind("relative.sock");
    } finally {
      process.chdir(cwd);
    }
    expect(existsSync(at)).toBe(true);
    server.close();
    expect(existsSync(at)).toBe(false);
  });

  test("bind never removes an existing file: EADDRINUSE, for a stale socket file too", () => {
    const at = path("exists");
    writeFileSync(at, "keep me");
    const error = systemError(() => UnixListener.bind(at));
    expect(error.code).toBe("EADDRINUSE");
    expect(error.syscall).toBe("bind");
    expect(error.message).toContain(at);
    expect(existsSync(at)).toBe(true);
    rmSync(at);

    // A second listener on a live path fails the same way, and the first keeps its file.
    const live = path("live-twice.sock");
    using first = UnixListener.bind(live);
    expect(systemError(() => UnixListener.bind(live)).code).toBe("EADDRINUSE");
    expect(existsSync(live)).toBe(true);
    expect(first.closed).toBe(false);

    // A stale socket file (its socket is gone) is not cleaned up by bind either.
    const stale = path("stale.sock");
    const gone = UnixListener.bind(path("to-be-stale.sock"));
    renameSync(path("to-be-stale.sock"), stale);
    gone.close();
    expect(systemError(() => UnixListener.bind(stale)).code).toBe("EADDRINUSE");
    expect(statSync(stale).isSocket()).toBe(true);
    unlinkSync(stale);
  });

  test("bind in a directory that does not exist is ENOENT", () => {
    expect(systemError(() => UnixListener.bind(path("no/such/dir.sock"))).code).toBe("ENOENT");
  });

  test("accept on a closed listener is EBADF naming UnixListener", () => {
    const server = UnixListener.bind(path("closed.sock"));
    server.close();
    server.close();
    const error = systemError(() => server.accept());
    expect(error.code).toBe("EBADF");
    expect(error.syscall).toBe("UnixListener.accept");
  });

  test("bad options are TypeErrors and RangeErrors", () => {
    expect(() => UnixListener.bind(path("x.sock"), { type: "dgram" as "stream" })).toThrow(TypeError);
    expect(() => UnixListener.bind(path("x.sock"), { backlog: -1 })).toThrow(RangeError);
    expect(() => UnixListener.bind(path("x.sock"), { backlog: 1.5 })).toThrow(RangeError);
    expect(() => UnixListener.bind(path("x.sock"), { nonblocking: "no" as unknown as boolean })).toThrow(TypeError);
    expect(() => UnixListener.bind(42 as unknown as string)).toThrow(TypeError);
    expect(existsSync(path("x.sock"))).toBe(false);
  });
});

describe("connect errors", () => {
  test("nothing at the path is ENOENT from connect, with the path in the message", () => {
    const at = path("nobody.sock");
    const error = systemError(() => UnixSocket.connect(at));
    expect(error.code).toBe("ENOENT");
    expect(error.syscall).toBe("connect");
    expect(error.message).toBe(`ENOENT: no such file or directory, connect '${at}'`);
  });

  test("a socket of another type at the path is EPROTOTYPE", () => {
    using holder = UnixSocket.bind(path("dgram-holder.sock"));
    expect(systemError(() => UnixSocket.connect(path("dgram-holder.sock"))).code).toBe("EPROTOTYPE");
  });

  test("a stale socket file nobody listens on is ECONNREFUSED", () => {
    const at = path("deaf.sock");
    // Move a listener's file aside, then close the listener: the file stays, nobody is behind it.
    const listener = UnixListener.bind(path("live.sock"));
    renameSync(path("live.sock"), at);
    listener.close();
    expect(systemError(() => UnixSocket.connect(at)).code).toBe("ECONNREFUSED");
    unlinkSync(at);
  });
});

describe.skipIf(!platform.supports.abstractSockets)("Linux abstract names", () => {
  test("a listener on an abstract name creates no file, and clients connect by the name", () => {
    const name = abstractName("listen");
    using server = UnixListener.bind(name);
    expect(server.path).toBe(name);
    using client = UnixSocket.connect(name);
    using conn = server.accept()!;
    client.send("abstract");
    expect(decode(conn.recv(16)!.data)).toBe("abstract");
  });

  test("the same abstract name twice is EADDRINUSE, shown with @ in the message", () => {
    const name = abstractName("twice");
    using server = UnixListener.bind(name);
    const error = systemError(() => UnixListener.bind(name));
    expect(error.code).toBe("EADDRINUSE");
    expect(error.message).toContain(`'@${name.slice(1)}'`);
    expect(server.closed).toBe(false);
  });

  test("a closed abstract listener frees its name at once", () => {
    const name = abstractName("free");
    UnixListener.bind(name).close();
    UnixListener.bind(name).close();
    expect(systemError(() => UnixSocket.connect(name)).code).toBe("ECONNREFUSED");
  });
});
