#!/usr/bin/env bun
/**
 * A zero-downtime restart: the running server hands its listening socket to its successor over
 * `spawnWithChannel`, so the socket never closes and no client connecting during the switch is
 * refused. Connections that arrive while neither process is accepting wait in the socket's backlog
 * and are accepted by whichever process comes first.
 *
 *     bun examples/zero-downtime-restart.ts              # the demo: clients, two restarts, a report
 *     bun examples/zero-downtime-restart.ts serve 1 PATH # a server generation (started by the demo
 *                                                        # or by the previous generation)
 *
 * How a generation works:
 * 1. Generation 1 binds the socket. Every later one receives the listener over its channel
 *    (descriptor 3, SCM_RIGHTS) and takes it with `UnixListener.fromFd`.
 * 2. It accepts with `watchFd` on the listener, answering each client with its generation and pid,
 *    and tells its parent `ready`.
 * 3. On SIGHUP it starts the next generation with `spawnWithChannel`, sends it the listener, and
 *    keeps accepting until the successor says `ready`. Then it stops watching, lets go of its copy
 *    with `detach()` (which, unlike `close()`, leaves the socket file to the successor) and exits.
 *    On SIGTERM it just stops.
 *
 * The demo holds no copy of the socket itself: only the generations do, so the socket stays open
 * through the switches only because each hands it on. It starts generation 1, runs clients that
 * connect without pause, sends SIGHUP twice, stops the last generation, and prints one JSON line:
 * connections made, how many were refused or failed (both must be 0), which generations answered,
 * and how the replaced generations exited.
 *
 * @module
 */
import { closeSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SystemError } from "../src/core/errors.ts";
import { UnixListener, UnixSocket, childChannel, spawnWithChannel } from "../src/socket/index.ts";
import { watchFd, type FdWatch } from "../src/watch/index.ts";

const script = new URL(import.meta.url).pathname;
const decoder = new TextDecoder();

/** Calls `onMessage` with each message on `channel` (made nonblocking), and `onEnd` at its end. */
function onMessages(channel: UnixSocket, onMessage: (text: string, fds: number[]) => void, onEnd = () => {}): FdWatch {
  channel.setNonblocking(true);
  const watch = watchFd(channel.fd, { readable: true }, () => {
    for (let message = channel.recv(256, { maxFds: 1 }); message !== null; message = channel.recv(256, { maxFds: 1 })) {
      if (message.bytes === 0) {
        watch.close();
        onEnd();
        return;
      }
      onMessage(decoder.decode(message.data), message.fds);
    }
  });
  return watch;
}

/** One server generation; generation 1 binds `path`. */
function serve(generation: number, path: string | undefined): void {
  const parent = childChannel();
  let listener: UnixListener | undefined;
  let accepting: FdWatch | undefined;
  let handingOver = false;

  const start = (server: UnixListener) => {
    listener = server;
    accepting = watchFd(server.fd, { readable: true }, () => {
      for (let client = server.accept(); client !== null; client = server.accept()) {
        try {
          client.send(`generation ${generation} pid ${process.pid}`);
        } catch {
          // The client left before its answer: nothing to do.
        } finally {
          client.close();
        }
      }
    });
    parent.send("ready");
  };
  const parentWatch = onMessages(parent, (text, fds) => {
    if (text === "listener" && fds.length === 1 && listener === undefined) start(UnixListener.fromFd(fds[0]!, { nonblocking: true }));
  });
  if (path !== undefined) start(UnixListener.bind(path, { nonblocking: true }));

  const stop = (handedOver: boolean) => {
    accepting?.close();
    // After a handover the socket file is the successor's: detach, so that it is not removed.
    if (listener !== undefined && handedOver) closeSync(listener.detach());
    listener?.close();
    parentWatch.close();
    parent.close();
    process.exit(0);
  };
  process.on("SIGTERM", () => stop(false));
  process.on("SIGHUP", () => {
    if (listener === undefined || handingOver) return;
    handingOver = true;
    const successor = spawnWithChannel([process.execPath, script, "serve", String(generation + 1)], { stdout: "inherit", stderr: "inherit" });
    // The successor runs on after this process exits: it must not be tied to it.
    successor.process.unref();
    onMessages(successor.channel, (text) => {
      if (text === "ready") stop(true);
    });
    successor.channel.send("listener", { fds: [listener.fd] });
  });
}

/** One client: connects, reads the answer, closes. Returns the answer, or throws. */
async function visit(path: string): Promise<string> {
  using client = UnixSocket.connect(path, { nonblocking: true });
  const deadline = performance.now() + 10_000;
  for (;;) {
    const message = client.recv(128);
    if (message !== null) return decoder.decode(message.data);
    if (performance.now() > deadline) throw new Error("no answer within 10 s");
    await Bun.sleep(1);
  }
}

async function demo(): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), "bunix-restart-"));
  const path = join(dir, "server.sock");
  const first = spawnWithChannel([process.execPath, script, "serve", "1", path], { stdout: "inherit", stderr: "inherit" });
  const ready = new Promise<void>((resolve) => {
    const watch = onMessages(first.channel, (text) => {
      if (text !== "ready") return;
      watch.close();
      resolve();
    });
  });

  const answers = new Map<string, number>();
  let connections = 0;
  let refused = 0;
  const failures: string[] = [];
  let current = { generation: 0, pid: 0 };
  let running = true;
  const client = async () => {
    while (running) {
      connections++;
      try {
        const answer = await visit(path);
        answers.set(answer, (answers.get(answer) ?? 0) + 1);
        const [, generation, , pid] = answer.split(" ");
        if (Number(generation) > current.generation) current = { generation: Number(generation), pid: Number(pid) };
      } catch (error) {
        if (error instanceof SystemError && error.code === "ECONNREFUSED") refused++;
        else failures.push(String(error));
      }
    }
  };

  const waitForGeneration = async (generation: number) => {
    const deadline = performance.now() + 20_000;
    while (current.generation < generation) {
      if (performance.now() > deadline) throw new Error(`generation ${generation} never answered`);
      await Bun.sleep(5);
    }
  };
  let clients: Promise<void>[] = [];
  try {
    await ready;
    clients = Array.from({ length: 4 }, client);
    await waitForGeneration(1);
    for (const next of [2, 3]) {
      await Bun.sleep(100);
      process.kill(current.pid, "SIGHUP");
      await waitForGeneration(next);
    }
    await Bun.sleep(100);
  } finally {
    running = false;
    await Promise.all(clients);
    if (current.pid !== 0) process.kill(current.pid, "SIGTERM");
    first.channel.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const generations = [...new Set([...answers.keys()].map((answer) => Number(answer.split(" ")[1])))].sort();
  const firstExitCode = await first.process.exited;
  const answered = [...answers.values()].reduce((a, b) => a + b, 0);
  console.log(JSON.stringify({ connections, answered, refused, failures, generations, firstExitCode }));
  return refused === 0 && failures.length === 0 && answered === connections && firstExitCode === 0 ? 0 : 1;
}

if (process.argv[2] === "serve") serve(Number(process.argv[3]), process.argv[4]);
else process.exitCode = await demo();
