/**
 * The Bun-native framed echo server as a process (the server an application would write on
 * `Bun.listen`, with the same framing and 16 MiB limit as `bunix-echo`), for ipc-roundtrip's
 * two-process rows and echo-load's reference:
 *
 *     bun bench/ipc/native-echo-child.ts PATH
 *
 * Serves until SIGTERM, then removes PATH.
 *
 * @module
 */
import { rmSync } from "node:fs";
import { nativeEchoServer } from "./native-side.ts";

const path = process.argv[2];
if (path === undefined) throw new Error("usage: native-echo-child.ts PATH");
const server = nativeEchoServer(path);
process.on("SIGTERM", () => {
  server.stop();
  rmSync(path, { force: true });
  process.exit(0);
});
