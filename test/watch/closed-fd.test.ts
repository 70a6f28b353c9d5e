import { expect, test } from "bun:test";
import { asyncHelperThreads, setEventLoopWatching, shutdownAsyncWaits } from "../../src/async/index.ts";
import { watchFd } from "../../src/watch/index.ts";
import { watchHub } from "../../src/watch/hub.ts";
import { Descriptors, readBytes, writeBytes } from "../helpers/descriptors.ts";
import { expectSystemError } from "../helpers/errors.ts";
import { CLOSED, recorder, settle, until } from "./helpers.ts";

/** A socket end of `fds`, watched for reading with a recording callback, and then closed. */
function watchThenClose(fds: Descriptors) {
  const [, b] = fds.socketPair();
  const { calls, callback } = recorder();
  const watch = watchFd(b, { readable: true }, callback);
  fds.close(b);
  return { b, calls, watch };
}

test("a descriptor closed while watched ends its watch with one error callback, not a crash", async () => {
  using fds = new Descriptors();
  const { calls, watch } = watchThenClose(fds);
  await until("the closing callback", () => calls.length === 1);
  expect(calls[0]).toEqual(CLOSED);
  expect([watch.closed, watch.fd]).toEqual([true, -1]);
  await settle();
  expect(calls).toHaveLength(1);
  expect(watchHub().stats.watches).toBe(0);
});

test("a number closed and reused by another file never delivers the new file's events to the old watch", async () => {
  using fds = new Descriptors();
  const { b, calls, watch } = watchThenClose(fds);
  // The number goes to a new socket at once, which then becomes readable.
  let peer = -1;
  expect(fds.reopenAt(b, () => {
    const [x, y] = fds.socketPair();
    peer = y;
    return x;
  })).toBe(true);
  writeBytes(peer);
  await until("the closing callback", () => calls.length > 0);
  await settle();
  expect(calls).toEqual([CLOSED]);
  expect(watch.closed).toBe(true);
  // The number is free to be watched again, now for the new file.
  const next = recorder(() => readBytes(b));
  using again = watchFd(b, { readable: true }, next.callback);
  await until("the new file's callback", () => next.calls.length === 1);
  expect(next.calls[0]).toMatchObject({ readable: true });
  expect(again.fd).toBe(b);
});

test("watching a reused number ends the stale watch first, instead of EEXIST", async () => {
  using fds = new Descriptors();
  const [, b] = fds.socketPair();
  const old = recorder();
  const watch = watchFd(b, { readable: true }, old.callback);
  fds.close(b);
  expect(fds.reopenAt(b, () => fds.eventFd())).toBe(true);
  using fresh = watchFd(b, { readable: true }, () => {});
  expect([watch.closed, fresh.closed]).toEqual([true, false]);
  expect(old.calls).toHaveLength(0);
  await until("the stale watch's closing callback", () => old.calls.length === 1);
  expect(old.calls).toEqual([CLOSED]);
});

test("a file that stays open elsewhere after its number is closed and reused: the watch ends, and other watches keep working", async () => {
  using fds = new Descriptors();
  const [a, b] = fds.socketPair();
  const [c, d] = fds.socketPair();
  const old = recorder();
  const other = recorder(() => readBytes(d));
  const watch = watchFd(b, { readable: true }, old.callback);
  using otherWatch = watchFd(d, { readable: true }, other.callback);
  // A duplicate keeps b's socket open, so the kernel keeps its registration under the number b.
  const duplicate = fds.dup(b);
  fds.close(b);
  expect(fds.reopenAt(b, () => fds.pipe().read)).toBe(true);
  writeBytes(a);
  await until("the closing callback", () => old.calls.length > 0);
  expect(old.calls).toEqual([CLOSED]);
  expect(watch.closed).toBe(true);
  // The old socket stays readable forever; the watches must not spin on it, and the others work.
  writeBytes(c);
  await until("the other watch", () => other.calls.length === 1);
  const batches = watchHub().stats.batches;
  await settle(100);
  // A Poller still holding the ghost would report it on every turn of the event loop.
  expect(watchHub().stats.batches - batches).toBeLessThan(5);
  expect(old.calls).toHaveLength(1);
  expect(other.calls).toHaveLength(1);
  expect(otherWatch.closed).toBe(false);
  fds.close(duplicate);
});

test("update() of a watch whose descriptor was closed is EBADF, and ends the watch with its error callback", async () => {
  using fds = new Descriptors();
  const { calls, watch } = watchThenClose(fds);
  expectSystemError(() => watch.update({ writable: true }), "EBADF", "FdWatch.update");
  expect(watch.closed).toBe(true);
  // Not inside update(): on a later turn.
  expect(calls).toHaveLength(0);
  await until("the closing callback", () => calls.length === 1);
  expect(calls).toEqual([CLOSED]);
});

test("when the wait itself fails (its helper thread stopped), every watch ends with its error callback instead of going silent", async () => {
  using fds = new Descriptors();
  const [, b] = fds.socketPair();
  const { calls, callback } = recorder();
  // The readiness thread instead of Bun's loop, so that stopping the thread fails the pending wait.
  setEventLoopWatching(false);
  try {
    const watch = watchFd(b, { readable: true }, callback);
    await until("the pending wait on the helper thread", () => watchHub().stats.pendingWaits === 1 && asyncHelperThreads() === 1);
    await shutdownAsyncWaits();
    await until("the ending callback", () => calls.length === 1);
    expect(calls).toEqual([CLOSED]);
    expect(watch.closed).toBe(true);
  } finally {
    setEventLoopWatching(true);
  }
});
