// The load test: many concurrent clients against one bunix-echo process, each sending messages of
// random sizes up to 64 KiB with a few in flight, every echo checked byte for byte. Clients that
// break the protocol join in the middle and must be dropped without disturbing the others; the
// server must release every descriptor and still serve afterwards.
//
// The server is the real tool in its own process (a Poller loop on waitAsync, as deployed); the
// clients are nonblocking FramedConnections in one Poller in this process.
import { describe, expect, test } from "bun:test";
import { FramedConnection } from "../../src/framed/index.ts";
import { IpcClient } from "../../src/ipc/index.ts";
import { Interest, Poller } from "../../src/poller/index.ts";
import { UnixSocket } from "../../src/socket/index.ts";
import { emulated } from "../helpers/env.ts";
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
      const server = await startEcho(at, [], { BUNIX_LOG: "warn" });
      const pid = server.child.pid;
      const started = performance.now();
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
          while (finished < CLIENTS) {
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
              sabotage(at);
            }
          }
          expect(total).toBe(CLIENTS * MESSAGES);
        } finally {
          for (const client of clients) client.connection.close();
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
      } finally {
        const { status, stderr } = await server.stop();
        expect(status).toBe(0);
        // The two saboteurs, and nobody else, were dropped.
        const drops = stderr.split("\n").filter((line) => line.includes("dropped client"));
        expect(drops).toHaveLength(2);
        expect(drops.some((line) => line.includes("EPROTO"))).toBe(true);
        expect(drops.some((line) => line.includes("EMSGSIZE"))).toBe(true);
      }
    },
    TIME_LIMIT_MS * 2,
  );
});

/** Two clients that break the protocol: one closes in the middle of a frame, one announces 4 GiB. */
function sabotage(at: string): void {
  const cut = UnixSocket.connect(at);
  cut.send(new Uint8Array([0, 0, 1, 0, 1, 2, 3]));
  cut.close();
  const garbage = UnixSocket.connect(at);
  garbage.send(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0, 0, 0]));
  garbage.close();
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
