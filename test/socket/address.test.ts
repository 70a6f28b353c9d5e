import { describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { struct } from "../../ffi/index.ts";
import { SystemError, platform } from "../../src/index.ts";
import { UnixListener, UnixSocket } from "../../src/socket/index.ts";
import { countOpenFds } from "../../src/testing/index.ts";
import { abstractName, socketDir } from "../helpers/socket-paths.ts";

const path = socketDir("bunix-addr-");
// sun_path holds 108 bytes on Linux and 104 on BSD and macOS. Linux takes a path that fills it with
// no NUL; elsewhere a path keeps room for its NUL.
const sunPath = struct("sockaddr_un").fields.sun_path.size;
const room = platform.os === "linux" ? sunPath : sunPath - 1;

/** A path in the test directory whose UTF-8 length is exactly `bytes`, padded with `fill`. */
function pathOfLength(bytes: number, fill = "x"): string {
  const base = path("");
  const fillBytes = Buffer.byteLength(fill);
  const count = Math.floor((bytes - base.length) / fillBytes);
  const result = base + fill.repeat(count) + "y".repeat(bytes - base.length - count * fillBytes);
  expect(Buffer.byteLength(result)).toBe(bytes);
  return result;
}

describe("socket path length", () => {
  test(`the longest path that fits (${room} bytes) binds and connects`, () => {
    const longest = pathOfLength(room);
    using server = UnixListener.bind(longest);
    using client = UnixSocket.connect(longest);
    using conn = server.accept()!;
    expect(client.send("ok")).toBe(2);
    expect(conn.recv(4)!.bytes).toBe(2);
  });

  test("one byte more is a RangeError before any system call, for bind, connect and sendTo", () => {
    const tooLong = pathOfLength(room + 1);
    const before = countOpenFds();
    expect(() => UnixListener.bind(tooLong)).toThrow(RangeError);
    expect(() => UnixSocket.connect(tooLong)).toThrow(RangeError);
    expect(() => UnixSocket.bind(tooLong)).toThrow(RangeError);
    using sender = UnixSocket.bind(path("short.sock"));
    expect(() => sender.sendTo(tooLong, "x")).toThrow(RangeError);
    expect(countOpenFds()).toBe(before + 1);
    expect(existsSync(tooLong)).toBe(false);
  });

  test("length is measured in UTF-8 bytes, not characters", () => {
    // "é" is 2 bytes: a path of room + 1 bytes has fewer than room characters.
    const multibyte = pathOfLength(room + 1, "é");
    expect(multibyte.length).toBeLessThanOrEqual(room);
    let caught: unknown;
    try {
      UnixListener.bind(multibyte);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(RangeError);
    expect((caught as RangeError).message).toContain(`1 to ${room} bytes`);
    const fits = pathOfLength(room, "é");
    using server = UnixListener.bind(fits);
    expect(existsSync(fits)).toBe(true);
  });

  test("an empty path is a RangeError; a NUL inside a path is a TypeError; a non-string a TypeError", () => {
    expect(() => UnixListener.bind("")).toThrow(RangeError);
    expect(() => UnixSocket.connect("")).toThrow(RangeError);
    expect(() => UnixListener.bind(path("a\0b"))).toThrow(TypeError);
    expect(() => UnixSocket.connect(null as unknown as string)).toThrow(TypeError);
  });
});

describe.skipIf(!platform.supports.abstractSockets)("abstract names", () => {
  test(`an abstract name may use all ${sunPath} bytes of sun_path (no NUL at the end)`, () => {
    const unique = abstractName("len");
    const name = unique + "n".repeat(sunPath - unique.length);
    expect(Buffer.byteLength(name)).toBe(sunPath);
    using server = UnixListener.bind(name);
    using client = UnixSocket.connect(name);
    using conn = server.accept()!;
    expect(conn.closed).toBe(false);
    expect(client.closed).toBe(false);
    expect(() => UnixListener.bind(`${name}z`)).toThrow(RangeError);
  });

  test("names that differ only after a NUL are different names", () => {
    const base = abstractName("nul");
    using first = UnixListener.bind(`${base}\0a`);
    using second = UnixListener.bind(`${base}\0b`);
    expect(first.path).not.toBe(second.path);
  });
});

test.skipIf(platform.supports.abstractSockets)("without abstract names, a leading NUL is ENOTSUP", () => {
  let caught: unknown;
  try {
    UnixListener.bind("\0name");
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(SystemError);
  expect((caught as SystemError).code).toBe("ENOTSUP");
});
