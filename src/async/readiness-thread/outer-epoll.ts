/**
 * The epoll outer instance (Linux): an epoll in which each watched `Epoll` descriptor is
 * registered with `EPOLLIN | EPOLLONESHOT`, data = its id, beside a control eventfd.
 *
 * An epoll descriptor is readable while its ready list is not empty, so nesting tells the
 * readiness thread that an `Epoll.wait(0)` on the main thread would find something, without
 * taking anything from the inner instance: edge-triggered and one-shot registrations inside it are
 * consumed only by the main thread's own `epoll_wait`. `EPOLLONESHOT` makes each readiness one
 * report until the main thread re-arms it with `EPOLL_CTL_MOD` (which reports at once if the
 * instance is still ready).
 *
 * @internal
 * @module
 */
import { constant, errno, loadCore, loadEpoll, loadEventfd, struct } from "../../../ffi/index.ts";
import { lastError, unsupportedError } from "../../core/errors.ts";
import { CONTROL_SLOT } from "./ready-ring.ts";
import { OUTER_BATCH, type OuterControl, type OuterInit, type OuterWaiter } from "./outer.ts";

function symbols() {
  const epoll = loadEpoll();
  const eventfd = loadEventfd();
  const core = loadCore();
  if (epoll === undefined || eventfd === undefined || core === undefined) throw unsupportedError("waitAsync");
  const { epoll_create1, epoll_ctl, epoll_wait } = epoll;
  return { epoll_create1, epoll_ctl, epoll_wait, eventfd: eventfd.eventfd, write: core.write, close: core.close };
}

/** `struct epoll_event`'s layout in 32-bit words. */
function layout() {
  const { size, fields } = struct("epoll_event");
  return { bytes: size, words: size / 4, dataWord: fields.data.offset / 4 };
}

/**
 * Opens the outer epoll and its control eventfd, both close-on-exec (the main thread's side).
 * @throws SystemError from epoll_create1, eventfd or epoll_ctl.
 */
export function openEpollOuter(): OuterControl {
  const s = symbols();
  const { bytes, dataWord } = layout();
  const request = new Uint32Array(new ArrayBuffer(bytes));
  const IN = constant("EPOLLIN");
  const ONESHOT = constant("EPOLLONESHOT");
  const ctlAdd = constant("EPOLL_CTL_ADD");
  const ctlMod = constant("EPOLL_CTL_MOD");
  const ctlDel = constant("EPOLL_CTL_DEL");
  const fd = s.epoll_create1(constant("EPOLL_CLOEXEC"));
  if (fd < 0) throw lastError("epoll_create1");
  const controlFd = s.eventfd(0, constant("EFD_CLOEXEC") | constant("EFD_NONBLOCK"));
  if (controlFd < 0) {
    const error = lastError("eventfd");
    s.close(fd);
    throw error;
  }
  const control = (op: number, target: number, events: number, slot: number, generation: number): number => {
    request[0] = events;
    request[dataWord] = slot;
    request[dataWord + 1] = generation;
    return s.epoll_ctl(fd, op, target, request);
  };
  if (control(ctlAdd, controlFd, IN, CONTROL_SLOT, 0) < 0) {
    const error = lastError("epoll_ctl");
    s.close(controlFd);
    s.close(fd);
    throw error;
  }
  const one = new BigUint64Array(new ArrayBuffer(8));
  one[0] = 1n;
  const init: OuterInit = { kind: "epoll", fd, controlFd };
  return {
    init,
    add(target, slot, generation) {
      if (control(ctlAdd, target, IN | ONESHOT, slot, generation) < 0) throw lastError("epoll_ctl");
    },
    rearm(target, slot, generation) {
      if (control(ctlMod, target, IN | ONESHOT, slot, generation) < 0) throw lastError("epoll_ctl");
    },
    remove(target) {
      control(ctlDel, target, 0, 0, 0);
    },
    wake() {
      // The counter cannot overflow: the thread stops at the first wake-up and nobody reads it.
      s.write(controlFd, one, 8);
    },
    close() {
      s.close(controlFd);
      s.close(fd);
    },
  };
}

/** The readiness thread's side of an outer epoll. */
export function epollWaiter(init: Extract<OuterInit, { kind: "epoll" }>): OuterWaiter {
  const s = symbols();
  const { bytes, words, dataWord } = layout();
  const buffer = new Uint32Array(new ArrayBuffer(OUTER_BATCH * bytes));
  return {
    wait(max) {
      const count = s.epoll_wait(init.fd, buffer, Math.min(max, OUTER_BATCH), -1);
      return count >= 0 ? count : -errno();
    },
    slot: (i) => buffer[i * words + dataWord]!,
    generation: (i) => buffer[i * words + dataWord + 1]!,
    close() {
      s.close(init.controlFd);
      s.close(init.fd);
    },
  };
}
