import { expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { bunCommand } from "../helpers/env.ts";
import { haveKqueue, kqueueOptions, needsKqueue } from "../helpers/kqueue-env.ts";

const guardModule = resolve(import.meta.dir, "../../src/testing/index.ts");
const helperModule = resolve(import.meta.dir, "../helpers/test-resource.ts");
const fdModule = resolve(import.meta.dir, "../../src/core/fd.ts");
const kqueueModule = resolve(import.meta.dir, "../../src/kqueue/kqueue.ts");

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

/** Runs `tests` under the guard and expects all `count` of them to pass. */
async function expectPasses(tests: string, count: number): Promise<void> {
  const { exitCode, output } = await runSuite(`${header}${tests}`);
  expect(output).toContain(`${count} pass`);
  expect(exitCode).toBe(0);
}

test("the guard passes a test that closes what it opens", async () => {
  await expectPasses(`test("tidy", () => { closeDescriptor(rawEventFd()); });`, 1);
});

// A user's suite has no preload that spawns at start-up or opens the first kqueue outside the
// tests (this project's test/setup.ts and holdKqueueRuntime do): the suites above run in a scratch
// folder without this project's bunfig, so the guard meets what Bun and libkqueue open for
// themselves inside the first test.

test("a test that spawns a child with a buffer as stdin passes: Bun's stdio memfd is Bun's", async () => {
  await expectPasses(
    `test("spawns", async () => {
  const child = Bun.spawn(["cat"], { stdin: new TextEncoder().encode("hello"), stdout: "pipe" });
  if ((await new Response(child.stdout).text()) !== "hello") throw new Error("no echo");
  await child.exited;
});`,
    1,
  );
});

test.skipIf(!haveKqueue)(`the first Kqueue of a suite passes: what libkqueue opens for itself is its own${needsKqueue}`, async () => {
  await expectPasses(
    `import { Kqueue } from ${JSON.stringify(kqueueModule)};
test("first kqueue", () => { new Kqueue(${JSON.stringify(kqueueOptions)}).close(); });
test("second kqueue", () => { new Kqueue(${JSON.stringify(kqueueOptions)}).close(); });`,
    2,
  );
});

test("a leak beside them is still the test's, and the message says what was set aside", async () => {
  const { exitCode, output } = await runSuite(`${header}
test("spawns and leaks", async () => {
  const child = Bun.spawn(["cat"], { stdin: new TextEncoder().encode("hello"), stdout: "pipe" });
  await new Response(child.stdout).text();
  await child.exited;
  globalThis.kept = rawEventFd();
});
`);
  expect(exitCode).not.toBe(0);
  expect(output).toContain("The test left 1 descriptor(s) open");
  expect(output).toContain("Neither Bun nor a library bunix loaded opened them for itself");
  if (process.platform === "linux") {
    expect(output).toContain("anon_inode:[eventfd]");
    expect(output).toMatch(/set aside as not the test's own: \d+ \(\/memfd:spawn_stdio_stdin.*opened by Bun/);
  }
});
