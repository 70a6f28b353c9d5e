/**
 * Unix-domain sockets with descriptor passing: {@link UnixSocket}, {@link UnixListener},
 * {@link socketpair}, {@link listenFds}, and the parent/child channel {@link spawnWithChannel} / {@link childChannel}.
 *
 * @module
 */
export { childChannel, spawnWithChannel, type SpawnedWithChannel } from "./channel.ts";
export { listenFds, type ListenFdsOptions } from "./listen-fds.ts";
export { socketpair, type SocketpairOptions } from "./socketpair.ts";
export { UnixListener, type UnixAcceptOptions, type UnixListenOptions, type UnixListenerFromFdOptions } from "./unix-listener.ts";
export {
  UnixSocket,
  type PeerCredentials,
  type ReceivedMessage,
  type SendData,
  type SocketPath,
  type ShutdownHow,
  type SocketType,
  type UnixBindOptions,
  type UnixConnectOptions,
  type UnixRecvOptions,
  type UnixSendOptions,
} from "./unix-socket.ts";
