// One table of bad values against every public entry point, argument by argument: each must be
// refused with a TypeError or RangeError that names the argument (before any system call), or be
// one the argument really takes (listed per argument, and then not called: a timeout of Infinity
// would wait forever). Engine errors ("Cannot convert a symbol to a number", "BigInt does not
// support >>> operator", "No default value") and silent defaults (`mode: null` taken as 0600) fail.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  EchoServer,
  Epoll,
  EpollFlags,
  EventFd,
  FrameDecoder,
  FramedConnection,
  Interest,
  IpcClient,
  Kqueue,
  MsgQueue,
  PidFd,
  Poller,
  TimerFd,
  UnixListener,
  UnixSocket,
  Waker,
  encodeFrame,
  platform,
  setLogger,
  socketpair,
} from "../../src/index.ts";
import { EventFilter, EventFlags } from "../../src/kevent/constants.ts";
import { installFdLeakGuard } from "../../src/testing/index.ts";
import { kqueueOptions } from "../helpers/kqueue-env.ts";

/** The values every argument meets. */
const BAD: readonly unknown[] = [null, undefined, "1", {}, Object.create(null), Symbol("bad"), 10n, -0, NaN, Infinity, -Infinity, 1.5, 2 ** 53];

function show(value: unknown): string {
  if (typeof value === "symbol") return "Symbol";
  if (typeof value === "bigint") return `${value}n`;
  if (Object.is(value, -0)) return "-0";
  if (typeof value === "string") return JSON.stringify(value);
  if (value !== null && typeof value === "object") return Object.getPrototypeOf(value) === null ? "Object.create(null)" : "{}";
  return String(value);
}

/** Which of the bad values an argument takes as valid. */
type Accepts = (value: unknown) => boolean;
const none: Accepts = () => false;
const optional: Accepts = (v) => v === undefined;
/** An integer where 0 is valid: -0 is 0. */
const zero: Accepts = (v) => Object.is(v, -0);
const optionalZero: Accepts = (v) => optional(v) || zero(v);
/** A timeout: omitted or Infinity waits forever, -0 polls, fractions round up, any size is a wait. */
const timeout: Accepts = (v) => v === undefined || Object.is(v, -0) || v === Infinity || v === 1.5 || v === 2 ** 53;
/** A string argument: any string has the right type (its content is the kernel's business). */
const text: Accepts = (v) => typeof v === "string";
/** A duration in ms where fractions are kept: 0, fractions. */
const duration: Accepts = (v) => zero(v) || v === 1.5;

/** One argument of an entry point: its name as errors spell it, and what it takes. */
interface Argument {
  readonly name: string;
  readonly accepts: Accepts;
}

/** An entry point: good arguments, and a call that makes its own objects and closes them. */
interface Entry {
  readonly name: string;
  readonly args: readonly Argument[];
  readonly good: readonly unknown[];
  readonly call: (...args: any[]) => unknown;
}

const arg = (name: string, accepts: Accepts): Argument => ({ name, accepts });

/** A "good" argument for entries whose only sensible good call is none at all (checked by the call). */
const NO_CALL = Symbol("no call");

const dir = mkdtempSync(join(tmpdir(), "bunix-bad-args-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let pathCount = 0;
const freshPath = () => join(dir, `s${pathCount++}`);

/** A socketpair's first end, for calls that need an open descriptor; closed with the pair. */
function withPair<R>(run: (a: UnixSocket, b: UnixSocket) => R): R {
  const [a, b] = socketpair("stream", { nonblocking: true });
  try {
    return run(a, b);
  } finally {
    a.close();
    b.close();
  }
}

/** An option argument: `{ [key]: value }` passed where `call` puts it. */
function option(entry: string, key: string, accepts: Accepts, call: (options: object) => unknown): Entry {
  return { name: `${entry} options.${key}`, args: [arg(`options.${key}`, accepts)], good: [undefined], call: (value) => call({ [key]: value }) };
}

/** What Epoll and Poller share: add, modify and delete of a descriptor. */
interface FdWatcher extends Disposable {
  add(fd: number, mask: number): void;
  modify(fd: number, mask: number): void;
  delete(fd: number): void;
}

/**
 * `add(fd, mask)`, `modify(fd, mask)` and `delete(fd)` of a watcher, on one end of a fresh
 * socketpair (the good fd is -1, which stands for that end).
 */
function registrationEntries(kind: string, open: () => FdWatcher, mask: Argument, good: number): Entry[] {
  const fdArg = arg("fd", zero);
  const watching = (run: (watcher: FdWatcher, fd: number) => void) =>
    withPair((a) => {
      using watcher = open();
      run(watcher, a.fd);
    });
  return [
    { name: `${kind}.add`, args: [fdArg, mask], good: [-1, good], call: (fd, m) => watching((w, own) => w.add(fd === -1 ? own : fd, m)) },
    {
      name: `${kind}.modify`,
      args: [fdArg, mask],
      good: [-1, good],
      call: (fd, m) =>
        watching((w, own) => {
          w.add(own, good);
          w.modify(fd === -1 ? own : fd, m);
        }),
    },
    {
      name: `${kind}.delete`,
      args: [fdArg],
      good: [-1],
      call: (fd) =>
        watching((w, own) => {
          w.add(own, good);
          w.delete(fd === -1 ? own : fd);
        }),
    },
  ];
}

/**
 * The index accessors of a result list (`EpollEvents`, `KeventList`, `PollEvents`), on the empty
 * result of a `wait(0)`: every value of the table is a bad index there, -0 included.
 */
function accessorEntries(kind: string, methods: readonly string[], open: () => Disposable & { wait(ms: number): object }): Entry[] {
  return methods.map((method) => ({
    name: `${kind}.${method}`,
    args: [arg("index", none)],
    good: [NO_CALL],
    call: (i) => {
      using waiter = open();
      const result = waiter.wait(0) as Record<string, (i: unknown) => unknown>;
      if (i !== NO_CALL) result[method]!(i);
    },
  }));
}

const entries: Entry[] = [];

// ---- Epoll
if (platform.supports.epoll) {
  entries.push(
    option("new Epoll", "maxEvents", optional, (o) => new Epoll(o).close()),
    ...registrationEntries("Epoll", () => new Epoll(), arg("events", zero), EpollFlags.IN),
    { name: "Epoll.wait", args: [arg("timeoutMs", timeout)], good: [0], call: (ms) => { using ep = new Epoll(); ep.wait(ms); } },
    ...accessorEntries("EpollEvents", ["fd", "events", "data"], () => new Epoll()),
  );
}

// ---- Kqueue
if (kqueueOptions !== undefined) {
  const kq = () => new Kqueue<string>(kqueueOptions);
  const timerIdent = 2 ** 40;
  entries.push(
    option("new Kqueue", "maxEvents", optional, (o) => new Kqueue({ ...kqueueOptions, ...o }).close()),
    {
      name: "Kqueue.register",
      // A filter of 0 is an int16 like any other: the kernel refuses it (EINVAL), as it should.
      args: [arg("ident", zero), arg("filter", zero), arg("flags", zero), arg("udata", () => true), arg("fflags", optionalZero), arg("data", optionalZero)],
      good: [1, EventFilter.User, EventFlags.ADD, "u", 0, 0],
      call: (...args) => {
        using k = kq();
        k.register(...(args as Parameters<Kqueue<string>["register"]>));
      },
    },
    {
      name: "Kqueue.registerTimer",
      args: [arg("durationMs", duration), arg("flags", zero)],
      good: [1, EventFlags.ADD | EventFlags.ONESHOT],
      call: (ms, flags) => {
        using k = kq();
        k.registerTimer(ms, flags);
      },
    },
    {
      name: "Kqueue.unregister",
      args: [arg("ident", zero), arg("filter", zero)],
      good: [timerIdent, EventFilter.Timer],
      call: (ident, filter) => {
        using k = kq();
        k.register(timerIdent, EventFilter.Timer, EventFlags.ADD, "t", 0, 1000);
        try {
          k.unregister(ident, filter);
        } finally {
          if (ident !== timerIdent || filter !== EventFilter.Timer) k.unregister(timerIdent, EventFilter.Timer);
        }
      },
    },
    {
      name: "Kqueue.trigger",
      args: [arg("ident", zero), arg("fflags", optionalZero)],
      good: [1, 0],
      call: (ident, fflags) => {
        using k = kq();
        k.register(1, EventFilter.User, EventFlags.ADD, "u");
        k.trigger(ident, fflags);
      },
    },
    { name: "Kqueue.wait", args: [arg("timeoutMs", timeout)], good: [0], call: (ms) => { using k = kq(); k.wait(ms); } },
    ...accessorEntries("KeventList", ["ident", "filter", "flags", "fflags", "data", "udata"], kq),
  );
}

// ---- Poller
entries.push(
  option("new Poller", "maxEvents", optional, (o) => new Poller(o).close()),
  option("new Poller", "backend", optional, (o) => new Poller(o).close()),
  option("new Poller", "library", (v) => optional(v) || text(v), (o) => new Poller(o).close()),
  ...registrationEntries("Poller", () => new Poller(), arg("interest", none), Interest.READABLE),
  option("Poller.add", "mode", optional, (o) => withPair((a) => { using poller = new Poller(); poller.add(a.fd, Interest.READABLE, undefined, o); })),
  {
    name: "Poller.addTimer",
    args: [arg("ms", duration)],
    good: [1000],
    call: (ms) => {
      using poller = new Poller();
      poller.addTimer(ms).cancel();
    },
  },
  option("Poller.addTimer", "repeat", optional, (o) => { using poller = new Poller(); poller.addTimer(1000, o).cancel(); }),
  { name: "Poller.addProcess", args: [arg("pid", none)], good: [process.pid], call: (pid) => { using poller = new Poller(); poller.addProcess(pid); poller.deleteProcess(pid); } },
  { name: "Poller.deleteProcess", args: [arg("pid", none)], good: [process.pid], call: (pid) => { using poller = new Poller(); poller.addProcess(process.pid); poller.deleteProcess(pid); if (pid !== process.pid) poller.deleteProcess(process.pid); } },
  { name: "Poller.wait", args: [arg("timeoutMs", timeout)], good: [0], call: (ms) => { using poller = new Poller(); poller.wait(ms); } },
  ...accessorEntries("PollEvents", ["fd", "data", "readable", "writable", "hangup", "error", "priority"], () => new Poller()),
  { name: "Waker.from", args: [arg("transfer", none)], good: [NO_CALL], call: (t) => { if (t !== NO_CALL) Waker.from(t); } },
);

// ---- Event sources
if (platform.supports.eventfd) {
  entries.push(
    { name: "new EventFd", args: [arg("initial", optionalZero)], good: [0], call: (n) => new EventFd(n).close() },
    option("new EventFd", "semaphore", optional, (o) => new EventFd(0, o).close()),
    option("new EventFd", "nonblocking", optional, (o) => new EventFd(0, o).close()),
    // A bigint is a valid counter value, and so is any integer below 2^64 that a number holds exactly.
    { name: "EventFd.write", args: [arg("value", (v) => zero(v) || typeof v === "bigint" || v === 2 ** 53)], good: [1], call: (v) => { using e = new EventFd(0, { nonblocking: true }); e.write(v); } },
  );
}
if (platform.supports.timerfd) {
  entries.push(
    option("new TimerFd", "clock", optional, (o) => new TimerFd(o).close()),
    option("new TimerFd", "nonblocking", optional, (o) => new TimerFd(o).close()),
    { name: "TimerFd.now", args: [arg("clock", optional)], good: ["monotonic"], call: (c) => TimerFd.now(c) },
    {
      name: "TimerFd.set",
      args: [arg("initialMs", duration), arg("intervalMs", (v) => optional(v) || duration(v))],
      good: [1000, 0],
      call: (initial, interval) => {
        using t = new TimerFd();
        t.set(initial, interval);
      },
    },
    option("TimerFd.set", "absolute", optional, (o) => { using t = new TimerFd(); t.set(1000, 0, o); }),
  );
}
if (platform.supports.pidfd) {
  entries.push(
    { name: "PidFd.open", args: [arg("pid", none)], good: [process.pid], call: (pid) => PidFd.open(pid).close() },
    option("PidFd.open", "nonblocking", optional, (o) => PidFd.open(process.pid, o).close()),
    // Signal 0 only checks that the process exists.
    { name: "PidFd.sendSignal", args: [arg("signal", zero)], good: [0], call: (signal) => { using p = PidFd.open(process.pid); p.sendSignal(signal); } },
  );
}

// ---- Message queues
if (platform.supports.mqueue) {
  const queueName = `/bunix-bad-args-${process.pid}`;
  const withQueue = (run: (q: MsgQueue) => void) => {
    const q = MsgQueue.create(queueName, { maxMessages: 4, messageSize: 64, nonblocking: true });
    try {
      run(q);
    } finally {
      q.close();
      MsgQueue.unlink(queueName);
    }
  };
  const created = (o: object) => {
    MsgQueue.create(queueName, { maxMessages: 4, messageSize: 64, ...o }).close();
    MsgQueue.unlink(queueName);
  };
  entries.push(
    {
      name: "MsgQueue.create",
      args: [arg("name", text)],
      good: [queueName],
      call: (name) => {
        MsgQueue.create(name, { maxMessages: 4, messageSize: 64 }).close();
        MsgQueue.unlink(name);
      },
    },
    option("MsgQueue.create", "mode", optionalZero, created),
    ...["exclusive", "nonblocking", "read", "write"].map((key) => option("MsgQueue.create", key, optional, created)),
    // One size alone takes the other from the system's default; `null` is no size.
    option("MsgQueue.create", "maxMessages", optional, (o) => created({ messageSize: 64, ...o })),
    option("MsgQueue.create", "messageSize", optional, (o) => created({ maxMessages: 4, ...o })),
    ...["maxMessages", "messageSize"].map((key) =>
      option("MsgQueue.create (one size)", key, optional, (o) => {
        MsgQueue.create(queueName, o).close();
        MsgQueue.unlink(queueName);
      }),
    ),
    { name: "MsgQueue.open", args: [arg("name", text)], good: [queueName], call: (name) => withQueue(() => MsgQueue.open(name).close()) },
    ...["nonblocking", "read", "write"].map((key) => option("MsgQueue.open", key, optional, (o) => withQueue(() => MsgQueue.open(queueName, o).close()))),
    { name: "MsgQueue.unlink", args: [arg("name", text)], good: [NO_CALL], call: (name) => { if (name !== NO_CALL) MsgQueue.unlink(name); } },
    { name: "MsgQueue.send", args: [arg("message", text), arg("priority", optionalZero)], good: ["m", 0], call: (m, p) => withQueue((q) => q.send(m, p)) },
    {
      name: "MsgQueue.timedSend",
      args: [arg("message", text), arg("priority", zero), arg("timeoutMs", timeout)],
      good: ["m", 0, 0],
      call: (m, p, ms) => withQueue((q) => q.timedSend(m, p, ms)),
    },
    { name: "MsgQueue.receiveInto", args: [arg("buffer", none)], good: [new Uint8Array(64)], call: (b) => withQueue((q) => q.receiveInto(b)) },
    { name: "MsgQueue.timedReceive", args: [arg("timeoutMs", timeout)], good: [0], call: (ms) => withQueue((q) => q.timedReceive(ms)) },
    { name: "MsgQueue.setNonblocking", args: [arg("on", none)], good: [true], call: (on) => withQueue((q) => q.setNonblocking(on)) },
  );
}

// ---- Sockets
entries.push(
  { name: "socketpair", args: [arg("type", none)], good: ["stream"], call: (type) => socketpair(type).forEach((s) => s.close()) },
  option("socketpair", "nonblocking", optional, (o) => socketpair("stream", o).forEach((s) => s.close())),
  { name: "UnixSocket.connect", args: [arg("path", text)], good: [NO_CALL], call: (path) => { if (path !== NO_CALL) UnixSocket.connect(path).close(); } },
  { name: "UnixSocket.fromFd", args: [arg("fd", zero)], good: [NO_CALL], call: (fd) => { if (fd !== NO_CALL) UnixSocket.fromFd(fd).close(); } },
  { name: "UnixSocket.send", args: [arg("data", text)], good: ["x"], call: (data) => withPair((a) => a.send(data)) },
  option("UnixSocket.send", "fds", optional, (o) => withPair((a) => a.send("x", o))),
  { name: "UnixSocket.recv", args: [arg("bufferOrSize", zero)], good: [8], call: (size) => withPair((_, b) => b.recv(size)) },
  option("UnixSocket.recv", "maxFds", optionalZero, (o) => withPair((_, b) => b.recv(8, o))),
  { name: "UnixSocket.shutdown", args: [arg("how", optional)], good: ["both"], call: (how) => withPair((a) => a.shutdown(how)) },
  { name: "UnixSocket.setNonblocking", args: [arg("on", none)], good: [true], call: (on) => withPair((a) => a.setNonblocking(on)) },
  { name: "UnixListener.bind", args: [arg("path", text)], good: [NO_CALL], call: (path) => { if (path !== NO_CALL) UnixListener.bind(path).close(); } },
  option("UnixListener.bind", "backlog", optionalZero, (o) => UnixListener.bind(freshPath(), o).close()),
  option("UnixListener.bind", "nonblocking", optional, (o) => UnixListener.bind(freshPath(), o).close()),
  option("UnixListener.bind", "type", optional, (o) => UnixListener.bind(freshPath(), o).close()),
  option("UnixListener.accept", "nonblocking", optional, (o) => { using l = UnixListener.bind(freshPath(), { nonblocking: true }); l.accept(o); }),
  { name: "UnixListener.setNonblocking", args: [arg("on", none)], good: [true], call: (on) => { using l = UnixListener.bind(freshPath()); l.setNonblocking(on); } },
);

// ---- Framing
entries.push(
  option("new FrameDecoder", "maxMessageSize", optionalZero, (o) => new FrameDecoder(o)),
  option("new FrameDecoder", "bufferSize", optional, (o) => new FrameDecoder(o)),
  { name: "FrameDecoder.setMaxMessageSize", args: [arg("n", zero)], good: [64], call: (n) => new FrameDecoder().setMaxMessageSize(n) },
  { name: "FrameDecoder.push", args: [arg("bytes", none)], good: [new Uint8Array(1)], call: (bytes) => new FrameDecoder().push(bytes) },
  { name: "FrameDecoder.commit", args: [arg("n", zero)], good: [0], call: (n) => { const d = new FrameDecoder(); d.readTarget(); d.commit(n); } },
  { name: "encodeFrame", args: [arg("message", text)], good: ["m"], call: (m) => encodeFrame(m) },
  option("encodeFrame", "maxMessageSize", optionalZero, (o) => encodeFrame("m", o)),
  {
    name: "FramedConnection.setMaxMessageSize",
    args: [arg("n", zero)],
    good: [64],
    call: (n) => withPair((a) => new FramedConnection(a).setMaxMessageSize(n)),
  },
  option("new FramedConnection", "maxMessageSize", optionalZero, (o) => withPair((a) => new FramedConnection(a, o))),
  { name: "FramedConnection.send", args: [arg("message", text)], good: ["m"], call: (m) => withPair((a) => new FramedConnection(a).send(m)) },
);

// ---- IPC
const withServer = (run: (server: EchoServer, path: string) => void) => {
  const path = freshPath();
  const server = EchoServer.listen(path);
  try {
    run(server, path);
  } finally {
    server.stop();
  }
};
entries.push(
  ...["maxClients", "maxMessageSize", "highWaterMark", "backlog"].map((key) =>
    option("EchoServer.listen", key, key === "backlog" || key === "maxMessageSize" ? optionalZero : optional, (o) => EchoServer.listen(freshPath(), o).stop()),
  ),
  { name: "EchoServer.step", args: [arg("timeoutMs", timeout)], good: [0], call: (ms) => withServer((server) => server.step(ms)) },
  ...([["pingIntervalMs", (v: unknown) => optional(v) || duration(v)], ["maxMessageSize", optionalZero]] as const).map(([key, accepts]) =>
    option("IpcClient.connect", key, accepts, (o) => withServer((_, path) => IpcClient.connect(path, o).close())),
  ),
  { name: "IpcClient.poll", args: [arg("timeoutMs", timeout)], good: [0], call: (ms) => withServer((_, path) => { using client = IpcClient.connect(path); client.poll(ms); }) },
  { name: "IpcClient.send", args: [arg("message", text)], good: ["m"], call: (m) => withServer((_, path) => { using client = IpcClient.connect(path); client.send(m); }) },
);

// ---- Testing and logging
entries.push(
  // Only bad options: a guard installed inside a test is an error of bun:test's.
  ...["settleMs", "ignore"].map((key): Entry => ({
    name: `installFdLeakGuard options.${key}`,
    args: [arg(`options.${key}`, (v) => optional(v) || (key === "settleMs" && duration(v)))],
    good: [NO_CALL],
    call: (value) => {
      if (value !== NO_CALL) installFdLeakGuard({ [key]: value });
    },
  })),
  // Every method of a Logger is optional: {} is a logger that logs nothing.
  { name: "setLogger", args: [arg("logger", (v) => v === null || (typeof v === "object" && Object.keys(v).length === 0))], good: [null], call: (logger) => setLogger(logger) },
);

// ---- Options objects themselves: absent or any object (with or without a prototype) is fine.
const anOptionsObject: Accepts = (v) => v === undefined || (v !== null && typeof v === "object");
entries.push(
  ...[
    ["new Poller", (o: never) => new Poller(o).close()],
    ["socketpair", (o: never) => socketpair("stream", o).forEach((s) => s.close())],
    ["UnixSocket.send", (o: never) => withPair((a) => a.send("x", o))],
    ["UnixSocket.recv", (o: never) => withPair((_, b) => b.recv(8, o))],
    ["new FrameDecoder", (o: never) => new FrameDecoder(o)],
    ["encodeFrame", (o: never) => encodeFrame("m", o)],
    ...(platform.supports.epoll ? [["new Epoll", (o: never) => new Epoll(o).close()] as const] : []),
    ...(kqueueOptions !== undefined && kqueueOptions.library === undefined ? [["new Kqueue", (o: never) => new Kqueue(o).close()] as const] : []),
    ...(platform.supports.eventfd ? [["new EventFd", (o: never) => new EventFd(0, o).close()] as const] : []),
    ...(platform.supports.timerfd ? [["new TimerFd", (o: never) => new TimerFd(o).close()] as const] : []),
  ].map(([name, call]): Entry => ({ name: `${name} options`, args: [arg("options", anOptionsObject)], good: [undefined], call: call as Entry["call"] })),
  // Only the bad ones: a guard installed inside a test is an error of bun:test's.
  { name: "installFdLeakGuard options", args: [arg("options", anOptionsObject)], good: [NO_CALL], call: (o) => { if (o !== NO_CALL) installFdLeakGuard(o); } },
);

/** What a call threw, or undefined. */
function thrownBy(call: () => unknown): unknown {
  try {
    call();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe("every public entry point names a bad argument with a TypeError or RangeError", () => {
  test.each(entries.map((entry) => [entry.name, entry] as const))("%s", (_, entry) => {
    expect(thrownBy(() => entry.call(...entry.good))).toBeUndefined();
    const failures: string[] = [];
    entry.args.forEach((argument, position) => {
      for (const value of BAD) {
        if (argument.accepts(value)) continue;
        const args = [...entry.good];
        args[position] = value;
        const error = thrownBy(() => entry.call(...args));
        // The argument itself, or a property of it (`"transfer.state"`).
        const named = error instanceof Error && (error.message.includes(`"${argument.name}"`) || error.message.includes(`"${argument.name}.`));
        if ((error instanceof TypeError || error instanceof RangeError) && named) continue;
        failures.push(`${argument.name} = ${show(value)}: ${error === undefined ? "accepted" : String(error)}`);
      }
    });
    expect(failures).toEqual([]);
  });
});
