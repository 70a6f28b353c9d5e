#!/usr/bin/env bun
/**
 * Reading a serial port with `watchFd`: line-oriented records (NMEA sentences, as a GPS receiver
 * sends them) read on Bun's event loop as they arrive, with no wait loop and no thread.
 *
 *     bun examples/serial-port.ts /dev/ttyUSB0          # a real port: prints each line
 *     bun examples/serial-port.ts --records 1000        # no port: a pty stands in, fed at 1 kHz
 *
 * A real port is opened as any serial program opens it (read-write, no controlling terminal,
 * nonblocking); set its speed and raw mode first, for example `stty -F /dev/ttyUSB0 115200 raw
 * -echo`. Without a port, a pseudo-terminal pair in raw mode plays the part: its device side is
 * opened by path exactly like a port, and a simulated receiver writes numbered sentences into the
 * other side once a millisecond. The run then ends after `--records` sentences and prints one JSON
 * line: how many arrived, how many were missing or out of order, and how the event loop's own
 * 10 ms timer kept time meanwhile.
 *
 * @module
 */
import { closeSync, constants, openSync, readSync, writeSync } from "node:fs";
import { openPty } from "../src/testing/index.ts";
import { watchFd } from "../src/watch/index.ts";

/** Splits a byte stream into lines and hands each whole line on; a partial one waits for the rest. */
class LineReader {
  #pending = "";
  readonly #decoder = new TextDecoder();

  constructor(private readonly onLine: (line: string) => void) {}

  push(bytes: Uint8Array): void {
    const lines = (this.#pending + this.#decoder.decode(bytes, { stream: true })).split("\n");
    this.#pending = lines.pop()!;
    for (const line of lines) this.onLine(line.replace(/\r$/, ""));
  }
}

/** Opens a serial device the way serial programs do: read-write, not as a controlling terminal, nonblocking. */
function openPort(path: string): number {
  return openSync(path, constants.O_RDWR | constants.O_NOCTTY | constants.O_NONBLOCK);
}

/**
 * Watches `port` and hands every line to `onLine` until `stop()` is called or the port hangs up.
 * Returns `stop`.
 */
function readLines(port: number, onLine: (line: string) => void, onEnd: (reason: string) => void): () => void {
  const buffer = new Uint8Array(4096);
  const lines = new LineReader(onLine);
  const watch = watchFd(port, { readable: true }, ({ readable, hangup, error }) => {
    // Read what is there; the next turn of the event loop calls again if more is waiting.
    if (readable) {
      try {
        const n = readSync(port, buffer);
        if (n > 0) lines.push(buffer.subarray(0, n));
      } catch (cause) {
        // EAGAIN: another reader took it first; EIO: the other side of a pty is gone.
        if ((cause as NodeJS.ErrnoException).code !== "EAGAIN") return finish(`read failed: ${(cause as Error).message}`);
      }
    }
    if (hangup || error) finish(hangup ? "the port hung up" : "the port reported an error");
  });
  const finish = (reason: string) => {
    if (watch.closed) return;
    watch.close();
    onEnd(reason);
  };
  return () => finish("stopped");
}

/** Sentence `n` of the simulated receiver, with its NMEA checksum. */
function sentence(n: number): string {
  const body = `GPGGA,${n},4807.038,N,01131.000,E`;
  let checksum = 0;
  for (let i = 0; i < body.length; i++) checksum ^= body.charCodeAt(i);
  return `$${body}*${checksum.toString(16).padStart(2, "0").toUpperCase()}\r\n`;
}

async function simulate(records: number): Promise<void> {
  const pty = openPty();
  // Open the device side by its path, as a program would open /dev/ttyUSB0.
  const port = pty.path === null ? pty.device : openPort(pty.path);
  let received = 0;
  let missing = 0;
  let outOfOrder = 0;
  let expected = 0;
  const gaps: number[] = [];
  let last = performance.now();
  const clock = setInterval(() => {
    const now = performance.now();
    gaps.push(now - last);
    last = now;
  }, 10);
  const done = Promise.withResolvers<string>();
  const stop = readLines(
    port,
    (line) => {
      const n = Number(line.split(",")[1]);
      received++;
      if (n > expected) missing += n - expected;
      if (n < expected) outOfOrder++;
      expected = Math.max(expected, n + 1);
      if (received === records) done.resolve("all records read");
    },
    (reason) => done.resolve(reason),
  );
  let sent = 0;
  const feeder = setInterval(() => {
    if (sent < records) writeSync(pty.controller, sentence(sent++));
  }, 1);
  const started = performance.now();
  const reason = await done.promise;
  const elapsedMs = performance.now() - started;
  clearInterval(feeder);
  clearInterval(clock);
  stop();
  if (port !== pty.device) closeSync(port);
  closeSync(pty.device);
  closeSync(pty.controller);
  gaps.sort((a, b) => a - b);
  const median = gaps[Math.floor(gaps.length / 2)] ?? 0;
  console.log(JSON.stringify({ reason, records: received, missing, outOfOrder, elapsedMs: Math.round(elapsedMs), timerMedianGapMs: Number(median.toFixed(2)) }));
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const recordsFlag = args.indexOf("--records");
  const records = recordsFlag >= 0 ? Number(args[recordsFlag + 1]) : 1000;
  const device = args.find((arg, i) => !arg.startsWith("--") && args[i - 1] !== "--records");
  if (device === undefined) {
    if (!Number.isInteger(records) || records < 1) throw new RangeError(`--records takes a positive integer, not ${args[recordsFlag + 1]}`);
    await simulate(records);
    return;
  }
  const port = openPort(device);
  const stop = readLines(port, (line) => console.log(line), (reason) => {
    console.error(`${device}: ${reason}`);
    closeSync(port);
  });
  process.once("SIGINT", stop);
}

await main();
