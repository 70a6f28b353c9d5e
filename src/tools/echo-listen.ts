/**
 * How `bunix-echo` claims its socket path: the library never removes an existing file
 * (EADDRINUSE), but a socket file that nobody listens on is what a server killed with SIGKILL
 * leaves behind, and refusing to start until someone removes it by hand helps nobody.
 *
 * @internal
 * @module
 */
import { lstatSync, unlinkSync } from "node:fs";
import { SystemError } from "../core/errors.ts";
import { EchoServer, type EchoServerOptions } from "../ipc/echo-server.ts";
import type { Logger } from "../core/log.ts";
import { UnixSocket } from "../socket/unix-socket.ts";

/**
 * `EchoServer.listen(path)`; when that fails with EADDRINUSE because `path` is a stale socket file
 * (a connect to it is refused), removes the file and listens again.
 * @throws SystemError EADDRINUSE, with a message saying why, when a server answers at `path` or
 *   the file there is not a socket; what `EchoServer.listen` throws otherwise.
 */
export function listenReplacingStale(path: string, options: EchoServerOptions, logger: Logger | null): EchoServer {
  try {
    return EchoServer.listen(path, options);
  } catch (error) {
    if (!(error instanceof SystemError && error.code === "EADDRINUSE") || path.startsWith("\0")) throw error;
    if (!isSocketFile(path)) throw new SystemError("EADDRINUSE", "bind", "a file that is not a socket is in the way", path);
    if (!isStale(path)) throw new SystemError("EADDRINUSE", "bind", "another server is listening there", path);
    logger?.info?.(`removing the stale socket file ${path} (nobody is listening on it)`);
    unlinkSync(path);
    return EchoServer.listen(path, options);
  }
}

function isSocketFile(path: string): boolean {
  try {
    return lstatSync(path).isSocket();
  } catch {
    return false;
  }
}

function isStale(path: string): boolean {
  try {
    UnixSocket.connect(path, { nonblocking: true }).close();
    return false;
  } catch (error) {
    // EAGAIN: a live server with a full backlog.
    return error instanceof SystemError && error.code === "ECONNREFUSED";
  }
}
