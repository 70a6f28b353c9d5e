/**
 * Descriptors the benchmarks need besides the Epoll under test (eventfds, a socketpair), opened
 * and closed through the ffi/ layer, and a set that closes them all with `using`.
 *
 * @module
 */
import { constant, errno, errnoName, loadCore, loadEventfd, loadSockets } from "../../ffi/index.ts";

function failed(call: string): Error {
  return new Error(`${call} failed: ${errnoName(errno())}`);
}

/** Descriptors closed together when the set is disposed. */
export class DescriptorSet implements Disposable {
  readonly fds: number[] = [];

  /** Keeps `fd` for closing and returns it. */
  keep(fd: number): number {
    this.fds.push(fd);
    return fd;
  }

  /** `eventfd(initial, EFD_CLOEXEC | EFD_NONBLOCK)`: readable for as long as `initial` > 0 and nobody reads it. */
  eventfd(initial: number): number {
    const symbols = loadEventfd();
    if (symbols === undefined) throw new Error("this platform has no eventfd");
    const fd = symbols.eventfd(initial, constant("EFD_CLOEXEC") | constant("EFD_NONBLOCK"));
    if (fd < 0) throw failed("eventfd");
    return this.keep(fd);
  }

  /** A nonblocking, close-on-exec AF_UNIX stream socketpair. */
  socketPair(): [number, number] {
    const symbols = loadSockets();
    if (symbols === undefined) throw new Error("this platform has no sockets");
    const pair = new Int32Array(new ArrayBuffer(8));
    const type = constant("SOCK_STREAM") | constant("SOCK_NONBLOCK") | constant("SOCK_CLOEXEC");
    if (symbols.socketpair(constant("AF_UNIX"), type, 0, pair) !== 0) throw failed("socketpair");
    return [this.keep(pair[0]!), this.keep(pair[1]!)];
  }

  /** Closes every descriptor of the set. */
  [Symbol.dispose](): void {
    const core = loadCore();
    for (const fd of this.fds.splice(0)) core?.close(fd);
  }
}
