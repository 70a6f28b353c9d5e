/**
 * echo-load's Bun reference: the framed echo server an application would write on `Bun.listen`,
 * with the same framing and the same 16 MiB limit as `bunix-echo` (a client announcing more is
 * dropped after its whole frames are echoed):
 *
 *     bun bench/ipc/bun-listen-echo.ts PATH
 *
 * Serves until SIGTERM, then removes PATH.
 *
 * @module
 */
import { rmSync } from "node:fs";
import { FrameReader, Writer } from "./frames.ts";

const MAX_MESSAGE_SIZE = 16 * 1024 * 1024;
const path = process.argv[2];
if (path === undefined) throw new Error("usage: bun-listen-echo.ts PATH");

interface Connection {
  readonly reader: FrameReader;
  readonly writer: Writer;
}

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
process.on("SIGTERM", () => {
  server.stop(true);
  rmSync(path, { force: true });
  process.exit(0);
});
