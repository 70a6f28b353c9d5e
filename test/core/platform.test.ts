import { expect, test } from "bun:test";
import { abi, abiTables } from "../../ffi/index.ts";
import { platform } from "../../src/index.ts";

test("os and arch are spelled as process.platform and process.arch", () => {
  expect(platform.os).toBe(process.platform);
  expect(platform.arch).toBe(process.arch);
});

test("backend and supports follow the running platform's tables", () => {
  const supports = platform.supports;
  expect(Object.keys(supports).sort()).toEqual(
    ["abstractSockets", "epoll", "eventfd", "kqueue", "mqueue", "pidfd", "seqpacket", "timerfd"].sort(),
  );
  for (const value of Object.values(supports)) expect(typeof value).toBe("boolean");
  expect(platform.backend).toBe(abi?.features.epoll ? "epoll" : abi?.features.kqueue ? "kqueue" : "none");
  if (process.platform === "linux") {
    expect(platform.backend).toBe("epoll");
    expect(supports.epoll).toBe(true);
    expect(supports.kqueue).toBe(false);
    expect(supports.abstractSockets).toBe(true);
  }
  if (process.platform === "darwin") {
    expect(platform.backend).toBe("kqueue");
    expect(supports.mqueue).toBe(false);
  }
});

test("platform and its support table are frozen", () => {
  expect(Object.isFrozen(platform)).toBe(true);
  expect(Object.isFrozen(platform.supports)).toBe(true);
  expect(platform.supports).toBe(platform.supports);
});

test("every platform module exports the same shape", () => {
  const ids = Object.keys(abiTables).sort();
  expect(ids).toEqual(["darwin-arm64", "darwin-x64", "freebsd-x64", "linux-arm64", "linux-x64"]);
  for (const [id, tables] of Object.entries(abiTables)) {
    expect(tables.id).toBe(id);
    expect(`${tables.os}-${tables.arch}`).toBe(id);
    expect(tables.libc.length).toBeGreaterThan(0);
    expect(tables.structs.msghdr.size).toBeGreaterThan(0);
    expect(tables.features.epoll || tables.features.kqueue).toBe(true);
    expect(tables.features.kqueue).toBe(tables.kqueue !== undefined);
    // Flags are unsigned: a high bit is a positive number everywhere.
    for (const [name, value] of Object.entries(tables.constants)) {
      expect({ name, integer: Number.isInteger(value) }).toEqual({ name, integer: true });
      if (name.startsWith("EPOLL") || name.startsWith("NOTE_")) expect(value).toBeGreaterThanOrEqual(0);
    }
  }
});

test("Apple arm64 is the one ABI whose variadic arguments go on the stack", () => {
  const stack = Object.values(abiTables).filter((tables) => tables.variadicArguments === "stack").map((t) => t.id);
  expect(stack).toEqual(["darwin-arm64"]);
});
