/**
 * How `bunix-echo` claims its socket path.
 *
 * - **One server per path.** A lock file beside the socket (`PATH.lock`) is locked with flock(2)
 *   for the server's whole life, before anything at the path is looked at. Two servers started at
 *   once cannot both get it, so they cannot both decide that a file is stale, remove it and bind;
 *   and the lock goes away with the process however it ends, so a crash never leaves it held.
 * - **Stale files are replaced.** The library never removes an existing file (EADDRINUSE), but a
 *   socket file that nobody listens on is what a server killed with SIGKILL leaves behind, and
 *   refusing to start until someone removes it by hand helps nobody. Holding the lock, a file whose
 *   connect is refused is stale; a file that answers, or that we may not probe, is left alone.
 *
 * @internal
 * @module
 */
import { closeSync, fstatSync, lstatSync, openSync, statSync, unlinkSync } from "node:fs";
import { constant, errno, errnoNumber, loadFlock } from "../../ffi/index.ts";
import { SystemError, unsupportedError } from "../core/errors.ts";
import { EchoServer, type EchoServerOptions } from "../ipc/echo-server.ts";
import type { Logger } from "../core/log.ts";
import { UnixSocket } from "../socket/unix-socket.ts";

const EWOULDBLOCK = errnoNumber("EWOULDBLOCK");
const EINTR = errnoNumber("EINTR");

/** A server on its path and the lock that keeps others off it: release after the server stops. */
export interface ClaimedServer {
  readonly server: EchoServer;
  /** Removes the lock file (if still ours) and unlocks. Idempotent. */
  release(): void;
}

/**
 * Locks `PATH.lock`, then `EchoServer.listen(path)`; when that fails with EADDRINUSE because
 * `path` is a stale socket file (a connect to it is refused), removes the file and listens again.
 * @throws SystemError EADDRINUSE, with a message saying why, when another server holds the lock or
 *   answers at `path`, or the file there is not a socket; EACCES when the socket file there may
 *   not be probed; what `EchoServer.listen` throws otherwise.
 */
export function listenExclusive(path: string, options: EchoServerOptions, logger: Logger | null): ClaimedServer {
  if (path.startsWith("\0")) return { server: EchoServer.listen(path, options), release: () => {} };
  const lock = lockBeside(path);
  try {
    return { server: listenReplacingStale(path, options, logger), release: lock };
  } catch (error) {
    lock();
    throw error;
  }
}

function listenReplacingStale(path: string, options: EchoServerOptions, logger: Logger | null): EchoServer {
  try {
    return EchoServer.listen(path, options);
  } catch (error) {
    if (!(error instanceof SystemError && error.code === "EADDRINUSE")) throw error;
    if (!isSocketFile(path)) throw new SystemError("EADDRINUSE", "bind", "a file that is not a socket is in the way", path);
    const probe = probeSocket(path);
    if (probe === "EACCES") {
      throw new SystemError("EACCES", "connect", "permission denied: the socket file there is not ours to probe or replace", path);
    }
    if (probe !== "ECONNREFUSED") throw new SystemError("EADDRINUSE", "bind", "another server is listening there", path);
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

/** What a connect to `path` says: "ok" (a live server), or the error code (EAGAIN: live with a full backlog). */
function probeSocket(path: string): string {
  try {
    UnixSocket.connect(path, { nonblocking: true }).close();
    return "ok";
  } catch (error) {
    return error instanceof SystemError ? error.code : "unknown";
  }
}

/**
 * Takes the lock file `path.lock` (created with mode 600), locked with flock(LOCK_EX | LOCK_NB).
 * Returns its release. A lock file removed by its previous holder between our open and our lock
 * is not the one others will lock: then it is opened again.
 * @throws SystemError EADDRINUSE when another process holds it; EACCES and the like from open(2).
 */
function lockBeside(path: string): () => void {
  const lockPath = `${path}.lock`;
  const symbols = loadFlock();
  if (symbols === undefined) throw unsupportedError("flock");
  const how = constant("LOCK_EX") | constant("LOCK_NB");
  for (;;) {
    const fd = openSync(lockPath, "a", 0o600);
    let result: number;
    do result = symbols.flock(fd, how);
    while (result !== 0 && errno() === EINTR);
    if (result !== 0) {
      const code = errno();
      closeSync(fd);
      if (code === EWOULDBLOCK) {
        throw new SystemError("EADDRINUSE", "flock", "another bunix-echo is starting or running on this path (it holds the lock file)", lockPath);
      }
      throw SystemError.fromErrno(code, "flock", lockPath);
    }
    const held = fstatSync(fd);
    let current: ReturnType<typeof statSync> | undefined;
    try {
      current = statSync(lockPath);
    } catch {
      current = undefined;
    }
    if (current !== undefined && current.ino === held.ino && current.dev === held.dev) {
      let released = false;
      return () => {
        if (released) return;
        released = true;
        // Removed before unlocking: whoever opens the path afterwards gets a new file, and whoever
        // opened this one meanwhile sees it gone once it has the lock, and tries again.
        try {
          const now = statSync(lockPath);
          if (now.ino === held.ino && now.dev === held.dev) unlinkSync(lockPath);
        } catch {
          // Gone already.
        }
        closeSync(fd);
      };
    }
    closeSync(fd);
  }
}
