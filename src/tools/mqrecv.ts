#!/usr/bin/env bun
/**
 * `mqrecv`: receives one message (or N) from a POSIX message queue and prints it.
 *
 *     mqrecv [-n|--nonblock] [-t|--timeout MS] [--count N] [--priority] [--raw] NAME
 *     mqrecv --unlink NAME
 *
 * @module
 */
import { parseArgs } from "node:util";
import { MsgQueue, type MsgQueueMessage } from "../mqueue/msg-queue.ts";
import { Exit, UsageError, parseInteger, runTool } from "./cli.ts";

const HELP = `Usage: mqrecv [options] NAME
       mqrecv --unlink NAME

Receive one message (or N) from the POSIX message queue NAME (a '/' and a name, such as
/jobs), highest priority first, and print each as text followed by a newline. Text is
the message decoded as UTF-8, less the NUL bytes a C sender may leave at its end.

Options:
  -n, --nonblock       do not wait: take only what is queued now
  -t, --timeout MS     wait at most MS milliseconds in all (default: wait for as long
                       as it takes)
      --count N        receive N messages (default 1)
      --priority       print PRIO<TAB>TEXT
      --raw            write each message's bytes untouched, with nothing added
      --unlink         remove the queue NAME instead (its messages go with it, once
                       no process has it open): how a queue 'mqsend -c' made goes away
  -h, --help           show this help
      --version        show the version

Exit status: 0 all received, 1 fewer than asked for (queue empty or timed out),
2 usage error, 3 system error.
`;

const INT32_MAX = 0x7fffffff;
const decoder = new TextDecoder();
const encoder = new TextEncoder();

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      nonblock: { type: "boolean", short: "n" },
      timeout: { type: "string", short: "t" },
      count: { type: "string" },
      priority: { type: "boolean" },
      raw: { type: "boolean" },
      unlink: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return Exit.ok;
  }
  if (positionals.length !== 1) throw new UsageError(`expected one NAME, got ${positionals.length} argument(s)`);
  if (values.unlink) {
    const others = (["nonblock", "timeout", "count", "priority", "raw"] as const).filter((option) => values[option] !== undefined);
    if (others.length > 0) throw new UsageError(`--unlink takes no other option (got --${others.join(", --")})`);
    MsgQueue.unlink(positionals[0]!);
    return Exit.ok;
  }
  if (values.nonblock && values.timeout !== undefined) throw new UsageError("--nonblock and --timeout exclude each other");
  if (values.raw && values.priority) throw new UsageError("--raw writes the bytes alone: it excludes --priority");
  const name = positionals[0]!;
  const count = values.count === undefined ? 1 : parseInteger(values.count, "--count", 1, INT32_MAX);
  const timeout = values.timeout === undefined ? undefined : parseInteger(values.timeout, "--timeout", 0, INT32_MAX);

  using queue = MsgQueue.open(name, { write: false, nonblocking: values.nonblock === true });
  // One deadline for all N messages: --timeout bounds the whole run.
  const deadline = timeout === undefined ? undefined : performance.now() + timeout;
  for (let received = 0; received < count; received++) {
    const message =
      deadline === undefined ? queue.receive() : queue.timedReceive(Math.max(0, deadline - performance.now()));
    if (message === null) return Exit.short;
    await Bun.write(Bun.stdout, format(message, values.raw === true, values.priority === true));
  }
  return Exit.ok;
}

function format(message: MsgQueueMessage, raw: boolean, priority: boolean): Uint8Array {
  if (raw) return message.data;
  let end = message.data.length;
  while (end > 0 && message.data[end - 1] === 0) end--;
  const text = decoder.decode(message.data.subarray(0, end));
  return encoder.encode(priority ? `${message.priority}\t${text}\n` : `${text}\n`);
}

void runTool("mqrecv", main);
