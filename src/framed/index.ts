/**
 * Framed messages over a Unix stream socket: {@link FramedConnection}, and for transports of
 * your own the codec underneath it, {@link FrameDecoder} and {@link encodeFrame}. A frame is a
 * 4-byte unsigned big-endian length, then that many bytes.
 *
 * @module
 */
export { FrameDecoder, type FrameDecoderOptions } from "./frame-decoder.ts";
export { encodeFrame, type EncodeFrameOptions } from "./frame-encoder.ts";
export { FramedConnection, type FramedConnectionOptions } from "./framed-connection.ts";
