/**
 * Framed IPC over Unix stream sockets, ready to use: {@link IpcClient} (a connection and a ping
 * timer in one Poller, driven by its user with `poll` and `process`) and {@link EchoServer} (the
 * server of the `bunix-echo` tool, as a class).
 *
 * @module
 */
export { EchoServer, type EchoServerOptions, type EchoServerStartOptions, type EchoServerStats } from "./echo-server.ts";
export { IpcClient, type IpcClientOptions, type IpcPingReply } from "./ipc-client.ts";
export type { IpcEvent, IpcEventKind } from "./ipc-events.ts";
