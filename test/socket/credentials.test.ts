import { expect, test } from "bun:test";
import { fileURLToPath } from "node:url";
import { SystemError } from "../../src/index.ts";
import { UnixListener, UnixSocket, socketpair } from "../../src/socket/index.ts";
import { bunCommand } from "../helpers/env.ts";
import { socketDir } from "../helpers/socket-paths.ts";
import { acceptWithin, recvText } from "../helpers/socket-wait.ts";

const path = socketDir("bunix-cred-");
const connectChild = fileURLToPath(new URL("./fixtures/connect-child.ts", import.meta.url));

test("both ends of a socketpair report this process: pid, uid, gid", () => {
  const [a, b] = socketpair("stream");
  try {
    for (const end of [a, b]) {
      expect(end.peerCredentials()).toEqual({ pid: process.pid, uid: process.getuid!(), gid: process.getgid!() });
    }
  } finally {
    a.close();
    b.close();
  }
});

test("an accepted connection from a child reports the child's pid", async () => {
  using server = UnixListener.bind(path("cred.sock"));
  const child = Bun.spawn(bunCommand(connectChild, server.path), { stdout: "pipe", stderr: "pipe" });
  try {
    using conn = await acceptWithin(server);
    const reported = Number(await recvText(conn));
    expect(reported).toBe(child.pid);
    expect(conn.peerCredentials()).toEqual({ pid: child.pid, uid: process.getuid!(), gid: process.getgid!() });
    conn.close();
    expect(await child.exited).toBe(0);
  } finally {
    child.kill();
    await child.exited;
    await new Response(child.stdout).text();
    await new Response(child.stderr).text();
  }
});

test("a client's view of the listener's process is this process", () => {
  using server = UnixListener.bind(path("self.sock"));
  using client = UnixSocket.connect(server.path);
  using conn = server.accept()!;
  expect(client.peerCredentials().pid).toBe(process.pid);
  expect(conn.peerCredentials().pid).toBe(process.pid);
});

test("peerCredentials on a closed socket is EBADF", () => {
  const [a, b] = socketpair("dgram");
  a.close();
  b.close();
  let caught: unknown;
  try {
    a.peerCredentials();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(SystemError);
  expect((caught as SystemError).code).toBe("EBADF");
});
