// Readiness of a connected socket: the first example users start from, and the changes of a
// descriptor registration (udata, disable/enable, ADD|DISABLE, EOF).
import { describe, expect, test } from "bun:test";
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { constant, loadSockets } from "../../ffi/index.ts";
import { EventFilter, EventFlags } from "../../src/kqueue/kqueue.ts";
import { haveKqueue, holdKqueueRuntime, kqueueOptions, needsKqueue, openKqueue } from "../helpers/kqueue-env.ts";

const needsLibkqueue = kqueueOptions?.library === undefined ? " [skipped: a libkqueue quirk, needs BUNIX_LIBKQUEUE]" : "";
import { socketPair } from "../helpers/kqueue-fds.ts";

holdKqueueRuntime();

describe.skipIf(!haveKqueue)(`Kqueue, EVFILT_READ on a socket${needsKqueue}`, () => {
  test("a socket registered with ADD|ENABLE and a number as udata: wait gives its fd and that number", () => {
    using kq = openKqueue<number>();
    using pair = socketPair();
    const [fd] = pair.fds;
    kq.register(fd, EventFilter.Read, EventFlags.ADD | EventFlags.ENABLE, 42);
    expect(kq.wait(0).length).toBe(0);
    pair.write(1, "hello");
    const events = kq.wait(1000);
    expect(events.length).toBe(1);
    expect(events.ident(0)).toBe(fd);
    expect(events.filter(0)).toBe(EventFilter.Read);
    expect(events.udata(0)).toBe(42);
    expect(events.data(0)).toBe(5);
    kq.unregister(fd, EventFilter.Read);
  });

  test("the basic example: an object as udata comes back within a 1 s wait", () => {
    using kq = openKqueue<{ name: string }>();
    using pair = socketPair();
    const client = { name: "client" };
    kq.register(pair.fds[0], EventFilter.Read, EventFlags.ADD | EventFlags.ENABLE, client);
    pair.write(1, "x");
    const [event] = kq.wait(1000).toArray();
    expect(event?.udata).toBe(client);
    kq.unregister(pair.fds[0], EventFilter.Read);
  });

  test("level-triggered by default, edge-triggered with CLEAR", () => {
    using kq = openKqueue<string>();
    using pair = socketPair();
    const [fd] = pair.fds;
    kq.register(fd, EventFilter.Read, EventFlags.ADD, "level");
    pair.write(1, "abc");
    expect(kq.wait(1000).length).toBe(1);
    expect(kq.wait(0).length).toBe(1); // still unread
    kq.unregister(fd, EventFilter.Read);
    kq.register(fd, EventFilter.Read, EventFlags.ADD | EventFlags.CLEAR, "edge");
    expect(kq.wait(1000).udata(0)).toBe("edge");
    expect(kq.wait(20).length).toBe(0);
    kq.unregister(fd, EventFilter.Read);
  });

  test("a second ADD replaces the udata; without udata, changes keep it", () => {
    using kq = openKqueue<string>();
    using pair = socketPair();
    const [fd] = pair.fds;
    kq.register(fd, EventFilter.Read, EventFlags.ADD, "first");
    kq.register(fd, EventFilter.Read, EventFlags.ADD, "second");
    pair.write(1, "x");
    expect(kq.wait(1000).toArray().map((e) => e.udata)).toEqual(["second"]);
    kq.register(fd, EventFilter.Read, EventFlags.ADD);
    expect(kq.wait(1000).udata(0)).toBe("second");
    kq.unregister(fd, EventFilter.Read);
  });

  test("DISABLE stops delivery and ENABLE resumes it, keeping the udata", () => {
    using kq = openKqueue<string>();
    using pair = socketPair();
    const [fd] = pair.fds;
    kq.register(fd, EventFilter.Read, EventFlags.ADD, "peer");
    pair.write(1, "x");
    kq.register(fd, EventFilter.Read, EventFlags.DISABLE);
    expect(kq.wait(30).length).toBe(0);
    kq.register(fd, EventFilter.Read, EventFlags.ENABLE);
    const events = kq.wait(1000);
    expect(events.length).toBe(1);
    expect(events.udata(0)).toBe("peer");
    kq.unregister(fd, EventFilter.Read);
  });

  test("ADD|DISABLE registers without delivering until ENABLE", () => {
    using kq = openKqueue<string>();
    using pair = socketPair();
    const [fd] = pair.fds;
    pair.write(1, "ready before registering");
    kq.register(fd, EventFilter.Read, EventFlags.ADD | EventFlags.DISABLE, "later");
    expect(kq.wait(30).length).toBe(0);
    kq.register(fd, EventFilter.Read, EventFlags.ENABLE);
    expect(kq.wait(1000).udata(0)).toBe("later");
    kq.unregister(fd, EventFilter.Read);
  });

  test("DISPATCH delivers once, then waits for ENABLE", () => {
    using kq = openKqueue<string>();
    using pair = socketPair();
    const [fd] = pair.fds;
    kq.register(fd, EventFilter.Read, EventFlags.ADD | EventFlags.DISPATCH, "dispatch");
    pair.write(1, "x");
    expect(kq.wait(1000).udata(0)).toBe("dispatch");
    expect(kq.wait(30).length).toBe(0);
    kq.register(fd, EventFilter.Read, EventFlags.ENABLE);
    expect(kq.wait(1000).udata(0)).toBe("dispatch");
    kq.unregister(fd, EventFilter.Read);
  });

  test("the peer shutting down its writing side sets EOF", () => {
    using kq = openKqueue<string>();
    using pair = socketPair();
    const [fd, peer] = pair.fds;
    kq.register(fd, EventFilter.Read, EventFlags.ADD, "eof");
    // Shut the peer down instead of closing it, so the pair still owns both descriptors.
    expect(loadSockets()!.shutdown(peer, constant("SHUT_WR"))).toBe(0);
    const events = kq.wait(1000);
    expect(events.length).toBe(1);
    expect(events.flags(0) & EventFlags.EOF).toBe(EventFlags.EOF);
    kq.unregister(fd, EventFilter.Read);
  });

  test("Read and Write on the same descriptor are separate registrations", () => {
    using kq = openKqueue<string>();
    using pair = socketPair();
    const [fd] = pair.fds;
    kq.register(fd, EventFilter.Write, EventFlags.ADD, "writable");
    kq.register(fd, EventFilter.Read, EventFlags.ADD, "readable");
    pair.write(1, "x");
    const seen = new Map(kq.wait(1000).toArray().map((e) => [e.filter, e.udata]));
    if (seen.size < 2) for (const e of kq.wait(100)) seen.set(e.filter, e.udata);
    expect(seen.get(EventFilter.Read)).toBe("readable");
    expect(seen.get(EventFilter.Write)).toBe("writable");
    kq.unregister(fd, EventFilter.Write);
    kq.unregister(fd, EventFilter.Read);
  });
});

describe.skipIf(kqueueOptions?.library === undefined)(`libkqueue, EVFILT_READ on a regular file${needsLibkqueue}`, () => {
  test("it reports the bytes to end of file, then never again, even when another process appends", () => {
    const dir = mkdtempSync(join(tmpdir(), "bunix-kq-file-"));
    const path = join(dir, "growing");
    writeFileSync(path, "hello");
    const fd = openSync(path, "r");
    try {
      using kq = openKqueue<string>();
      kq.register(fd, EventFilter.Read, EventFlags.ADD, "file");
      const events = kq.wait(1000);
      expect(events.length).toBe(1);
      expect(events.data(0)).toBe(5);
      expect(readSync(fd, new Uint8Array(16))).toBe(5);
      expect(kq.wait(20).length).toBe(0);
      expect(Bun.spawnSync(["sh", "-c", 'printf " world" >> "$0"', path]).exitCode).toBe(0);
      expect(kq.wait(100).length).toBe(0); // BSD would report the 6 new bytes
      expect(readSync(fd, new Uint8Array(16))).toBe(6);
      kq.unregister(fd, EventFilter.Read);
    } finally {
      closeSync(fd);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
