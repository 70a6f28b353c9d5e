/**
 * Capturing the errors a call throws, for assertions on their shape.
 * @module
 */
import { expect } from "bun:test";
import { SystemError } from "../../src/core/errors.ts";

/** The error `fn` throws; fails the test when it returns. */
export function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error("expected a throw, but the call returned");
}

/** The SystemError `fn` throws; anything else it throws is rethrown, and a return fails the test. */
export function systemError(fn: () => unknown): SystemError {
  const error = thrownBy(fn);
  if (error instanceof SystemError) return error;
  throw error;
}

/** Asserts that `fn` throws a SystemError with `code` (and `syscall`, when given); returns it. */
export function expectSystemError(fn: () => unknown, code: string, syscall?: string): SystemError {
  const error = thrownBy(fn);
  expect(error).toBeInstanceOf(SystemError);
  expect((error as SystemError).code).toBe(code);
  if (syscall !== undefined) expect((error as SystemError).syscall).toBe(syscall);
  return error as SystemError;
}

/**
 * Asserts that each call, made on a closed `kind` object, throws a SystemError EBADF whose syscall
 * names the method (`Epoll.add`) and whose message says the object is closed.
 */
export function expectClosedErrors(kind: string, calls: Record<string, () => unknown>): void {
  for (const [method, call] of Object.entries(calls)) {
    const error = systemError(call);
    expect({ method, code: error.code, syscall: error.syscall }).toEqual({ method, code: "EBADF", syscall: `${kind}.${method}` });
    expect(error.message).toContain(`${kind} is closed`);
  }
}
