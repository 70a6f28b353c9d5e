import { describe, expect, test } from "bun:test";
import { platform } from "../../src/index.ts";
import { UnixSocket, socketpair, type SocketType } from "../../src/socket/index.ts";
import { isCloseOnExec } from "../../src/testing/index.ts";
import { isOpen } from "../helpers/socket-fds.ts";
import { expectClosedErrors } from "../helpers/errors.ts";

const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const types: SocketType[] = platform.supports.seqpacket ? ["stream", "dgram", "seqpacket"] : ["stream", "dgram"];

describe.each(types)("socketpair(%p)", (type) => {
  test("the two ends are connected both ways, close-on-exec, blocking, of the type asked", () => {
    const [a, b] = socketpair(type);
    try {
      expect(a).toBeInstanceOf(UnixSocket);
      expect(a.type).toBe(type);
      expect(b.type).toBe(type);
      expect(a.nonblocking).toBe(false);
      expect(isCloseOnExec(a.fd)).toBe(true);
      expect(isCloseOnExec(b.fd)).toBe(true);
      expect(a.send("ping")).toBe(4);
      expect(decode(b.recv(16)!.data)).toBe("ping");
      expect(b.send(new Uint8Array([1, 2, 3]))).toBe(3);
      const message = a.recv(new Uint8Array(8))!;
      expect(message.bytes).toBe(3);
      expect([...message.data]).toEqual([1, 2, 3]);
      expect(message.fds).toEqual([]);
      expect(message.truncated).toBe(false);
      expect(message.from).toBeNull();
    } finally {
      a.close();
      b.close();
    }
  });

  test("nonblocking: recv on an empty socket is null, and nothing is lost", () => {
    const [a, b] = socketpair(type, { nonblocking: true });
    try {
      expect(a.nonblocking).toBe(true);
      expect(b.recv(16)).toBeNull();
      a.send("x");
      expect(b.recv(16)!.bytes).toBe(1);
      expect(b.recv(16)).toBeNull();
    } finally {
      a.close();
      b.close();
    }
  });

  test("gathers a list of buffers and strings into one send, in order", () => {
    const [a, b] = socketpair(type);
    try {
      expect(a.send(["hé", new Uint8Array([108, 108]), "", "o"])).toBe(6);
      expect(decode(b.recv(64)!.data)).toBe("héllo");
    } finally {
      a.close();
      b.close();
    }
  });

  test("a closed end throws EBADF saying it is closed; close is idempotent", () => {
    const [a, b] = socketpair(type);
    const fd = a.fd;
    a.close();
    a.close();
    expect(a.closed).toBe(true);
    expect(a.fd).toBe(-1);
    expect(isOpen(fd)).toBe(false);
    expectClosedErrors("UnixSocket", {
      send: () => a.send("x"),
      recv: () => a.recv(1),
      peerCredentials: () => a.peerCredentials(),
      shutdown: () => a.shutdown(),
      setNonblocking: () => a.setNonblocking(true),
    });
    b.close();
  });
});

describe.each(types.filter((t) => t !== "stream"))("message boundaries on %p", (type) => {
  test("each recv returns one message; a longer one is cut and flagged truncated", () => {
    const [a, b] = socketpair(type);
    try {
      a.send("first");
      a.send("second message");
      a.send("third");
      expect(decode(b.recv(64)!.data)).toBe("first");
      const cut = b.recv(6)!;
      expect(cut.bytes).toBe(6);
      expect(decode(cut.data)).toBe("second");
      expect(cut.truncated).toBe(true);
      const next = b.recv(64)!;
      expect(decode(next.data)).toBe("third");
      expect(next.truncated).toBe(false);
    } finally {
      a.close();
      b.close();
    }
  });
});

describe("end of stream and empty messages", () => {
  test.each(types.filter((t) => t !== "dgram"))("%p: recv reads bytes 0 once the peer has closed", (type) => {
    const [a, b] = socketpair(type);
    a.send("last");
    a.close();
    expect(decode(b.recv(16)!.data)).toBe("last");
    const end = b.recv(16)!;
    expect(end.bytes).toBe(0);
    expect(end.data.length).toBe(0);
    b.close();
  });

  test("zero-length datagrams are messages of their own", () => {
    const [a, b] = socketpair("dgram", { nonblocking: true });
    try {
      expect(a.send("")).toBe(0);
      expect(a.send(new Uint8Array(0))).toBe(0);
      expect(a.send([])).toBe(0);
      a.send("after");
      for (let i = 0; i < 3; i++) expect(b.recv(16)!.bytes).toBe(0);
      expect(decode(b.recv(16)!.data)).toBe("after");
      expect(b.recv(16)).toBeNull();
    } finally {
      a.close();
      b.close();
    }
  });
});

describe("shutdown and setNonblocking", () => {
  test("shutdown('write') gives the peer the end of the stream while both stay open", () => {
    const [a, b] = socketpair("stream");
    try {
      a.send("bye");
      a.shutdown("write");
      expect(decode(b.recv(16)!.data)).toBe("bye");
      expect(b.recv(16)!.bytes).toBe(0);
      // The other direction still works.
      b.send("still here");
      expect(decode(a.recv(16)!.data)).toBe("still here");
    } finally {
      a.close();
      b.close();
    }
  });

  test("shutdown('read') ends this side's reading; shutdown() defaults to both", () => {
    const [a, b] = socketpair("stream");
    try {
      a.shutdown("read");
      expect(a.recv(16)!.bytes).toBe(0);
      b.shutdown();
      expect(b.recv(16)!.bytes).toBe(0);
    } finally {
      a.close();
      b.close();
    }
  });

  test("setNonblocking switches the mode both ways", () => {
    const [a, b] = socketpair("stream");
    try {
      a.setNonblocking(true);
      expect(a.nonblocking).toBe(true);
      expect(a.recv(4)).toBeNull();
      a.setNonblocking(false);
      expect(a.nonblocking).toBe(false);
      b.send("z");
      expect(a.recv(4)!.bytes).toBe(1);
    } finally {
      a.close();
      b.close();
    }
  });

  test("a full nonblocking stream send returns null, and everything sent before arrives", () => {
    const [a, b] = socketpair("stream", { nonblocking: true });
    try {
      const chunk = new Uint8Array(new ArrayBuffer(65536)).fill(7);
      let sent = 0;
      for (let i = 0; i < 10_000; i++) {
        const n = a.send(chunk);
        if (n === null) break;
        sent += n;
      }
      expect(a.send(chunk)).toBeNull();
      expect(sent).toBeGreaterThan(0);
      let received = 0;
      const buffer = new Uint8Array(new ArrayBuffer(65536));
      for (let message = b.recv(buffer); message !== null; message = b.recv(buffer)) received += message.bytes;
      expect(received).toBe(sent);
    } finally {
      a.close();
      b.close();
    }
  });
});

describe("using and arguments", () => {
  test("using closes both ends", () => {
    let fds: number[] = [];
    const [x, y] = socketpair("stream");
    {
      using first = x;
      using second = y;
      fds = [first.fd, second.fd];
    }
    expect(fds.some(isOpen)).toBe(false);
  });

  test("bad arguments are TypeErrors and RangeErrors that never reach the kernel", () => {
    expect(() => socketpair("raw" as SocketType)).toThrow(TypeError);
    expect(() => socketpair(1 as unknown as SocketType)).toThrow(TypeError);
    expect(() => socketpair("stream", { nonblocking: 1 as unknown as boolean })).toThrow(TypeError);
    const [a, b] = socketpair("stream");
    try {
      expect(() => a.send(42 as unknown as string)).toThrow(TypeError);
      expect(() => a.send([new Uint8Array(1), 3] as unknown as Uint8Array[])).toThrow(TypeError);
      expect(() => a.send("x", { fds: [1.5] })).toThrow(RangeError);
      expect(() => a.send("x", { fds: [-1] })).toThrow(RangeError);
      expect(() => a.send("x", { fds: "3" as unknown as number[] })).toThrow(TypeError);
      expect(() => a.recv(-1)).toThrow(RangeError);
      expect(() => a.recv(Number.NaN)).toThrow(RangeError);
      expect(() => a.recv("8" as unknown as number)).toThrow(TypeError);
      expect(() => a.recv(8, { maxFds: -1 })).toThrow(RangeError);
      expect(() => a.recv(8, { maxFds: null as unknown as number })).toThrow(TypeError);
      expect(() => a.shutdown("out" as "read")).toThrow(TypeError);
      expect(() => a.setNonblocking("yes" as unknown as boolean)).toThrow(TypeError);
    } finally {
      a.close();
      b.close();
    }
  });
});
