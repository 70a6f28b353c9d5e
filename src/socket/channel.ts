/**
 * A socket channel between a parent and a child process: `spawnWithChannel` in the parent,
 * `childChannel` in the child.
 *
 * This is the safe replacement for `fork()` plus `socketpair()`: forking a multi-threaded JS
 * runtime is not supported, so the child is a fresh process started by `Bun.spawn`, which
 * installs one end of a stream socketpair as the child's descriptor 3 (the 4th `stdio` entry).
 * Descriptors can then travel both ways with `send(…, { fds })`.
 *
 * @module
 */
import { SystemError, invalidType, invalidValue } from "../core/errors.ts";
import { validateOptions } from "../core/validate.ts";
import { socketpair } from "./socketpair.ts";
import { adoptSocket, type UnixSocket } from "./unix-socket.ts";

/** The child's descriptor number for its end of the channel. */
export const CHANNEL_FD = 3;

/** What {@link spawnWithChannel} returns. */
export interface SpawnedWithChannel<In extends Bun.Spawn.Writable, Out extends Bun.Spawn.Readable, Err extends Bun.Spawn.Readable> {
  /** The child, as `Bun.spawn` returns it. */
  readonly process: Bun.Subprocess<In, Out, Err>;
  /** The parent's end of the channel: a blocking, close-on-exec stream socket. */
  readonly channel: UnixSocket;
}

/**
 * socketpair(2) + `Bun.spawn`: starts `cmd` with one end of a stream socketpair as its descriptor
 * 3, and returns the child with the other end. The parent's copy of the child's end is closed
 * once the child has started, so the parent's `recv` reads the end of the stream (`bytes: 0`)
 * when the child exits or closes its end.
 *
 * Takes `Bun.spawn`'s options (`env`, `cwd`, `stdin`, `stdout`, `stderr`, `stdio`, `onExit`, …)
 * except what would use descriptor 3: `stdio[3]` must be left empty (entries after it are
 * passed on), and `ipc` is refused because Bun puts its IPC channel at descriptor 3 as well.
 * The child calls {@link childChannel} to get its end.
 *
 * The parent made the socketpair, so `peerCredentials()` on either end names the parent, not the
 * child: the child's pid is `process.pid` of the result.
 *
 * @param cmd - the command and its arguments, as for `Bun.spawn`.
 * @throws TypeError for a bad `cmd` or options, or options that use descriptor 3.
 * @throws SystemError from socketpair (EMFILE), or what `Bun.spawn` throws (ENOENT for an
 *   unknown command); nothing is left open then.
 * @example
 * ```ts
 * import { spawnWithChannel } from "bunix";
 * const { process: child, channel } = spawnWithChannel([process.execPath, "worker.ts"], { stdout: "inherit" });
 * channel.send("job 1");
 * const reply = channel.recv(1024)!;   // blocks until the child answers
 * channel.close();
 * await child.exited;
 * ```
 */
export function spawnWithChannel<
  const In extends Bun.Spawn.Writable = "ignore",
  const Out extends Bun.Spawn.Readable = "pipe",
  const Err extends Bun.Spawn.Readable = "inherit",
>(cmd: string[], options?: Bun.Spawn.SpawnOptions<In, Out, Err>): SpawnedWithChannel<In, Out, Err> {
  if (!Array.isArray(cmd) || cmd.length === 0 || cmd.some((part) => typeof part !== "string")) {
    throw invalidType("cmd", "a non-empty array of strings", cmd);
  }
  const opts = validateOptions(options);
  if ("ipc" in opts && opts.ipc !== undefined) {
    throw invalidValue("options.ipc", "cannot be used: Bun's IPC channel and spawnWithChannel's both take descriptor 3", opts.ipc);
  }
  const given = opts.stdio;
  if (given !== undefined && !Array.isArray(given)) throw invalidType("options.stdio", "an array", given);
  if (given !== undefined && given[3] !== undefined) {
    throw invalidValue("options.stdio", "must leave index 3 empty: spawnWithChannel passes the channel there", given);
  }
  // stdio, when given, overrides stdin/stdout/stderr (as in Bun.spawn); undefined means Bun's default.
  const standard = given !== undefined ? [given[0], given[1], given[2]] : [opts.stdin, opts.stdout, opts.stderr];
  const [channel, childEnd] = socketpair("stream");
  try {
    const stdio = [...standard, childEnd.fd, ...(given?.slice(4) ?? [])] as unknown as [In, Out, Err, number];
    const child = Bun.spawn<In, Out, Err>(cmd, { ...opts, stdio } as Bun.Spawn.SpawnOptions<In, Out, Err>);
    return { process: child, channel };
  } catch (error) {
    channel.close();
    throw error;
  } finally {
    // The child has its own copy now (or never started); the parent's must go, or the parent
    // would never see the end of the stream.
    childEnd.close();
  }
}

let claimed: UnixSocket | undefined;

/**
 * In a child started by {@link spawnWithChannel}: its end of the channel, descriptor 3, as a
 * blocking, close-on-exec {@link UnixSocket}. Later calls return the same socket while it is open.
 *
 * @throws SystemError EBADF when descriptor 3 is not open or the channel was closed, ENOTSOCK or
 *   EINVAL when it is not a connected Unix-domain socket: the process was not started with
 *   `spawnWithChannel`.
 * @example
 * ```ts
 * // worker.ts, started with spawnWithChannel
 * import { childChannel } from "bunix";
 * using channel = childChannel();
 * const job = channel.recv(1024)!;
 * channel.send(`done: ${new TextDecoder().decode(job.data)}`);
 * ```
 */
export function childChannel(): UnixSocket {
  if (claimed !== undefined) {
    if (!claimed.closed) return claimed;
    throw new SystemError("EBADF", "childChannel", "the channel (fd 3) was already closed");
  }
  try {
    claimed = adoptSocket(CHANNEL_FD, "childChannel");
  } catch (error) {
    if (error instanceof SystemError && ["EBADF", "ENOTSOCK", "EINVAL"].includes(error.code)) {
      const what = { EBADF: "is not open", ENOTSOCK: "is not a socket", EINVAL: "is not a connected Unix-domain socket" }[error.code];
      throw new SystemError(error.code, "childChannel", `fd ${CHANNEL_FD} ${what} (start this process with spawnWithChannel)`);
    }
    throw error;
  }
  return claimed;
}
