// A consumer program, run by test/package/run.sh against the packed tarball installed into a fresh
// project: as installed, after `bun build --target=bun`, and after `bun build --compile`. It waits
// asynchronously through each readiness mechanism it is given, and checks it left no descriptor.
//
// BUNIX_EVENT_LOOP=off makes it use the readiness thread instead of Bun's event loop; with
// BUNIX_LIBKQUEUE set it also waits on a kqueue through the libkqueue helper thread.
import { Interest, Poller, SystemError, platform, socketpair, type PollerOptions } from "bunix";
import { countOpenFds } from "bunix/testing";

/** One round trip through `waitAsync`: a message sent 20 ms later wakes the wait. */
async function roundTrip(label: string, options: PollerOptions): Promise<void> {
  const [a, b] = socketpair("stream", { nonblocking: true });
  using poller = new Poller<string>(options);
  poller.add(b.fd, Interest.READABLE, "b");
  setTimeout(() => a.send(new TextEncoder().encode("ping")), 20);
  const events = await poller.waitAsync(5000);
  if (events.length !== 1 || events.data(0) !== "b") throw new Error(`${label}: expected one event for b, got ${events.length}`);
  const received = b.recv(16);
  const text = new TextDecoder().decode(received?.data);
  if (text !== "ping") throw new Error(`${label}: received '${text}'`);
  a.close();
  b.close();
  console.log(`${label}: ok`);
}

/** Two round trips: the second must leave no more descriptors open than the first left. */
async function check(label: string, options: PollerOptions): Promise<void> {
  await roundTrip(label, options);
  // The helper threads linger briefly after the last wait; their descriptors go with them.
  // (libkqueue keeps a few descriptors of its own from its first use on: hence the first trip.)
  await Bun.sleep(300);
  const settled = countOpenFds();
  await roundTrip(label, options);
  await Bun.sleep(300);
  const after = countOpenFds();
  if (after > settled) throw new Error(`${label}: descriptors left open: ${after - settled}`);
}

try {
  await check(`waitAsync (${platform.backend}, event loop ${process.env.BUNIX_EVENT_LOOP === "off" ? "off" : "on"})`, {});
  const library = process.env.BUNIX_LIBKQUEUE;
  if (library !== undefined && library !== "") await check("waitAsync (kqueue through libkqueue)", { backend: "kqueue", library });
} catch (error) {
  // Every failure of a wait is a SystemError with a code; the runner checks this line too.
  console.log(`failed: ${error instanceof SystemError ? `SystemError ${error.code}` : `not a SystemError: ${String(error)}`}`);
  console.error(error);
  process.exit(1);
}
console.log("done");
