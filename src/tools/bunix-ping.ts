#!/usr/bin/env bun
/**
 * `bunix-ping`: pings a framed-message echo server (such as `bunix-echo`) through `IpcClient`.
 *
 *     bunix-ping [--socket PATH | --socket @NAME] [--interval MS] [--count N] [--json]
 *
 * The loop blocks in `client.poll()`: a command-line tool has nothing else to do meanwhile, and
 * SIGINT's default action (end the process) is what a user of ping expects. The client's timer
 * paces the pings; `bunix-echo` shows the other way to run a loop, with `waitAsync`.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { SystemError } from "../core/errors.ts";
import { IpcClient } from "../ipc/ipc-client.ts";
import { setLogger } from "../core/log.ts";
import { consoleLogger, defaultSocketPath, logLevel, socketArgument } from "./ipc-cli.ts";
import { displayPath } from "../socket/address.ts";
import { parseInteger, runTool } from "./cli.ts";

const HELP = `Usage: bunix-ping [options]

Connect to a framed-message echo server on a Unix stream socket (such as bunix-echo),
send it a 24-byte ping every interval, and print each reply with its round-trip time.

Options:
  -s, --socket PATH      the server's socket (default ${defaultSocketPath()});
                         @NAME is the abstract socket NAME (Linux)
  -i, --interval MS      milliseconds between pings (default 2000); the first goes at once
  -c, --count N          stop after N replies (default: until interrupted)
      --json             print one JSON object per line instead of text: for each reply
                         {"type":"reply","socket","sequence","bytes","timeMs"}, and at the end
                         {"type":"summary","socket","sent","received","bogus","minMs","avgMs","maxMs"}
                         (the times null without replies); errors stay text on standard error
  -h, --help             show this help

Exit status: 0 N replies received, 1 the server went away (or stopped replying), 2 usage
error, 3 system error (ECONNREFUSED: the server refused the connection, as bunix-echo
does beyond --max-clients).
`;

/** The exit statuses. */
const Exit = { ok: 0, gone: 1, usage: 2, system: 3 } as const;
const INT32_MAX = 0x7fffffff;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      socket: { type: "string", short: "s" },
      interval: { type: "string", short: "i" },
      count: { type: "string", short: "c" },
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return Exit.ok;
  }
  const path = values.socket === undefined ? defaultSocketPath() : socketArgument(values.socket);
  const interval = values.interval === undefined ? 2000 : parseInteger(values.interval, "--interval", 1, INT32_MAX);
  const count = values.count === undefined ? Number.POSITIVE_INFINITY : parseInteger(values.count, "--count", 1, INT32_MAX);
  const level = logLevel(false);
  setLogger(level === null ? null : consoleLogger("bunix-ping", level));

  try {
    using client = IpcClient.connect(path, { pingIntervalMs: interval });
    return ping(client, displayPath(path), interval, count, values.json === true ? jsonOutput : textOutput);
  } catch (error) {
    if (!(error instanceof SystemError && error.code === "ECONNREFUSED")) throw error;
    // From connect(2): a socket file nobody listens on. From IpcClient: closed at once by a server
    // at its client limit.
    console.error(
      error.syscall === "connect"
        ? `bunix-ping: nobody is listening on ${displayPath(path)} (a stale socket file?)`
        : "bunix-ping: server refused the connection (too many clients?)",
    );
    return Exit.system;
  }
}

/** Where the replies and the summary go: text lines, or JSON objects one a line. */
interface Output {
  reply(path: string, sequence: number, bytes: number, timeMs: number): void;
  summary(path: string, sent: number, times: readonly number[], bogus: number): void;
}

const textOutput: Output = {
  reply(path, sequence, bytes, timeMs) {
    console.log(`reply ${sequence} from ${path}: ${bytes} bytes time=${timeMs.toFixed(3)} ms`);
  },
  summary(path, sent, times, bogus) {
    const line = `--- ${path}: ${sent} sent, ${times.length} received${bogus > 0 ? `, ${bogus} bogus` : ""}`;
    if (times.length === 0) {
      console.log(line);
      return;
    }
    const { min, avg, max } = spread(times);
    console.log(`${line}, time min/avg/max = ${min.toFixed(3)}/${avg.toFixed(3)}/${max.toFixed(3)} ms`);
  },
};

const jsonOutput: Output = {
  reply(path, sequence, bytes, timeMs) {
    console.log(JSON.stringify({ type: "reply", socket: path, sequence, bytes, timeMs }));
  },
  summary(path, sent, times, bogus) {
    const { min, avg, max } = times.length === 0 ? { min: null, avg: null, max: null } : spread(times);
    console.log(JSON.stringify({ type: "summary", socket: path, sent, received: times.length, bogus, minMs: min, avgMs: avg, maxMs: max }));
  },
};

function spread(times: readonly number[]): { min: number; avg: number; max: number } {
  return { min: Math.min(...times), avg: times.reduce((a, b) => a + b, 0) / times.length, max: Math.max(...times) };
}

/** Pings until `count` replies came back (or the server went away); returns the exit status. */
function ping(client: IpcClient, path: string, interval: number, count: number, output: Output): number {
  const times: number[] = [];
  const answered = new Set<number>();
  let bogus = 0;
  // Once every ping is out, the replies still owed get this long to arrive.
  let deadline = Number.POSITIVE_INFINITY;
  const sent = () => {
    if (client.pingsSent >= count && deadline === Number.POSITIVE_INFINITY) deadline = performance.now() + Math.max(2 * interval, 2000);
  };
  client.ping();
  sent();
  while (times.length < count) {
    const left = deadline - performance.now();
    if (left <= 0) {
      console.error(`bunix-ping: no reply to ${client.pingsSent - times.length} ping(s) from ${path}`);
      output.summary(path, client.pingsSent, times, bogus);
      return Exit.gone;
    }
    for (const event of client.poll(Number.isFinite(left) ? left : -1)) {
      if (event.kind === "hangup") {
        console.error(`bunix-ping: the server at ${path} went away`);
        output.summary(path, client.pingsSent, times, bogus);
        return Exit.gone;
      }
      if (event.kind === "timer") {
        // Timer events past the last ping are left unprocessed: that is how no more pings go out.
        if (client.pingsSent < count) client.process(event);
        sent();
        continue;
      }
      const message = client.process(event);
      if (message === null) continue;
      const reply = client.pingReply(message);
      // Only the first echo of a ping this process sent counts; anything else is reported, never
      // counted: a duplicate, another sender's message, a forged send time.
      if (reply === null || !(reply.roundTripMs >= 0 && reply.roundTripMs < Number.POSITIVE_INFINITY)) {
        bogus++;
        console.error(`bunix-ping: error: a ${message.length}-byte reply from ${path} to no ping this client sent`);
        continue;
      }
      if (answered.has(reply.sequence)) {
        bogus++;
        console.error(`bunix-ping: error: a second reply to ping ${reply.sequence} from ${path}`);
        continue;
      }
      answered.add(reply.sequence);
      times.push(reply.roundTripMs);
      output.reply(path, reply.sequence, message.length, reply.roundTripMs);
      if (times.length >= count) break;
    }
  }
  output.summary(path, client.pingsSent, times, bogus);
  return Exit.ok;
}

void runTool("bunix-ping", main);
