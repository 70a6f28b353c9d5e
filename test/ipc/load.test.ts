// The load test: many concurrent clients against one bunix-echo process, each sending messages of
// random sizes up to 64 KiB with a few in flight, every echo checked byte for byte. Hostile clients
// join in the middle, all at once: cut frames, 4 GiB headers, slowloris (a byte now and then, never
// a frame), non-readers, a process killed with SIGKILL in the middle of a frame, and messages
// carrying descriptors. The well-behaved clients must be served throughout; the server must drop
// the bad ones alone, release every descriptor and still serve afterwards.
//
// The server is the real tool in its own process (a Poller loop on waitAsync, as deployed); the
// clients are nonblocking FramedConnections in one Poller in this process.
import { describe, expect, test } from "bun:test";
import { FramedConnection } from "../../src/framed/index.ts";
import { IpcClient } from "../../src/ipc/index.ts";
import { Interest, Poller } from "../../src/poller/index.ts";
import { UnixSocket } from "../../src/socket/index.ts";
import { bunCommand, emulated } from "../helpers/env.ts";
import { socketDir } from "../helpers/socket-paths.ts";
import { clientMessages, openFdsOf, sameBytes, startEcho } from "./helpers.ts";

const path = socketDir("bunix-ipc-load-");

const CLIENTS = emulated ? 10 : 50;
const MESSAGES = emulated ? 100 : 1000;
const MAX_SIZE = 64 * 1024;
/** Messages each client keeps in flight: enough to keep the server busy, few enough to bound memory. */
const WINDOW = 4;
const TIME_LIMIT_MS = emulated ? 600_000 : 60_000;
const SEED = Number(process.env.BUNIX_LOAD_SEED ?? 0x5eed);
/** The server's --idle-timeout: slowloris clients are dropped after it. */
const IDLE_MS = 1000;
/** How long the server's descriptor count must hold still to count as settled. */
const SETTLE_MS = emulated ? 2000 : 300;

/** mulberry32: a small seeded generator, so a failing run can be repeated with BUNIX_LOAD_SEED. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface LoadClient {
  readonly id: number;
  readonly connection: FramedConnection;
  /** Messages sent and not yet echoed, oldest first. */
  readonly inFlight: Uint8Array[];
  sent: number;
  received: number;
  interest: number;
}

describe("bunix-echo under load", () => {
  test(
    `${CLIENTS} clients × ${MESSAGES} messages of up to 64 KiB: every echo byte-exact, bad clients dropped alone, no descriptor kept`,
    async () => {
      const at = path("load.sock");
      // Room for everyone at once; idle clients (the slowloris ones) go after IDLE_MS.
      const server = await startEcho(at, ["--max-clients", "100", "--idle-timeout", String(IDLE_MS)], { BUNIX_LOG: "warn" });
      const pid = server.child.pid;
      const started = performance.now();
      let completed = false;
      try {
        const next = random(SEED);
        // Messages are views into one random pool at random offsets: distinct contents without
        // generating gigabytes of bytes. Views of more than 512 bytes are queued without a copy,
        // and the pool never changes, so that is safe.
        const pool = crypto.getRandomValues(new Uint8Array(new ArrayBuffer(4 * MAX_SIZE)));
        const message = () => {
          const size = Math.floor(next() * (MAX_SIZE + 1));
          const offset = Math.floor(next() * (pool.length - size + 1));
          return pool.subarray(offset, offset + size);
        };
        // The server's descriptors after one client came and went, once the count holds still:
        // what it must come back to. (Its waitAsync helper thread starts with the first wait, which
        // takes a while under emulation; copies of its standard streams are not counted.)
        {
          using warmUp = IpcClient.connect(at, { pingIntervalMs: 0 });
          warmUp.ping();
          clientMessages(null, warmUp, 1);
        }
        const baseline = await settledFdCount(pid);

        // The client to be killed mid-frame: a process of its own, started now, killed later.
        const victim = await startMidFrameWriter(at);
        let hostile = null as Hostile | null;
        using poller = new Poller<LoadClient>();
        const clients: LoadClient[] = [];
        const topUp = (client: LoadClient) => {
          while (client.inFlight.length < WINDOW && client.sent < MESSAGES) {
            const m = message();
            client.connection.send(m);
            client.inFlight.push(m);
            client.sent++;
          }
          client.connection.flush();
          const interest = Interest.READABLE | (client.connection.wantsWrite ? Interest.WRITABLE : 0);
          if (interest !== client.interest) {
            poller.modify(client.connection.fd, interest);
            client.interest = interest;
          }
        };
        try {
          for (let id = 0; id < CLIENTS; id++) {
            const client: LoadClient = { id, connection: new FramedConnection(UnixSocket.connect(at)), inFlight: [], sent: 0, received: 0, interest: Interest.READABLE };
            clients.push(client);
            poller.add(client.connection.fd, Interest.READABLE, client);
            topUp(client);
          }
          let finished = 0;
          let total = 0;
          let saboteursSent = false;
          let sabotagedAt = 0;
          while (finished < CLIENTS) {
            hostile?.trickle();
            if (performance.now() - started > TIME_LIMIT_MS) {
              const behind = clients.filter((c) => c.received < MESSAGES).map((c) => `${c.id}: ${c.received}`);
              throw new Error(`stuck after ${total} echoes; clients behind: ${behind.join(", ")}`);
            }
            const events = poller.wait(100);
            for (let i = 0; i < events.length; i++) {
              const client = events.data(i);
              if (client === undefined) continue;
              if (events.hangup(i) && !events.readable(i)) throw new Error(`client ${client.id}: the server hung up`);
              for (let m = client.connection.receive(); m !== null; m = client.connection.receive()) {
                const expected = client.inFlight.shift();
                if (expected === undefined) throw new Error(`client ${client.id}: an echo nobody sent`);
                if (!sameBytes(m, expected)) {
                  throw new Error(`client ${client.id}, message ${client.received}: ${m.length} bytes back, ${expected.length} sent, contents differ (seed ${SEED})`);
                }
                client.received++;
                total++;
              }
              if (client.connection.ended) throw new Error(`client ${client.id}: the server closed the connection`);
              if (client.received === MESSAGES) {
                poller.delete(client.connection.fd);
                client.connection.close();
                finished++;
                continue;
              }
              topUp(client);
            }
            if (!saboteursSent && total >= (CLIENTS * MESSAGES) / 4) {
              saboteursSent = true;
              sabotagedAt = performance.now();
              hostile = sabotage(at);
              victim.kill("SIGKILL");
            }
          }
          expect(total).toBe(CLIENTS * MESSAGES);
          // Slowloris clients are dropped for idling, whatever else happens.
          while (performance.now() - sabotagedAt < IDLE_MS * 2) {
            hostile?.trickle();
            await Bun.sleep(50);
          }
          hostile?.checkPassedFds();
        } finally {
          for (const client of clients) client.connection.close();
          hostile?.close();
          victim.kill("SIGKILL");
          await victim.exited;
          await victim.stdout.cancel();
        }

        // Still serving, and back to the descriptors it had before the load.
        using after = IpcClient.connect(at, { pingIntervalMs: 0 });
        after.ping();
        expect(after.pingReply(clientMessages(null, after, 1)[0]!)!.sequence).toBe(1);
        after.close();
        if (baseline >= 0) {
          const deadline = performance.now() + SETTLE_MS * 10;
          // Not `>`: while the server waits, Bun's loop holds a duplicate of its Poller's epoll
          // (waitAsync), so a count taken while it is busy reads one below its idle baseline.
          while (openFdsOf(pid) !== baseline && performance.now() < deadline) await Bun.sleep(20);
          expect(openFdsOf(pid)).toBe(baseline);
        }
        completed = true;
      } finally {
        const { status, stderr } = await server.stop();
        // Checked only after a run that got this far: a failure here would hide the error that
        // stopped it.
        if (completed) {
          expect(status).toBe(0);
          // The saboteurs were dropped, each for what it did; the non-readers and the descriptor
          // sender idled too (or were closed by this test, which the server may see as a reset).
          const drops = stderr.split("\n").filter((line) => line.includes("dropped client"));
          expect(drops.filter((line) => line.includes("EPROTO")).length).toBeGreaterThanOrEqual(1); // the cut frame
          expect(drops.filter((line) => line.includes("EMSGSIZE"))).toHaveLength(1);
          expect(drops.filter((line) => line.includes("no frame completed")).length).toBeGreaterThanOrEqual(SLOWLORIS);
          // The process killed mid-frame: EPROTO, or idle first on a slow run.
          expect(drops.length).toBeGreaterThanOrEqual(2 + SLOWLORIS + 1);
        }
      }
    },
    TIME_LIMIT_MS * 2,
  );
});

const SLOWLORIS = 4;
const NON_READERS = 3;

/** The hostile clients, once started: fed by the test loop, checked and closed at the end. */
interface Hostile {
  /** Sends the slowloris clients their next byte when one is due. */
  trickle(): void;
  /** The messages sent with descriptors came back intact, without them. */
  checkPassedFds(): void;
  close(): void;
}

/**
 * The saboteurs, all at once: one closes in the middle of a frame, one announces 4 GiB, SLOWLORIS
 * send a header byte now and then, NON_READERS send all they can and never read, and one sends
 * its messages with descriptors attached.
 */
function sabotage(at: string): Hostile {
  const cut = UnixSocket.connect(at);
  cut.send(new Uint8Array([0, 0, 1, 0, 1, 2, 3]));
  cut.close();
  const garbage = UnixSocket.connect(at);
  garbage.send(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0, 0, 0]));
  garbage.close();
  const slow = Array.from({ length: SLOWLORIS }, () => UnixSocket.connect(at, { nonblocking: true }));
  let trickled = 0;
  let lastTrickle = 0;
  const hog = new Uint8Array(64 * 1024 + 4);
  new DataView(hog.buffer).setUint32(0, 64 * 1024);
  const nonReaders = Array.from({ length: NON_READERS }, () => UnixSocket.connect(at, { nonblocking: true }));
  for (const socket of nonReaders) for (let i = 0; i < 64 && socket.send(hog) !== null; i++);
  const carrier = new FramedConnection(UnixSocket.connect(at));
  const passed = [0, 1, 2].map((i) => new TextEncoder().encode(`with a descriptor ${i}`));
  for (const message of passed) {
    const frame = new Uint8Array(4 + message.length);
    new DataView(frame.buffer).setUint32(0, message.length);
    frame.set(message, 4);
    carrier.socket.send(frame, { fds: [carrier.fd] });
  }
  const safely = (step: () => void) => {
    try {
      step();
    } catch {
      // Dropped already: EPIPE or ECONNRESET is what is expected of a dropped saboteur.
    }
  };
  return {
    trickle() {
      if (performance.now() - lastTrickle < 100) return;
      lastTrickle = performance.now();
      // The header of a 256-byte frame, a byte at a time, then payload bytes: never the whole frame.
      const byte = trickled === 2 ? 1 : trickled < 4 ? 0 : 7;
      if (trickled < 100) for (const socket of slow) safely(() => socket.send(new Uint8Array([byte])));
      trickled++;
    },
    checkPassedFds() {
      const deadline = performance.now() + 5000;
      const back: Uint8Array[] = [];
      while (back.length < passed.length && performance.now() < deadline) {
        const message = carrier.receive();
        if (message !== null) back.push(message);
      }
      expect(back.map((m) => new TextDecoder().decode(m))).toEqual(passed.map((m) => new TextDecoder().decode(m)));
    },
    close() {
      for (const socket of [...slow, ...nonReaders]) socket.close();
      carrier.close();
    },
  };
}

/** A process that connects, writes the first 10 bytes of a 1000-byte frame, and waits to be killed. */
async function startMidFrameWriter(at: string): Promise<Bun.Subprocess<"ignore", "pipe", "inherit">> {
  const script = `
    const socket = await Bun.connect({ unix: ${JSON.stringify(at)}, socket: { data() {} } });
    socket.write(new Uint8Array([0, 0, 3, 232, 1, 2, 3, 4, 5, 6]));
    socket.flush();
    console.log("ready");
    setInterval(() => {}, 1000);
  `;
  const child = Bun.spawn(bunCommand("-e", script), { stdin: "ignore", stdout: "pipe", stderr: "inherit" });
  const reader = child.stdout.getReader();
  const { value } = await reader.read();
  reader.releaseLock();
  if (!new TextDecoder().decode(value).includes("ready")) throw new Error("the mid-frame writer did not start");
  return child;
}

/** The descriptor count of process `pid` once it has not changed for SETTLE_MS (-1 without /proc). */
async function settledFdCount(pid: number): Promise<number> {
  let count = openFdsOf(pid);
  let since = performance.now();
  const deadline = since + SETTLE_MS * 20;
  while (performance.now() - since < SETTLE_MS && performance.now() < deadline) {
    await Bun.sleep(20);
    const now = openFdsOf(pid);
    if (now !== count) {
      count = now;
      since = performance.now();
    }
  }
  return count;
}
