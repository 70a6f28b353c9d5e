import { expect, test } from "bun:test";
import { closeSync } from "node:fs";
import { socketpair } from "../../src/socket/index.ts";
import { isOpen, openFileWith } from "../helpers/socket-fds.ts";
import { socketDir } from "../helpers/socket-paths.ts";
import { recvWithin } from "../helpers/socket-wait.ts";

const path = socketDir("bunix-interop-");

test("a received descriptor can be read with Bun.file(fd), and stays ours to close", async () => {
  const [a, b] = socketpair("seqpacket");
  const file = openFileWith(path("for-bun.txt"), "read by Bun.file");
  try {
    a.send("f", { fds: [file] });
    const [received] = b.recv(4, { maxFds: 1 })!.fds;
    expect(await Bun.file(received!).text()).toBe("read by Bun.file");
    // Bun.file(fd) does not take ownership: the descriptor is still open, and closing it is ours.
    expect(isOpen(received!)).toBe(true);
    closeSync(received!);
  } finally {
    closeSync(file);
    a.close();
    b.close();
  }
});

/** `Bun.connect({ fd })` works on Bun 1.4.5 but is missing from its `connect` typings. */
const connectFd = Bun.connect as unknown as (options: { fd: number; socket: Bun.SocketHandler<undefined> }) => Promise<Bun.Socket<undefined>>;

test("detach() hands a connected stream socket to Bun.connect({ fd }), which then owns it", async () => {
  const [mine, theirs] = socketpair("stream");
  const received: string[] = [];
  const closed = Promise.withResolvers<void>();
  const handedOver = mine.detach();
  expect(mine.closed).toBe(true);
  expect(isOpen(handedOver)).toBe(true);
  const bunSocket = await connectFd({
    fd: handedOver,
    socket: {
      data(_socket, bytes) {
        received.push(new TextDecoder().decode(bytes));
      },
      close() {
        closed.resolve();
      },
    },
  });
  try {
    theirs.send("to Bun's loop");
    for (let i = 0; i < 500 && received.length === 0; i++) await Bun.sleep(2);
    expect(received.join("")).toBe("to Bun's loop");

    bunSocket.write("from Bun's loop");
    expect(new TextDecoder().decode((await recvWithin(theirs, 64)).data)).toBe("from Bun's loop");

    bunSocket.end();
    expect((await recvWithin(theirs, 64)).bytes).toBe(0);
  } finally {
    theirs.close();
    await closed.promise;
  }
  // Bun closed the descriptor it was given.
  expect(isOpen(handedOver)).toBe(false);
});
