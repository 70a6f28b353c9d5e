#!/usr/bin/env bun
/**
 * `bunix-echo`: an echo server for framed messages on a Unix stream socket.
 *
 *     bunix-echo [--socket PATH] [--max-clients N] [--verbose]
 *
 * The server runs on `EchoServer.start()`, which waits with the Poller's `waitAsync`: a blocking
 * wait on the main thread would keep the SIGINT and SIGTERM handlers below from ever running
 * (JS signal handlers run between turns of the event loop), and the socket file would stay behind.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { DEFAULT_MAX_CLIENTS, type EchoServer } from "../ipc/echo-server.ts";
import { setLogger } from "../core/log.ts";
import { listenReplacingStale } from "./echo-listen.ts";
import { DEFAULT_SOCKET_PATH, consoleLogger, logLevel } from "./ipc-cli.ts";
import { Exit, UsageError, parseInteger, runTool } from "./cli.ts";

const HELP = `Usage: bunix-echo [options]

Listen on a Unix stream socket and send every framed message (a 4-byte big-endian
length, then the payload) back to the client that sent it. Many clients are served
at once; a client beyond --max-clients is accepted and closed at once. SIGINT and
SIGTERM stop the server and remove the socket file. A socket file left by a server
that is gone (nobody listening on it) is replaced.

Options:
  -s, --socket PATH        the socket to listen on (default ${DEFAULT_SOCKET_PATH})
  -m, --max-clients N      serve at most N clients at once (default ${DEFAULT_MAX_CLIENTS})
  -v, --verbose            log clients coming and going, refusals and drops to standard
                           error (BUNIX_LOG=debug|info|warn|error sets the level instead)
  -h, --help               show this help

Exit status: 0 stopped by SIGINT or SIGTERM, 2 usage error, 3 system error (such as
EADDRINUSE: another server listens on PATH).
`;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      socket: { type: "string", short: "s" },
      "max-clients": { type: "string", short: "m" },
      verbose: { type: "boolean", short: "v" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return Exit.ok;
  }
  const path = values.socket ?? DEFAULT_SOCKET_PATH;
  if (path === "") throw new UsageError("--socket takes a path");
  const maxClients = values["max-clients"] === undefined ? DEFAULT_MAX_CLIENTS : parseInteger(values["max-clients"], "--max-clients", 1, 0x7fffffff);
  const level = logLevel(values.verbose === true);
  const logger = level === null ? null : consoleLogger("bunix-echo", level);
  setLogger(logger);

  // The handlers go in before the socket exists: whoever sees the socket may signal at once, and
  // a signal without a handler would end the process with the socket file left behind.
  let server: EchoServer | null = null;
  let stopped = false;
  const stop = (signal: NodeJS.Signals) => {
    logger?.info?.(`${signal}: stopping`);
    stopped = true;
    server?.stop();
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  try {
    server = listenReplacingStale(path, { maxClients }, logger);
    if (stopped) server.stop();
    else await server.start();
  } finally {
    process.off("SIGINT", stop);
    process.off("SIGTERM", stop);
  }
  return Exit.ok;
}

void runTool("bunix-echo", main);
