// Process exit through EVFILT_PROC. Bun reaps the children it spawns in its event loop, and
// libkqueue loses an exit that was reaped before kevent() collected it (docs/design/libkqueue.md
// §6). So each child waits for a "go" line on its stdin; the test registers the pid, sends the
// line and blocks in wait() with no await in between, and only then lets Bun reap the child.
import { describe, expect, test } from "bun:test";
import { EventFilter, EventFlags, Note } from "../../src/kqueue/kqueue.ts";
import { bunCommand } from "../helpers/env.ts";
import { haveKqueue, holdKqueueRuntime, needsKqueue, openKqueue } from "../helpers/kqueue-env.ts";
import { socketPair } from "../helpers/kqueue-fds.ts";

holdKqueueRuntime();

/** Starts a Bun child that reads one line from stdin, then runs `then`; `go()` releases it. */
function gatedChild(then: string) {
  const gate = socketPair();
  const script = `require("node:fs").readSync(0, new Uint8Array(16)); ${then}`;
  const child = Bun.spawn(bunCommand("-e", script), { stdin: gate.fds[1], stdout: "ignore", stderr: "inherit" });
  return {
    child,
    go() {
      gate.write(0, "go\n");
    },
    async [Symbol.asyncDispose]() {
      child.kill();
      await child.exited;
      gate[Symbol.dispose]();
    },
  };
}

describe.skipIf(!haveKqueue)(`Kqueue, EVFILT_PROC${needsKqueue}`, () => {
  test("a child that exits with 7: EXIT in fflags, the string udata, the wait status in data", async () => {
    using kq = openKqueue<string>();
    await using gated = gatedChild("process.exit(7)");
    kq.register(gated.child.pid, EventFilter.Proc, EventFlags.ADD, "the child", Note.EXIT);
    gated.go();
    const events = kq.wait(10_000); // synchronous: Bun cannot reap the child before kevent() sees it
    expect(events.length).toBe(1);
    expect(events.ident(0)).toBe(gated.child.pid);
    expect(events.filter(0)).toBe(EventFilter.Proc);
    expect((events.fflags(0) & Note.EXIT) >>> 0).toBe(Note.EXIT);
    expect(events.udata(0)).toBe("the child");
    expect(events.data(0)).toBe(7 << 8);
    expect(await gated.child.exited).toBe(7);
  });

  test("a child killed by a signal reports the signal in the wait status", async () => {
    using kq = openKqueue<string>();
    await using gated = gatedChild(`process.kill(process.pid, "SIGKILL")`);
    kq.register(gated.child.pid, EventFilter.Proc, EventFlags.ADD, "killed", Note.EXIT);
    gated.go();
    const events = kq.wait(10_000);
    expect(events.length).toBe(1);
    expect(events.data(0) & 0x7f).toBe(9);
    await gated.child.exited;
  });

  test("the exit is one-shot: the udata is delivered, then the registration is gone", async () => {
    using kq = openKqueue<string>();
    await using gated = gatedChild("process.exit(0)");
    const pid = gated.child.pid;
    kq.register(pid, EventFilter.Proc, EventFlags.ADD, "once", Note.EXIT);
    gated.go();
    const events = kq.wait(10_000);
    expect(events.udata(0)).toBe("once");
    expect(() => kq.unregister(pid, EventFilter.Proc)).toThrow(expect.objectContaining({ code: "ENOENT", syscall: "kevent" }));
    expect(events.udata(0)).toBe("once"); // still readable in its batch
    await gated.child.exited;
  });

  test("a pid that does not exist is ESRCH at register", () => {
    using kq = openKqueue<string>();
    expect(() => kq.register(0x3fffffff, EventFilter.Proc, EventFlags.ADD, "nobody", Note.EXIT)).toThrow(
      expect.objectContaining({ name: "SystemError", code: "ESRCH", syscall: "kevent" }),
    );
    // Nothing was registered.
    expect(() => kq.unregister(0x3fffffff, EventFilter.Proc)).toThrow(expect.objectContaining({ code: "ENOENT" }));
  });
});
