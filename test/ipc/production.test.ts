// bunix-echo as a production server, as a process: running out of descriptors, two servers
// racing for one path, the socket file's mode, the default path, a stale socket it may not probe,
// signals, and bunix-ping against a server that answers twice or with replies nobody asked for.
import { describe, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { FramedConnection } from "../../src/framed/index.ts";
import { IpcClient } from "../../src/ipc/index.ts";
import { UnixListener, UnixSocket } from "../../src/socket/index.ts";
import { bunCommand } from "../helpers/env.ts";
import { socketDir } from "../helpers/socket-paths.ts";
import { DEADLINE_MS, PROCESS_TEST_MS, clientMessages, listening, runTool, startEcho, tools } from "./helpers.ts";

const path = socketDir("bunix-ipc-prod-");
const linux = process.platform === "linux";

/** User plus system CPU time of process `pid` so far, in clock ticks (Linux /proc). */
function cpuTicks(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return Number(fields[11]) + Number(fields[12]);
}

/** Waits for one echo of `frame` on `client` (nonblocking framed), up to `ms`; true if it came. */
async function echoed(client: FramedConnection, ms: number): Promise<boolean> {
  const deadline = performance.now() + ms;
  while (performance.now() < deadline) {
    client.flush();
    if (client.receive() !== null) return true;
    if (client.ended) return false;
    await Bun.sleep(5);
  }
  return false;
}

describe("bunix-echo: out of descriptors", () => {
  test.skipIf(!linux)(
    "EMFILE pauses accepting: no exit, no busy loop while starved, waiting clients served once others leave",
    async () => {
      const at = path("emfile.sock");
      const server = await startEcho(at, ["--idle-timeout", "0"], { BUNIX_LOG: "warn" });
      const pid = server.child.pid;
      try {
        // Room for a few clients only, counted from what the server has open now.
        await Bun.sleep(200);
        const open = readdirSync(`/proc/${pid}/fd`).length;
        const limit = open + 6;
        const set = Bun.spawnSync(["prlimit", `--pid=${pid}`, `--nofile=${limit}:${limit}`]);
        expect(set.exitCode).toBe(0);
        const clients = Array.from({ length: 20 }, () => new FramedConnection(UnixSocket.connect(at)));
        try {
          clients.forEach((c, i) => c.send(`client ${i}`));
          const served: FramedConnection[] = [];
          const waiting: FramedConnection[] = [];
          for (const c of clients) ((await echoed(c, served.length === 0 ? 2000 : 100)) ? served : waiting).push(c);
          expect(served.length).toBeGreaterThan(0);
          expect(waiting.length).toBeGreaterThan(0);
          // Starved, with clients in the backlog: alive, and idle rather than spinning.
          const before = cpuTicks(pid);
          await Bun.sleep(1000);
          const ticks = cpuTicks(pid) - before;
          expect(server.child.exitCode).toBeNull();
          expect(ticks).toBeLessThan(30); // under 30 % of a core (100 ticks a second)
          // Served clients echo on; once they leave, the waiting ones are accepted and served.
          for (const c of served) {
            c.send("again");
            expect(await echoed(c, 2000)).toBe(true);
            c.close();
          }
          let rounds = 0;
          while (waiting.length > 0 && rounds++ < 10) {
            for (const c of [...waiting]) {
              if (await echoed(c, 300)) {
                waiting.splice(waiting.indexOf(c), 1);
                c.close();
              }
            }
          }
          expect(waiting).toHaveLength(0);
        } finally {
          for (const c of clients) c.close();
        }
      } finally {
        const { status, stderr } = await server.stop();
        expect(status).toBe(0);
        expect(stderr).toContain("out of descriptors");
      }
    },
    PROCESS_TEST_MS * 2,
  );
});

describe("bunix-echo: one server per path", () => {
  test(
    "two servers started at once, over a stale socket file each round: exactly one runs, and it is the one answering",
    async () => {
      const at = path("race.sock");
      const first = await startEcho(at);
      await first.stop("SIGKILL");
      for (let round = 0; round < 10; round++) {
        expect(existsSync(at)).toBe(true); // stale: its server was killed
        const spawn = () => Bun.spawn(bunCommand(tools.echo, "--socket", at), { stdin: "ignore", stdout: "ignore", stderr: "pipe" });
        const pair = [spawn(), spawn()];
        try {
          await listening(at);
          const deadline = performance.now() + DEADLINE_MS;
          while (pair.every((c) => c.exitCode === null) && performance.now() < deadline) await Bun.sleep(20);
          // Give a loser that got past the lock every chance to show itself as a second runner.
          await Bun.sleep(300);
          const running = pair.filter((c) => c.exitCode === null);
          const exited = pair.filter((c) => c.exitCode !== null);
          expect(running).toHaveLength(1);
          expect(exited[0]!.exitCode).toBe(3);
          expect(await new Response(exited[0]!.stderr).text()).toContain("EADDRINUSE");
          using probe = UnixSocket.connect(at);
          expect(probe.peerCredentials().pid).toBe(running[0]!.pid);
        } finally {
          // SIGKILL: the next round starts over a stale socket file again.
          for (const c of pair) c.kill("SIGKILL");
          await Promise.all(pair.map((c) => c.exited));
        }
      }
    },
    PROCESS_TEST_MS * 2,
  );

  test.skipIf(!linux || process.getuid?.() !== 0 || !existsSync("/usr/bin/setpriv"))(
    "a stale socket file it may not connect to is reported as permission denied, and left alone",
    async () => {
      const dir = mkdtempSync("/tmp/bunix-ipc-eacces-");
      try {
        chmodSync(dir, 0o1777);
        const at = join(dir, "theirs.sock");
        const first = await startEcho(at);
        await first.stop("SIGKILL"); // root's, mode 600, stale
        const run = Bun.spawnSync(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", ...bunCommand(tools.echo, "--socket", at)], {
          env: { ...process.env, HOME: dir, BUN_INSTALL_CACHE_DIR: dir },
          stderr: "pipe",
        });
        expect(run.exitCode).toBe(3);
        const err = run.stderr.toString();
        expect(err).toContain("EACCES");
        expect(err).toContain("permission denied");
        expect(err).not.toContain("another server");
        expect(existsSync(at)).toBe(true);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
    PROCESS_TEST_MS,
  );
});

describe("bunix-echo: the socket file", () => {
  test("--mode sets the socket file's permissions whatever the umask; the default is 600", async () => {
    for (const [args, mode] of [[[], 0o600], [["--mode", "660"], 0o660], [["--mode", "0777"], 0o777]] as const) {
      const at = path(`mode-${mode.toString(8)}.sock`);
      const server = await startEcho(at, [...args]);
      try {
        expect(statSync(at).mode & 0o7777).toBe(mode);
      } finally {
        expect((await server.stop()).status).toBe(0);
      }
    }
    const bad = await runTool("echo", ["--socket", path("bad-mode.sock"), "--mode", "8"]);
    expect(bad.status).toBe(2);
    expect(bad.err).toContain("--mode takes octal permissions");
  }, PROCESS_TEST_MS);

  test("the default socket is in $XDG_RUNTIME_DIR when that is set", async () => {
    const dir = mkdtempSync("/tmp/bunix-ipc-xdg-");
    const child = Bun.spawn(bunCommand(tools.echo), { stdin: "ignore", stdout: "ignore", stderr: "pipe", env: { ...process.env, XDG_RUNTIME_DIR: dir } });
    try {
      await listening(join(dir, "bunix-echo.sock"), child);
      const help = await runTool("echo", ["--help"], { XDG_RUNTIME_DIR: dir });
      expect(help.out).toContain(`(default ${join(dir, "bunix-echo.sock")})`);
    } finally {
      child.kill("SIGTERM");
      expect(await child.exited).toBe(0);
      expect(existsSync(join(dir, "bunix-echo.sock"))).toBe(false);
      rmSync(dir, { recursive: true, force: true });
    }
  }, PROCESS_TEST_MS);
});

describe("bunix-echo: a listener handed over", () => {
  const launches = [
    ["--fd 3", (args: string[]) => bunCommand(tools.echo, "--fd", "3", ...args)],
    // LISTEN_PID must be the child's own pid, known once it runs: the shell sets it and execs.
    ["socket activation (LISTEN_PID, LISTEN_FDS)", (args: string[]) => ["sh", "-c", 'LISTEN_PID=$$ LISTEN_FDS=1 exec "$@"', "sh", ...bunCommand(tools.echo, ...args)]],
  ] as const;
  for (const [how, command] of launches) {
    test(`${how}: serves on the inherited listener; stopping leaves its socket file to its owner`, async () => {
      const at = path(`handed-${how.length}.sock`);
      using listener = UnixListener.bind(at);
      const child = Bun.spawn(command(["--verbose"]), { stdio: ["ignore", "ignore", "pipe", listener.fd] });
      const stderr = new Response(child.stderr).text();
      try {
        using client = IpcClient.connect(at, { pingIntervalMs: 0 });
        client.ping();
        expect(clientMessages(null, client, 1)).toHaveLength(1);
      } finally {
        child.kill("SIGTERM");
      }
      expect(await child.exited).toBe(0);
      expect(await stderr).toContain("client 1 connected");
      expect(existsSync(at)).toBe(true);
    }, PROCESS_TEST_MS);
  }

  test("--fd naming something that is not a listening Unix socket exits 3 (EINVAL, ENOTSOCK); --fd with --socket is a usage error", async () => {
    const run = await runTool("echo", ["--fd", "0"]);
    expect(run.status).toBe(3);
    expect(run.err).toMatch(/ENOTSOCK|EINVAL/);
    const both = await runTool("echo", ["--fd", "3", "--socket", path("both.sock")]);
    expect(both.status).toBe(2);
    expect(both.err).toContain("--fd and --socket exclude each other");
  }, PROCESS_TEST_MS);
});

describe("bunix-echo: stopping", () => {
  test("SIGTERM with echoes queued for a client that does not read: stops within about a second, socket file removed", async () => {
    const at = path("flush.sock");
    const server = await startEcho(at);
    const client = new FramedConnection(UnixSocket.connect(at));
    try {
      const big = new Uint8Array(64 * 1024);
      for (let i = 0; i < 64; i++) client.send(big);
      const until = performance.now() + 500;
      while (performance.now() < until) {
        client.flush();
        await Bun.sleep(10);
      }
      const started = performance.now();
      const { status } = await server.stop("SIGTERM");
      expect(status).toBe(0);
      expect(performance.now() - started).toBeLessThan(2500);
      expect(existsSync(at)).toBe(false);
      expect(existsSync(`${at}.lock`)).toBe(false);
    } finally {
      client.close();
    }
  }, PROCESS_TEST_MS);
});

describe("bunix-ping: replies it did not send", () => {
  test("a duplicated reply and a forged one are reported as errors, never counted", async () => {
    const at = path("liar.sock");
    // A server that echoes every frame twice, then sends a ping-shaped frame of another client.
    const forged = new Uint8Array(28);
    new DataView(forged.buffer).setUint32(0, 24);
    forged.set(new TextEncoder().encode("bunixPNG"), 4);
    const liar = Bun.listen<{ pending: Buffer }>({
      unix: at,
      socket: {
        open(socket) {
          socket.data = { pending: Buffer.alloc(0) };
        },
        data(socket, bytes) {
          let pending = Buffer.concat([socket.data.pending, bytes]);
          while (pending.length >= 4 && pending.length >= 4 + pending.readUInt32BE(0)) {
            const frame = pending.subarray(0, 4 + pending.readUInt32BE(0));
            socket.write(Buffer.concat([frame, frame, forged]));
            pending = pending.subarray(frame.length);
          }
          socket.data.pending = Buffer.from(pending);
        },
      },
    });
    try {
      const run = await runTool("ping", ["--socket", at, "--interval", "50", "--count", "2"]);
      expect(run.status).toBe(0);
      expect(run.out).toMatch(/--- \S+: 2 sent, 2 received, \d+ bogus/);
      expect(run.err).toContain("a second reply to ping 1");
      expect(run.err).toContain("to no ping this client sent");
      expect(run.out).not.toContain("NaN");
    } finally {
      liar.stop(true);
    }
  }, PROCESS_TEST_MS);
});

test("IpcClient against a served path still works after all of the above (sanity)", async () => {
  const server = await startEcho(path("sanity.sock"));
  try {
    using client = IpcClient.connect(path("sanity.sock"), { pingIntervalMs: 0 });
    client.ping();
    expect(clientMessages(null, client, 1)).toHaveLength(1);
  } finally {
    expect((await server.stop()).status).toBe(0);
  }
}, PROCESS_TEST_MS);
