#!/usr/bin/env bun
/**
 * `mqsend`: sends one message to a POSIX message queue.
 *
 *     mqsend [-p PRIO] [-c|--create [-m MAXMSG] [-s MSGSIZE]] NAME MESSAGE
 *
 * @module
 */
import { parseArgs } from "node:util";
import { SystemError } from "../core/errors.ts";
import { MsgQueue } from "../mqueue/msg-queue.ts";
import { Exit, UsageError, parseInteger, runTool } from "./cli.ts";

const HELP = `Usage: mqsend [options] NAME MESSAGE

Send MESSAGE to the POSIX message queue NAME (a '/' and a name, such as /jobs).
MESSAGE '-' sends all of standard input, bytes untouched (a trailing newline included).
Waits while the queue is full. Put '--' before a MESSAGE that starts with '-'.

Options:
  -p, --priority PRIO      the message's priority, from 0 (the default) to MQ_PRIO_MAX-1
                           (32767 on Linux); higher priorities are received first
  -c, --create             create the queue if it does not exist (mode 0600)
  -m, --max-messages N     with --create: how many messages the queue holds
  -s, --message-size N     with --create: the longest message, in bytes
                           (either left out: the system's default; an existing queue
                           keeps its own sizes)
  -h, --help               show this help
      --version            show the version

A queue made with --create stays until it is removed: 'mqrecv --unlink NAME'.

Exit status: 0 sent, 2 usage error, 3 system error.
`;

const INT32_MAX = 0x7fffffff;

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      priority: { type: "string", short: "p" },
      create: { type: "boolean", short: "c" },
      "max-messages": { type: "string", short: "m" },
      "message-size": { type: "string", short: "s" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return Exit.ok;
  }
  if (positionals.length !== 2) throw new UsageError(`expected NAME and MESSAGE, got ${positionals.length} argument(s)`);
  const [name, text] = positionals as [string, string];
  const priority = values.priority === undefined ? 0 : parseInteger(values.priority, "--priority", 0, 0xffffffff);
  const maxMessages = values["max-messages"];
  const messageSize = values["message-size"];
  if (!values.create && (maxMessages !== undefined || messageSize !== undefined)) {
    throw new UsageError("--max-messages and --message-size need --create");
  }
  const message = text === "-" ? await Bun.stdin.bytes() : text;

  using queue = values.create
    ? MsgQueue.create(name, {
        read: false,
        maxMessages: maxMessages === undefined ? undefined : parseInteger(maxMessages, "--max-messages", 1, INT32_MAX),
        messageSize: messageSize === undefined ? undefined : parseInteger(messageSize, "--message-size", 1, INT32_MAX),
      })
    : openExisting(name);
  queue.send(message, priority);
  return Exit.ok;
}

/** Opens NAME for sending; a queue that does not exist gets the hint to create it with -c. */
function openExisting(name: string): MsgQueue {
  try {
    return MsgQueue.open(name, { read: false });
  } catch (error) {
    if (error instanceof SystemError && error.code === "ENOENT") {
      throw new SystemError("ENOENT", error.syscall, "no such queue (add -c to create it)", name);
    }
    throw error;
  }
}

void runTool("mqsend", main);
