/**
 * The frame format's numbers and the one check of a message size limit, shared by the encoder,
 * the decoder and the connection.
 *
 * @internal
 * @module
 */
import { validateInteger } from "../core/validate.ts";

/** A frame starts with the payload length as a 4-byte unsigned big-endian integer. */
export const HEADER_SIZE = 4;

/** The largest length a 4-byte header can announce. */
export const MAX_FRAME_LENGTH = 0xffffffff;

/** The default `maxMessageSize`: 16 MiB. */
export const DEFAULT_MAX_MESSAGE_SIZE = 16 * 1024 * 1024;

/**
 * Checks a `maxMessageSize`: an integer from 0 (only empty messages) to 2^32 - 1 (whatever a
 * header can announce).
 * @throws TypeError when not a number; RangeError when not such an integer (NaN included).
 */
export function validateMaxMessageSize(value: unknown, name: string): number {
  return validateInteger(value, name, 0, MAX_FRAME_LENGTH);
}
