import { expect, test } from "bun:test";
import { SystemError } from "../../src/core/errors.ts";
import { helperThreadError } from "../../src/async/helper-error.ts";
import { helperScriptUrl } from "../../src/async/worker-url.ts";

test("a helper thread's failure is a SystemError with code EIO, the Worker's error as its cause", () => {
  const cause = new Error("ModuleNotFound resolving \"./readiness-worker.js\"");
  const error = helperThreadError("readiness thread", cause);
  expect(error).toBeInstanceOf(SystemError);
  expect(error).toMatchObject({ code: "EIO", syscall: "waitAsync", cause });
  expect(error.message).toBe('EIO: the readiness thread failed: ModuleNotFound resolving "./readiness-worker.js", waitAsync');
  const ended = helperThreadError("kqueue helper thread", undefined);
  expect(ended).toMatchObject({ code: "EIO", message: "EIO: the kqueue helper thread failed: it ended unexpectedly, waitAsync" });
  expect(ended.cause).toBeUndefined();
  expect(helperThreadError("readiness thread", "bad ring").message).toContain("failed: bad ring");
});

test("from the sources, each helper script is its mechanism's worker.ts", async () => {
  for (const [script, folder] of [["readiness-worker", "readiness-thread"], ["kevent-worker", "libkqueue-helper"]] as const) {
    const url = helperScriptUrl(script);
    expect(url).toEndWith(`/src/async/${folder}/worker.ts`);
    expect(await Bun.file(new URL(url)).exists()).toBe(true);
  }
});
