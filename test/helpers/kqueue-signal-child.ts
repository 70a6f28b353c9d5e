/**
 * Run as a child by test/kqueue/signal.test.ts, under `env --block-signal=SIGUSR1`, so that every
 * Bun thread starts with SIGUSR1 blocked and libkqueue's signalfd sees the signals
 * (docs/design/libkqueue.md §7). Registers EVFILT_SIGNAL for SIGUSR1, sends itself the signal
 * twice, waits, and prints what it got as JSON.
 * @module
 */
import { constants } from "node:os";
import { EventFilter, EventFlags, Kqueue } from "../../src/kqueue/kqueue.ts";

const library = process.env.BUNIX_LIBKQUEUE;
const signal = constants.signals.SIGUSR1;
using kq = new Kqueue<string>(library === undefined ? {} : { library });
kq.register(signal, EventFilter.Signal, EventFlags.ADD, "usr1");
process.kill(process.pid, "SIGUSR1");
process.kill(process.pid, "SIGUSR1");
Bun.sleepSync(50);
const events = kq.wait(2000).toArray();
kq.unregister(signal, EventFilter.Signal);
console.log(JSON.stringify({ signal, events }));
