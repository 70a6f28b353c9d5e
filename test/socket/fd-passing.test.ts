import { describe, expect, test } from "bun:test";
import { closeSync, openSync } from "node:fs";
import { constant, optionalConstant } from "../../ffi/index.ts";
import { SystemError, platform } from "../../src/index.ts";
import { setIntOption } from "../../src/socket/kernel.ts";
import { UnixSocket, socketpair, type SocketType } from "../../src/socket/index.ts";
import { countOpenFds, isCloseOnExec } from "../../src/testing/index.ts";
import { closeAll, isOpen, openFileWith, readAll } from "../helpers/socket-fds.ts";
import { socketDir } from "../helpers/socket-paths.ts";

const path = socketDir("bunix-fds-");
const types: SocketType[] = platform.supports.seqpacket ? ["stream", "dgram", "seqpacket"] : ["stream", "dgram"];

describe.each(types)("SCM_RIGHTS over %p", (type) => {
  test("a passed descriptor arrives as a new, close-on-exec descriptor of the same file", () => {
    const [a, b] = socketpair(type);
    const file = openFileWith(path(`one-${type}`), "the content");
    try {
      expect(a.send("f", { fds: [file] })).toBe(1);
      const message = b.recv(8, { maxFds: 1 })!;
      expect(message.bytes).toBe(1);
      expect(message.truncated).toBe(false);
      expect(message.fds).toHaveLength(1);
      const received = message.fds[0]!;
      expect(received).not.toBe(file);
      expect(isCloseOnExec(received)).toBe(true);
      expect(readAll(received)).toBe("the content");
      closeSync(received);
      // The sender's copy is untouched.
      expect(readAll(file)).toBe("the content");
    } finally {
      closeSync(file);
      a.close();
      b.close();
    }
  });

  test("several descriptors in one message arrive in order", () => {
    const [a, b] = socketpair(type);
    const files = ["x", "y", "z"].map((name) => openFileWith(path(`many-${type}-${name}`), name));
    try {
      a.send(["a", "b"], { fds: files });
      const message = b.recv(8, { maxFds: 3 })!;
      expect(message.fds).toHaveLength(3);
      expect(message.fds.map(readAll)).toEqual(["x", "y", "z"]);
      expect(message.truncated).toBe(false);
      closeAll(message.fds);
    } finally {
      closeAll(files);
      a.close();
      b.close();
    }
  });

  test("descriptors beyond maxFds are closed, never leaked, and the message is flagged truncated", () => {
    const [a, b] = socketpair(type);
    const files = [1, 2, 3, 4].map((n) => openFileWith(path(`extra-${type}-${n}`), `file ${n}`));
    try {
      const before = countOpenFds();
      a.send("m", { fds: files });
      const message = b.recv(8, { maxFds: 1 })!;
      expect(message.fds).toHaveLength(1);
      expect(readAll(message.fds[0]!)).toBe("file 1");
      expect(message.truncated).toBe(true);
      expect(countOpenFds()).toBe(before + 1);
      closeAll(message.fds);
    } finally {
      closeAll(files);
      a.close();
      b.close();
    }
  });

  test("maxFds defaults to 0: descriptors sent to a receiver that asked for none are closed", () => {
    const [a, b] = socketpair(type);
    const file = openFileWith(path(`none-${type}`), "unwanted");
    try {
      const before = countOpenFds();
      a.send("m", { fds: [file, file] });
      const message = b.recv(8)!;
      expect(message.fds).toEqual([]);
      expect(message.truncated).toBe(true);
      expect(message.bytes).toBe(1);
      expect(countOpenFds()).toBe(before);
    } finally {
      closeSync(file);
      a.close();
      b.close();
    }
  });
  test("recv into a reused buffer with no options still closes and reports descriptors, between plain messages", () => {
    const [a, b] = socketpair(type);
    const file = openFileWith(path(`reuse-${type}`), "unwanted");
    const buffer = new Uint8Array(new ArrayBuffer(8));
    try {
      const before = countOpenFds();
      a.send(new Uint8Array([1]));
      const plain = b.recv(buffer)!;
      expect([plain.bytes, plain.data[0], plain.truncated, plain.fds]).toEqual([1, 1, false, []]);
      a.send(new Uint8Array([2]), { fds: [file, file] });
      const carrying = b.recv(buffer)!;
      expect([carrying.bytes, carrying.data[0], carrying.truncated, carrying.fds]).toEqual([1, 2, true, []]);
      expect(countOpenFds()).toBe(before);
      a.send(new Uint8Array([3, 4]));
      const after = b.recv(buffer)!;
      expect([after.bytes, [...after.data], after.truncated]).toEqual([2, [3, 4], false]);
      expect(after.data.buffer).toBe(buffer.buffer);
    } finally {
      closeSync(file);
      a.close();
      b.close();
    }
  });
});

describe("limits and errors", () => {
  test("the kernel's maximum per message (Linux: 253) is received whole, and all of it closed with maxFds 0", () => {
    const [a, b] = socketpair("stream");
    const file = openFileWith(path("max"), "m");
    try {
      const fds = new Array<number>(253).fill(file);
      const before = countOpenFds();
      a.send("m", { fds });
      const message = b.recv(8, { maxFds: 0 })!;
      expect(message.fds).toEqual([]);
      expect(message.truncated).toBe(true);
      expect(countOpenFds()).toBe(before);
      a.send("m", { fds });
      const all = b.recv(8, { maxFds: 253 })!;
      expect(all.fds).toHaveLength(253);
      expect(all.truncated).toBe(false);
      closeAll(all.fds);
    } finally {
      closeSync(file);
      a.close();
      b.close();
    }
  });

  test("descriptors with no data on a stream socket are a RangeError naming data, before sendmsg", () => {
    // The kernel sends nothing for zero bytes on a stream, so the descriptors would vanish.
    const [a, b] = socketpair("stream", { nonblocking: true });
    const file = openFileWith(path("empty"), "e");
    try {
      const before = countOpenFds();
      for (const data of ["", new Uint8Array(0), [], ["", new Uint8Array(0)]]) {
        expect(() => a.send(data, { fds: [file] })).toThrow(RangeError);
        expect(() => a.send(data, { fds: [file] })).toThrow(/"data"/);
      }
      expect(b.recv(8, { maxFds: 4 })).toBeNull();
      expect(countOpenFds()).toBe(before);
      // One byte carries them; no descriptors, no data is still a plain empty send.
      expect(a.send([new Uint8Array(0), "x"], { fds: [file] })).toBe(1);
      const message = b.recv(8, { maxFds: 1 })!;
      expect(message.fds).toHaveLength(1);
      closeAll(message.fds);
      expect(a.send("", { fds: [] })).toBe(0);
    } finally {
      closeSync(file);
      a.close();
      b.close();
    }
  });

  test("passing a closed descriptor is EBADF from sendmsg, and nothing is sent", () => {
    const [a, b] = socketpair("dgram", { nonblocking: true });
    const file = openFileWith(path("closed"), "c");
    closeSync(file);
    try {
      let caught: unknown;
      try {
        a.send("x", { fds: [file] });
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(SystemError);
      expect((caught as SystemError).code).toBe("EBADF");
      expect((caught as SystemError).syscall).toBe("sendmsg");
      expect(b.recv(8)).toBeNull();
    } finally {
      a.close();
      b.close();
    }
  });

  test("a socket can travel over a socket and keep working", () => {
    const [a, b] = socketpair("stream");
    const [inner, innerPeer] = socketpair("dgram");
    try {
      a.send("s", { fds: [inner.fd] });
      inner.close();
      const [travelled] = b.recv(1, { maxFds: 1 })!.fds;
      expect(isOpen(travelled!)).toBe(true);
      innerPeer.send("through the passed socket");
      using adopted = UnixSocket.fromFd(travelled!);
      expect(adopted.type).toBe("dgram");
      expect(new TextDecoder().decode(adopted.recv(64)!.data)).toBe("through the passed socket");
    } finally {
      a.close();
      b.close();
      innerPeer.close();
    }
  });

  test.skipIf(optionalConstant("SO_PASSCRED") === undefined)(
    "Linux: SCM_CREDENTIALS before SCM_RIGHTS in the same control data is skipped, descriptors still found",
    () => {
      const [a, b] = socketpair("dgram");
      const file = openFileWith(path("creds"), "with credentials");
      try {
        // The kernel now attaches the sender's credentials to every message, ahead of the rights.
        setIntOption(b.fd, constant("SOL_SOCKET"), constant("SO_PASSCRED"), 1);
        a.send("c", { fds: [file] });
        const message = b.recv(8, { maxFds: 4 })!;
        expect(message.fds).toHaveLength(1);
        expect(message.truncated).toBe(false);
        expect(readAll(message.fds[0]!)).toBe("with credentials");
        closeAll(message.fds);
        a.send("no fds");
        expect(b.recv(8)!.fds).toEqual([]);
      } finally {
        closeSync(file);
        a.close();
        b.close();
      }
    },
  );

  test("a device (/dev/null) passes like a file", () => {
    const [a, b] = socketpair("stream");
    const file = openSync("/dev/null", "r");
    try {
      a.send("p", { fds: [file] });
      const message = b.recv(4, { maxFds: 1 })!;
      expect(message.fds).toHaveLength(1);
      closeAll(message.fds);
    } finally {
      closeSync(file);
      a.close();
      b.close();
    }
  });
});
