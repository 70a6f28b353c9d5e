// Process exits a kqueue cannot read (libkqueue: a child Bun reaped first, a process that is not a
// child). libkqueue accepted such a watch, never reported the exit, and from then on returned 0 at
// once from every kevent(): waits burned a core for their whole timeout (forever with -1). Now the
// non-child is refused at register, the reaped child's exit is reported without its status, and
// every wait after it sleeps: the CPU a wait uses follows its events, never its timeout.
import { describe, expect, test } from "bun:test";
import { errnoNumber } from "../../ffi/index.ts";
import { EventFilter, EventFlags, Note } from "../../src/kqueue/kqueue.ts";
import { pauseAfterEmptyReturns } from "../../src/kqueue/lost-exits.ts";
import { cpuDuring, cpuDuringAsync } from "../helpers/cpu.ts";
import { gatedChild } from "../helpers/poller-child.ts";
import { haveKqueue, holdKqueueRuntime, kqueueOptions, needsKqueue, openKqueue } from "../helpers/kqueue-env.ts";

holdKqueueRuntime();

const onLibkqueue = kqueueOptions?.library !== undefined;

/** A child that Bun has reaped, with its exit watched (registered while it surely lived). */
async function reapedChild(watch: (pid: number) => void): Promise<number> {
  await using gated = gatedChild(4);
  watch(gated.child.pid);
  gated.go();
  expect(await gated.child.exited).toBe(4); // Bun's loop has reaped it
  await Bun.sleep(10);
  return gated.child.pid;
}

describe.skipIf(!haveKqueue)(`Kqueue, exits that cannot be read${needsKqueue}`, () => {
  test("a child Bun reaped first: the exit is reported at once, and a wait(1000) after it sleeps", async () => {
    using kq = openKqueue<string>();
    const pid = await reapedChild((child) => kq.register(child, EventFilter.Proc, EventFlags.ADD, "reaped", Note.EXIT));
    let cost = cpuDuring(() => {
      const events = kq.wait(1000);
      expect(events.length).toBe(1);
      expect(events.ident(0)).toBe(pid);
      expect((events.fflags(0) & Note.EXIT) >>> 0).toBe(Note.EXIT);
      expect(events.udata(0)).toBe("reaped");
      if (onLibkqueue) {
        // The status went to Bun: the event says so instead of inventing one.
        expect(events.flags(0) & (EventFlags.EOF | EventFlags.ERROR)).toBe(EventFlags.EOF | EventFlags.ERROR);
        expect(events.data(0)).toBe(errnoNumber("ECHILD"));
      }
    });
    // The registration is gone, and the kqueue waits for real again.
    expect(() => kq.unregister(pid, EventFilter.Proc)).toThrow(expect.objectContaining({ code: "ENOENT" }));
    cost = cpuDuring(() => expect(kq.wait(1000).length).toBe(0));
    expect(cost.used).toBeLessThan(cost.wall / 4);
  });

  test("waitAsync after a child Bun reaped first: the exit, then a waitAsync(1000) that sleeps", async () => {
    using kq = openKqueue<string>();
    const pid = await reapedChild((child) => kq.register(child, EventFilter.Proc, EventFlags.ADD, "reaped", Note.EXIT));
    let cost = await cpuDuringAsync(async () => {
      const events = await kq.waitAsync(1000);
      expect(events.length).toBe(1);
      expect(events.ident(0)).toBe(pid);
      expect(events.udata(0)).toBe("reaped");
    });
    cost = await cpuDuringAsync(async () => expect((await kq.waitAsync(1000)).length).toBe(0));
    expect(cost.used).toBeLessThan(cost.wall / 4);
  });

  test("wait(-1) after a child Bun reaped first returns with its exit instead of spinning forever", async () => {
    using kq = openKqueue<string>();
    const pid = await reapedChild((child) => kq.register(child, EventFilter.Proc, EventFlags.ADD, "forever", Note.EXIT));
    const events = kq.wait(-1);
    expect(events.length).toBe(1);
    expect(events.ident(0)).toBe(pid);
    expect(events.udata(0)).toBe("forever");
  });

  test.skipIf(!onLibkqueue)("libkqueue: a process that is not a child is ECHILD at register, and nothing stays registered", () => {
    using kq = openKqueue<string>();
    expect(() => kq.register(process.ppid, EventFilter.Proc, EventFlags.ADD, "parent", Note.EXIT)).toThrow(
      expect.objectContaining({ name: "SystemError", code: "ECHILD", syscall: "Kqueue.register" }),
    );
    expect(() => kq.unregister(process.ppid, EventFilter.Proc)).toThrow(expect.objectContaining({ code: "ENOENT" }));
    const cost = cpuDuring(() => expect(kq.wait(200).length).toBe(0));
    expect(cost.used).toBeLessThan(cost.wall / 4);
  });
});

test("a run of unexplained early empty returns is paced: a handful of kernel calls in 300 ms, not millions", () => {
  // What a wait loop over a kqueue that keeps returning 0 at once does between its calls.
  let calls = 0;
  const startedAt = performance.now();
  for (let streak = 1; performance.now() - startedAt < 300; streak++) {
    calls++;
    pauseAfterEmptyReturns(streak, -1);
  }
  expect(calls).toBeLessThan(40);
});
