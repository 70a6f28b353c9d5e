/**
 * The kqueue outer instance (macOS, FreeBSD): a kqueue in which each watched `Kqueue` descriptor
 * is registered with `EVFILT_READ | EV_ONESHOT`, udata = its id, beside an `EVFILT_USER` control
 * event.
 *
 * A native kqueue descriptor is readable while events are pending on it (`kqueue_kqfilter`), and
 * watching it consumes none of them: the main thread's own `kevent()` still collects every event,
 * so `EV_ONESHOT`, `EV_CLEAR` and `EV_DISPATCH` registrations inside it behave as with a
 * synchronous wait. libkqueue's descriptor is not readable this way (docs/design/libkqueue.md §10), so
 * kqueues from a `library` use a helper thread of their own instead (../libkqueue-helper/helper.ts); an outer
 * kqueue from libkqueue still works for *other* descriptors (an epoll, a pipe), which is how the
 * tests run this file on Linux.
 *
 * @internal
 * @module
 */
import { errno, loadCore } from "../../../ffi/index.ts";
import { SystemError, lastError, unsupportedError } from "../../core/errors.ts";
import { closeDescriptor, isCloseOnExec, setCloseOnExec } from "../../core/fd.ts";
import { KeventBuffer } from "../../kevent/codec.ts";
import { hostKqueueAbi } from "../../kevent/constants.ts";
import { kqueueConstant } from "../../kevent/constants.ts";
import { KeventChanges } from "../../kevent/changes.ts";
import { kqueueFunctions } from "../../kevent/library.ts";
import { OUTER_BATCH, type OuterControl, type OuterInit, type OuterWaiter } from "./outer.ts";
import { CONTROL_SLOT } from "./ready-ring.ts";

const EV_ADD = kqueueConstant("EV_ADD");
const EV_DELETE = kqueueConstant("EV_DELETE");
const EV_ONESHOT = kqueueConstant("EV_ONESHOT");
const EVFILT_READ = kqueueConstant("EVFILT_READ");
const EVFILT_USER = kqueueConstant("EVFILT_USER");
const NOTE_TRIGGER = kqueueConstant("NOTE_TRIGGER");
// The control event's ident; the outer kqueue is private, so any ident is free.
const CONTROL_IDENT = 0;

function kqueueSymbols(library: string | undefined) {
  const symbols = kqueueFunctions(library);
  if (symbols === undefined) throw unsupportedError("waitAsync");
  return symbols;
}

/**
 * Opens the outer kqueue, close-on-exec, with its control event (the main thread's side).
 * @param library - the kqueue implementation to load (libkqueue, for tests on Linux), or the
 *   native one.
 * @throws SystemError from kqueue or kevent.
 */
export function openKqueueOuter(library: string | undefined): OuterControl {
  const { kqueue, kevent } = kqueueSymbols(library);
  const fd = kqueue();
  if (fd < 0) throw lastError("kqueue");
  const changes = new KeventChanges(kevent);
  try {
    if (!isCloseOnExec(fd)) setCloseOnExec(fd);
    // Without EV_CLEAR: once triggered, the control event stays ready, so every wait returns until
    // the thread sees the stop request (engine.ts triggers before it publishes STOP).
    const error = changes.submit(fd, CONTROL_IDENT, EVFILT_USER, EV_ADD, 0, CONTROL_SLOT, 0);
    if (error !== 0) throw SystemError.fromErrno(error, "kevent");
  } catch (error) {
    closeDescriptor(fd);
    throw error;
  }
  const arm = (target: number, slot: number, generation: number) => {
    // A one-shot knote is gone once reported, so re-arming is a fresh EV_ADD (never an EV_ADD of
    // a live READ knote, which libkqueue 2.7 refuses).
    const error = changes.submit(fd, target, EVFILT_READ, EV_ADD | EV_ONESHOT, 0, slot, generation);
    if (error !== 0) throw SystemError.fromErrno(error, "kevent");
  };
  const init: OuterInit = { kind: "kqueue", fd, library };
  return {
    init,
    add: arm,
    rearm: arm,
    remove(target) {
      changes.submit(fd, target, EVFILT_READ, EV_DELETE, 0, 0, 0);
    },
    wake() {
      // The trigger resends the udata: a bare NOTE_TRIGGER overwrites it on macOS and libkqueue.
      changes.submit(fd, CONTROL_IDENT, EVFILT_USER, 0, NOTE_TRIGGER, CONTROL_SLOT, 0);
    },
    close() {
      closeDescriptor(fd);
    },
  };
}

/** The readiness thread's side of an outer kqueue. */
export function kqueueWaiter(init: Extract<OuterInit, { kind: "kqueue" }>): OuterWaiter {
  const { kevent } = kqueueSymbols(init.library);
  const close = loadCore()!.close;
  const events = new KeventBuffer(hostKqueueAbi.kevent, OUTER_BATCH);
  return {
    wait(max) {
      const count = kevent(init.fd, null, 0, events.words, Math.min(max, OUTER_BATCH), null);
      return count >= 0 ? count : -errno();
    },
    slot: (i) => events.udataLow(i),
    generation: (i) => events.udataHigh(i),
    close() {
      close(init.fd);
    },
  };
}
