import { expect, test } from "bun:test";
import { MINIMUM_BUN, unsupportedRuntime } from "../../src/core/runtime.ts";

test("an older Bun, or no Bun, gets a message naming the minimum version", () => {
  expect(unsupportedRuntime("1.4.0")).toBe(`bunix needs Bun ${MINIMUM_BUN} or newer; this is Bun 1.4.0. Run \`bun upgrade\`.`);
  expect(unsupportedRuntime("1.3.14")).toContain("this is Bun 1.3.14");
  expect(unsupportedRuntime(undefined)).toStartWith(`bunix runs on Bun (>= ${MINIMUM_BUN}), not on this runtime.`);
});

test("the minimum itself, newer releases and this Bun pass", () => {
  expect(unsupportedRuntime(MINIMUM_BUN)).toBeUndefined();
  expect(unsupportedRuntime("1.5.0")).toBeUndefined();
  expect(unsupportedRuntime(Bun.version)).toBeUndefined();
});

test("package.json's engines.bun says the same minimum", async () => {
  const manifest = await Bun.file(new URL("../../package.json", import.meta.url)).json();
  expect(manifest.engines.bun).toBe(`>=${MINIMUM_BUN}`);
});
