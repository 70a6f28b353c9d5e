/**
 * Picks the ABI tables of the running platform, once, from `process.platform` and `process.arch`.
 * This is the only place in the package that looks at either.
 *
 * @module
 */
import { darwinArm64 } from "./darwin-arm64.ts";
import { darwinX64 } from "./darwin-x64.ts";
import { freebsdX64 } from "./freebsd-x64.ts";
import { linuxArm64 } from "./linux-arm64.ts";
import { linuxX64 } from "./linux-x64.ts";
import type { AbiTables } from "./shape.ts";

/** Every platform ABI bunix has tables for, by `${process.platform}-${process.arch}`. */
export const abiTables: Readonly<Record<string, AbiTables>> = {
  [linuxX64.id]: linuxX64,
  [linuxArm64.id]: linuxArm64,
  [darwinArm64.id]: darwinArm64,
  [darwinX64.id]: darwinX64,
  [freebsdX64.id]: freebsdX64,
};

/**
 * The running platform's tables, or `undefined` on a platform bunix has none for (Windows, 32-bit
 * CPUs). Importing bunix never fails there; constructing anything is then `ENOTSUP`.
 */
export const abi: AbiTables | undefined = abiTables[`${process.platform}-${process.arch}`];

/** The running OS as `process.platform` spells it. */
export const hostOs: string = process.platform;

/** The running CPU as `process.arch` spells it. */
export const hostArch: string = process.arch;
