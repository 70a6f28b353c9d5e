/**
 * Shared by the message-queue tests: unique queue names, and their removal after each test.
 * @module
 */
import { afterEach } from "bun:test";
import { MsgQueue } from "../../src/mqueue/msg-queue.ts";

let counter = 0;
const made = new Set<string>();

/**
 * A queue name no other test (in this process or a parallel one) uses; unlinked after the test
 * by {@link unlinkQueuesAfterEach}.
 */
export function queueName(): string {
  const name = `/bunix-test-${process.pid}-${++counter}`;
  made.add(name);
  return name;
}

/** Registers an afterEach that unlinks every queue named by {@link queueName} during the test. */
export function unlinkQueuesAfterEach(): void {
  afterEach(() => {
    for (const name of made) {
      try {
        MsgQueue.unlink(name);
      } catch {
        // Never created, or the test unlinked it itself.
      }
    }
    made.clear();
  });
}

const decoder = new TextDecoder();

/** A message's bytes as text. */
export function text(data: Uint8Array): string {
  return decoder.decode(data);
}

/** Runs `fn` and returns what it threw (fails when it does not throw). */
export function thrown(fn: () => unknown): Error & { code?: string; syscall?: string; path?: string } {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected a throw");
}
