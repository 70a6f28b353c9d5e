import { afterEach, expect, spyOn, test } from "bun:test";
import { setLogger } from "../../src/index.ts";
import { getLogger, log } from "../../src/core/log.ts";

afterEach(() => setLogger(null));

test("silent by default: nothing reaches the console", () => {
  expect(getLogger()).toBeNull();
  const spies = (["log", "debug", "info", "warn", "error"] as const).map((level) => spyOn(console, level));
  try {
    log("warn", "something happened", { fd: 3 });
    log("error", "something failed");
    for (const spy of spies) expect(spy).not.toHaveBeenCalled();
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
});

test("a console-like logger receives the message with a bunix prefix", () => {
  const seen: unknown[][] = [];
  setLogger({ info: (...args: unknown[]) => seen.push(args) });
  log("info", "hello");
  expect(seen).toEqual([["bunix: hello"]]);
});

test("a pino-style logger receives fields first, then the message, with its own this", () => {
  const calls: { self: unknown; args: unknown[] }[] = [];
  const pinoLike = {
    warn(this: unknown, ...args: unknown[]) {
      calls.push({ self: this, args });
    },
  };
  setLogger(pinoLike);
  log("warn", "leaked", { fd: 9 });
  expect(calls).toEqual([{ self: pinoLike, args: [{ fd: 9 }, "bunix: leaked"] }]);
});

test("levels the logger lacks are skipped, and a throwing logger never breaks the caller", () => {
  setLogger({
    error: () => {
      throw new Error("broken logger");
    },
  });
  expect(() => log("debug", "no debug method")).not.toThrow();
  expect(() => log("error", "throws inside")).not.toThrow();
});

test("setLogger(null) silences again; anything but an object is a TypeError", () => {
  const seen: unknown[] = [];
  setLogger({ warn: (message: unknown) => seen.push(message) });
  setLogger(null);
  log("warn", "after reset");
  expect(seen).toEqual([]);
  expect(() => setLogger("console" as never)).toThrow(TypeError);
  expect(() => setLogger(undefined as never)).toThrow(TypeError);
});
