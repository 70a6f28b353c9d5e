/**
 * The bun:ffi floor: `epoll_wait` called straight through the ffi/ symbol table, with the events
 * decoded from one `Uint32Array` (docs/design/bun-ffi.md §2). No Epoll class, no handle map, no argument
 * checks.
 * The gap between this and the Epoll rows is what the class itself costs.
 *
 * @module
 */
import { constant, loadEpoll, struct } from "../../ffi/index.ts";
import { DescriptorSet } from "../harness/descriptors.ts";
import type { Population } from "./fixtures.ts";

/** The maxevents every benchmark passes, Epoll's default. */
export const MAX_EVENTS = 1024;

/** A raw epoll descriptor over a {@link Population}; disposing closes the epoll descriptor only. */
export interface RawWaitFixture extends Disposable {
  readonly epfd: number;
  /** The events buffer: a view over a plain ArrayBuffer of MAX_EVENTS entries. */
  readonly words: Uint32Array;
  /** `sizeof(struct epoll_event) / 4` and `offsetof(data) / 4`. */
  readonly stride: number;
  readonly dataWord: number;
  readonly expectedSum: number;
}

/** Creates an epoll descriptor and adds every eventfd of `eventfds` for EPOLLIN, data `i + 1` in the low word. */
export function rawWaitFixture(eventfds: Population): RawWaitFixture {
  const epoll = loadEpoll();
  if (epoll === undefined) throw new Error("this platform has no epoll");
  const layout = struct("epoll_event");
  const dataWord = layout.fields.data.offset / 4;
  const epfd = epoll.epoll_create1(constant("EPOLL_CLOEXEC"));
  if (epfd < 0) throw new Error("epoll_create1 failed");
  const descriptors = new DescriptorSet();
  descriptors.keep(epfd);
  const request = new Uint32Array(new ArrayBuffer(layout.size));
  try {
    eventfds.fds.forEach((fd, i) => {
      request[0] = constant("EPOLLIN");
      request[dataWord] = i + 1;
      request[dataWord + 1] = 0;
      if (epoll.epoll_ctl(epfd, constant("EPOLL_CTL_ADD"), fd, request) !== 0) throw new Error("epoll_ctl failed");
    });
  } catch (error) {
    descriptors[Symbol.dispose]();
    throw error;
  }
  return {
    epfd,
    words: new Uint32Array(new ArrayBuffer(MAX_EVENTS * layout.size)),
    stride: layout.size / 4,
    dataWord,
    expectedSum: eventfds.expectedSum,
    [Symbol.dispose]: () => descriptors[Symbol.dispose](),
  };
}

/**
 * One `epoll_wait(epfd, buf, MAX_EVENTS, 0)` through the ffi/ binding that sums the low data word
 * of every event and checks the sum: the same work as the C reference.
 */
export function rawWaitLoop(fixture: RawWaitFixture): () => void {
  const { epoll_wait } = loadEpoll()!;
  const { epfd, words, stride, dataWord, expectedSum } = fixture;
  return () => {
    const count = epoll_wait(epfd, words, MAX_EVENTS, 0);
    let sum = 0;
    for (let i = 0, at = dataWord; i < count; i++, at += stride) sum += words[at]!;
    if (sum !== expectedSum) throw new Error(`raw wait: sum ${sum}, expected ${expectedSum}`);
  };
}

