#!/usr/bin/env bun
/**
 * `bunix-echo`: an echo server for framed messages on a Unix stream socket.
 *
 *     bunix-echo [--socket PATH | --socket @NAME | --fd N] [--max-clients N] [--mode OCTAL] [--idle-timeout MS]
 *                [--max-buffered BYTES] [--max-message-size BYTES] [--verbose]
 *
 * Started by systemd socket activation (LISTEN_PID and LISTEN_FDS), or with `--fd N`, it serves
 * on the listening socket it was given instead of binding one; the socket file, if any, belongs
 * to whoever made the socket and stays.
 *
 * The server runs on `EchoServer.start()`, which waits with the Poller's `batches()`: a blocking
 * wait on the main thread would keep the signal handlers below from ever running (JS signal
 * handlers run between turns of the event loop), and the socket file would stay behind.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { DEFAULT_IDLE_TIMEOUT_MS, DEFAULT_MAX_BUFFERED, DEFAULT_MAX_CLIENTS, EchoServer, type EchoServerOptions } from "../ipc/echo-server.ts";
import { DEFAULT_MAX_MESSAGE_SIZE, MAX_FRAME_LENGTH } from "../framed/frame-limits.ts";
import { setLogger } from "../core/log.ts";
import { UnixListener } from "../socket/unix-listener.ts";
import { listenFds } from "../socket/listen-fds.ts";
import { type ClaimedServer, listenExclusive } from "./echo-listen.ts";
import { consoleLogger, defaultSocketPath, logLevel, socketArgument } from "./ipc-cli.ts";
import { Exit, UsageError, parseInteger, runTool } from "./cli.ts";

/** How long a stopping server lets queued echoes go out. */
const FLUSH_MS = 1000;
const SIGNALS: readonly NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];

const HELP = `Usage: bunix-echo [options]

Listen on a Unix stream socket and send every framed message (a 4-byte big-endian
length, then the payload) back to the client that sent it. Many clients are served
at once; a client beyond --max-clients is accepted and closed at once. SIGINT,
SIGTERM and SIGHUP stop accepting, let queued echoes go out for at most a second and
remove the socket file. A socket file left by a server that is gone (nobody listening
on it) is replaced; a lock on PATH.lock keeps a second server off the same path.
Started by systemd socket activation (LISTEN_PID, LISTEN_FDS) or with --fd, it
serves on the listening socket it was given and leaves its file alone.

Options:
  -s, --socket PATH          the socket to listen on (default ${defaultSocketPath()});
                             @NAME listens on the abstract socket NAME (Linux: no file, no lock)
      --fd N                 serve on the listening Unix stream socket at descriptor N
  -m, --max-clients N        serve at most N clients at once (default ${DEFAULT_MAX_CLIENTS})
      --mode OCTAL           the socket file's permissions, whatever the umask (default 600)
      --idle-timeout MS      drop a client that completes no frame for MS milliseconds;
                             0 never drops (default ${DEFAULT_IDLE_TIMEOUT_MS})
      --max-buffered BYTES   all clients' buffered input and queued output together; beyond
                             it reading stops until echoes drain (default ${DEFAULT_MAX_BUFFERED})
      --max-message-size BYTES
                             drop a client announcing a longer message (default ${DEFAULT_MAX_MESSAGE_SIZE});
                             --max-buffered must hold one such message and its header
  -v, --verbose              log clients coming and going, refusals and drops to standard
                             error (BUNIX_LOG=debug|info|warn|error sets the level instead)
  -h, --help                 show this help

Exit status: 0 stopped by a signal, 2 usage error, 3 system error (such as
EADDRINUSE: another server listens on PATH).
`;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      socket: { type: "string", short: "s" },
      fd: { type: "string" },
      "max-clients": { type: "string", short: "m" },
      mode: { type: "string" },
      "idle-timeout": { type: "string" },
      "max-buffered": { type: "string" },
      "max-message-size": { type: "string" },
      verbose: { type: "boolean", short: "v" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return Exit.ok;
  }
  const path = values.socket === undefined ? defaultSocketPath() : socketArgument(values.socket);
  if (values.fd !== undefined && values.socket !== undefined) throw new UsageError("--fd and --socket exclude each other");
  const fd = values.fd === undefined ? undefined : parseInteger(values.fd, "--fd", 0, 0x7fffffff);
  const maxClients = values["max-clients"] === undefined ? DEFAULT_MAX_CLIENTS : parseInteger(values["max-clients"], "--max-clients", 1, 0x7fffffff);
  const mode = values.mode === undefined ? 0o600 : parseMode(values.mode);
  const idleTimeoutMs = values["idle-timeout"] === undefined ? DEFAULT_IDLE_TIMEOUT_MS : parseInteger(values["idle-timeout"], "--idle-timeout", 0, 0x7fffffff);
  const maxMessageSize =
    values["max-message-size"] === undefined ? DEFAULT_MAX_MESSAGE_SIZE : parseInteger(values["max-message-size"], "--max-message-size", 0, MAX_FRAME_LENGTH);
  const maxBuffered =
    values["max-buffered"] === undefined ? Math.max(DEFAULT_MAX_BUFFERED, maxMessageSize + 4) : parseInteger(values["max-buffered"], "--max-buffered", 1, Number.MAX_SAFE_INTEGER);
  if (maxBuffered < maxMessageSize + 4) {
    throw new UsageError(`--max-buffered must hold one message of --max-message-size and its header: at least ${maxMessageSize + 4}`);
  }
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
    void server?.shutdown(FLUSH_MS);
  };
  for (const signal of SIGNALS) process.on(signal, stop);
  let release = () => {};
  try {
    const options: EchoServerOptions = { maxClients, mode, idleTimeoutMs, maxBuffered, maxMessageSize };
    const claimed = fd !== undefined || values.socket === undefined ? (inherited(fd, options) ?? listenExclusive(path, options, logger)) : listenExclusive(path, options, logger);
    server = claimed.server;
    release = claimed.release;
    if (stopped) server.stop();
    // A process of its own: after a batch, waiting in the kernel for the next message blocks
    // nothing else here and saves a trip through the event loop per message when one is in flight
    // at a time. 10 ms, not 1: with 1 ms waits the two-process round trip had a mean 1.5x its own
    // (bench/README.md, ipc-roundtrip). It sleeps in the kernel; it never spins.
    else await server.start({ busyWaitMs: 10 });
  } finally {
    // After the server: its socket file is gone before the next server may take the lock.
    release();
    for (const signal of SIGNALS) process.off(signal, stop);
  }
  return Exit.ok;
}

/**
 * The server on a listener handed over: `--fd N`, else the first descriptor of socket activation;
 * `null` when neither is there. `UnixListener.fromFd` checks that it is a listening Unix socket.
 */
function inherited(fd: number | undefined, options: EchoServerOptions): ClaimedServer | null {
  const given = fd ?? listenFds()[0];
  if (given === undefined) return null;
  return { server: EchoServer.fromListener(UnixListener.fromFd(given, { nonblocking: true }), options), release: () => {} };
}

/** Parses `--mode`: 1 to 4 octal digits. */
function parseMode(text: string): number {
  if (!/^[0-7]{1,4}$/.test(text)) throw new UsageError(`--mode takes octal permissions such as 600 or 660, not '${text}'`);
  return Number.parseInt(text, 8);
}

void runTool("bunix-echo", main);
