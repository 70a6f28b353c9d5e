// The example of docs/guides/waiting-without-blocking.md runs as written and prints what the guide
// says it prints; the guide's code is the example's, but for the import line.
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { platform } from "../../src/core/platform.ts";
import { bunCommand, emulated } from "../helpers/env.ts";

const example = new URL("../../examples/waiting-without-blocking.ts", import.meta.url).pathname;
const guide = new URL("../../docs/guides/waiting-without-blocking.md", import.meta.url).pathname;

test.skipIf(!platform.supports.eventfd)("the guide's example runs and prints what the guide shows", async () => {
  const child = Bun.spawn(bunCommand(example), { stdout: "pipe", stderr: "pipe" });
  const killer = setTimeout(() => child.kill("SIGKILL"), emulated ? 60_000 : 10_000);
  const [stdout, stderr, exitCode] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
  clearTimeout(killer);
  expect(stderr).toBe("");
  expect(exitCode).toBe(0);
  const text = readFileSync(guide, "utf8");
  const shown = text.slice(text.indexOf("It prints:\n\n```\n") + "It prints:\n\n```\n".length);
  expect(stdout).toBe(shown.slice(0, shown.indexOf("```")));
  // The guide's code is the example's body.
  const source = readFileSync(example, "utf8");
  expect(text).toContain(source.slice(source.indexOf("if (Bun.isMainThread)")).trimEnd());
}, 60_000);
