/**
 * `IpcEvent`: what `IpcClient.poll` reports, for the caller to hand back to `IpcClient.process`.
 *
 * @module
 */
import { invalidType, invalidValue } from "../core/errors.ts";

/**
 * The kinds of {@link IpcEvent}:
 *
 * - `"readable"`: the connection has input (a message, the end of the stream, or an error), or
 *   the client may still hold a whole message it has not returned yet. `process` returns at most
 *   one message per readable event.
 * - `"writable"`: the connection can take more of what `send` queued; `process` writes it.
 * - `"timer"`: the ping interval passed; `process` sends a ping.
 * - `"hangup"`: the server closed the connection and every message it sent has been returned.
 *   Nothing more will come; close the client.
 */
export type IpcEventKind = "readable" | "writable" | "timer" | "hangup";

/**
 * One thing that happened to an `IpcClient`, as `poll` and `pollAsync` report it. Pass it to
 * `client.process(event)`. The objects are shared constants: compare `kind`, not identity, and do
 * not modify them (they are frozen).
 */
export interface IpcEvent {
  /** What happened; see {@link IpcEventKind}. */
  readonly kind: IpcEventKind;
}

/** The one frozen event object of each kind. @internal */
export const EVENTS: { readonly [K in IpcEventKind]: IpcEvent } = Object.freeze({
  readable: Object.freeze({ kind: "readable" }),
  writable: Object.freeze({ kind: "writable" }),
  timer: Object.freeze({ kind: "timer" }),
  hangup: Object.freeze({ kind: "hangup" }),
});

/**
 * The kind of `event`, checked: a TypeError for anything that is not an {@link IpcEvent}.
 * @internal
 */
export function eventKind(event: unknown): IpcEventKind {
  if (event === null || typeof event !== "object") throw invalidType("event", "an IpcEvent object", event);
  const kind = (event as { kind?: unknown }).kind;
  if (kind !== "readable" && kind !== "writable" && kind !== "timer" && kind !== "hangup") {
    throw invalidValue("event", `must have kind "readable", "writable", "timer" or "hangup"`, kind);
  }
  return kind;
}
