/**
 * The platform layer: what `src/` knows about the C world, all of it chosen once for the running
 * platform. `src/` imports from here only, never from a platform module directly.
 *
 * @module
 */
import { abi } from "./select.ts";
import type { AbiTables } from "./shape.ts";

export { errno, errnoMessage, errnoName, errnoNumber } from "./errno.ts";
export * from "./load.ts";
export { TCSANOW, TERMIOS_ROOM } from "./symbols.ts";
export { abi, abiTables, hostArch, hostOs } from "./select.ts";
export type { AbiFeatures, AbiTables, FieldLayout, KqueueAbi, StructLayout } from "./shape.ts";
export { libkqueueAbi } from "./libkqueue.ts";
export { fcntl } from "./variadic.ts";

/**
 * The running platform's value of the C constant `name`.
 * @throws Error when the platform does not define it: a bug in the caller, which should have
 *   checked the feature first.
 */
export function constant(name: string): number {
  const value = abi?.constants[name];
  if (value === undefined) throw new Error(`bunix: ${abi?.id ?? process.platform} defines no ${name}`);
  return value;
}

/** The running platform's value of `name`, or `undefined` where it has none. */
export function optionalConstant(name: string): number | undefined {
  return abi?.constants[name];
}

/**
 * The running platform's layout of `struct name`.
 * @throws Error when the platform has no such struct.
 */
export function struct<K extends keyof AbiTables["structs"]>(name: K): NonNullable<AbiTables["structs"][K]> {
  const layout = abi?.structs[name];
  if (layout === undefined) throw new Error(`bunix: ${abi?.id ?? process.platform} has no struct ${name}`);
  return layout as NonNullable<AbiTables["structs"][K]>;
}

/** `CMSG_ALIGN(n)`: `n` rounded up to the platform's control-message alignment. */
export function cmsgAlign(length: number): number {
  const unit = abi?.cmsgAlign ?? 8;
  return (length + unit - 1) & ~(unit - 1);
}

/** `CMSG_LEN(n)`: header plus `n` bytes of payload, unpadded. */
export function cmsgLen(payload: number): number {
  return cmsgAlign(cmsgHeaderSize()) + payload;
}

/** `CMSG_SPACE(n)`: the room one control message with `n` bytes of payload takes. */
export function cmsgSpace(payload: number): number {
  return cmsgAlign(cmsgHeaderSize()) + cmsgAlign(payload);
}

/** Offset of `CMSG_DATA(c)` from the start of its header. */
export function cmsgDataOffset(): number {
  return cmsgAlign(cmsgHeaderSize());
}

function cmsgHeaderSize(): number {
  return abi?.structs.cmsghdr.size ?? 16;
}
