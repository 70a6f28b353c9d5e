/**
 * The record size of the watch bench's feed: a 64-byte line, about what a sensor or an NMEA
 * receiver sends per message.
 *
 * @module
 */
export const RECORD_BYTES = 64;
