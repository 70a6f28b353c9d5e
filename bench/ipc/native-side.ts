/**
 * The Bun-native side of ipc-roundtrip: a `Bun.listen` echo server and a `Bun.connect` client on a
 * Unix socket path, both doing the same framing as bunix (4-byte big-endian length, payload), one
 * message in flight.
 *
 * @module
 */
import { FrameReader, Writer, frame } from "./frames.ts";
import { RoundTripTimer, type RoundTripRun, checkEcho } from "./round-trip-timing.ts";

interface Connection {
  readonly reader: FrameReader;
  readonly writer: Writer;
}

/** The limit of the native echo server, as `bunix-echo`'s default. */
const MAX_MESSAGE_SIZE = 16 * 1024 * 1024;

/**
 * A framed echo server on `path`: every whole frame is written back as it came; a client that
 * announces more than 16 MiB, as `bunix-echo` would refuse, is dropped after its whole frames.
 */
export function nativeEchoServer(path: string): { stop(): void } {
  const server = Bun.listen<Connection>({
    unix: path,
    socket: {
      open(socket) {
        socket.data = { reader: new FrameReader(), writer: new Writer() };
      },
      data(socket, chunk) {
        const { reader, writer } = socket.data;
        if (!reader.push(chunk, (bytes) => writer.write(socket, bytes), MAX_MESSAGE_SIZE)) socket.end();
      },
      drain(socket) {
        socket.data.writer.drain(socket);
      },
    },
  });
  return { stop: () => server.stop(true) };
}

/** `count` timed round trips of `payload` (after `warmup`) from a `Bun.connect` client to the server at `path`. */
export async function nativeRoundTrips(path: string, payload: Uint8Array, count: number, warmup: number): Promise<RoundTripRun> {
  const message = frame(payload);
  const timer = new RoundTripTimer(count, warmup);
  const reader = new FrameReader();
  const writer = new Writer();
  let done!: () => void;
  let failed!: (error: unknown) => void;
  const finished = new Promise<void>((resolve, reject) => {
    done = resolve;
    failed = reject;
  });
  const client = await Bun.connect({
    unix: path,
    socket: {
      data(socket, chunk) {
        try {
          reader.push(chunk, (echo) => {
            checkEcho(echo, payload, 4);
            timer.received();
            if (timer.finished) return done();
            timer.sending();
            writer.write(socket, message);
          });
        } catch (error) {
          failed(error);
        }
      },
      drain(socket) {
        writer.drain(socket);
      },
      error(_socket, error) {
        failed(error);
      },
      close() {
        failed(new Error("ipc-roundtrip: the native server closed the connection"));
      },
    },
  });
  try {
    timer.sending();
    writer.write(client, message);
    await finished;
    return timer.result();
  } finally {
    client.end();
  }
}
