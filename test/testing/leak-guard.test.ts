import { expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { bunCommand } from "../helpers/env.ts";

const guardModule = resolve(import.meta.dir, "../../src/testing/index.ts");
const helperModule = resolve(import.meta.dir, "../helpers/test-resource.ts");
const fdModule = resolve(import.meta.dir, "../../src/core/fd.ts");

/** Runs `bun test` on one generated test file in a scratch folder and returns its exit code and output. */
async function runSuite(source: string): Promise<{ exitCode: number; output: string }> {
  const folder = mkdtempSync(join(tmpdir(), "bunix-guard-"));
  try {
    writeFileSync(join(folder, "guarded.test.ts"), source);
    const child = Bun.spawn(bunCommand("test", "guarded.test.ts"), { cwd: folder, stdout: "pipe", stderr: "pipe" });
    const [stdout, stderr, exitCode] = await Promise.all([
      new Response(child.stdout).text(),
      new Response(child.stderr).text(),
      child.exited,
    ]);
    return { exitCode, output: stdout + stderr };
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

const header = `
import { test } from "bun:test";
import { installFdLeakGuard } from ${JSON.stringify(guardModule)};
import { rawEventFd } from ${JSON.stringify(helperModule)};
import { closeDescriptor } from ${JSON.stringify(fdModule)};
installFdLeakGuard({ settleMs: 50 });
`;

test("the guard fails a test that leaves a descriptor open, naming it", async () => {
  const { exitCode, output } = await runSuite(`${header}
test("leaks", () => { globalThis.kept = rawEventFd(); });
`);
  expect(exitCode).not.toBe(0);
  expect(output).toContain("The test left 1 descriptor(s) open");
  if (process.platform === "linux") expect(output).toContain("anon_inode:[eventfd]");
});

test("the guard passes a test that closes what it opens", async () => {
  const { exitCode, output } = await runSuite(`${header}
test("tidy", () => { closeDescriptor(rawEventFd()); });
`);
  expect(output).toContain("1 pass");
  expect(exitCode).toBe(0);
});
