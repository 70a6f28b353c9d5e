/**
 * The kqueue constants users pass to `Kqueue`: `EventFilter`, `EventFlags` and `Note`, with the
 * values of the kqueue `Kqueue` talks to on the running platform. They are built by C name from
 * the flavour's table in `ffi/` (the native one on macOS and FreeBSD, libkqueue's on Linux, the
 * only kqueue there), so a name the flavour does not define is absent, never 0.
 *
 * @module
 */
import { abi, libkqueueAbi, type KqueueAbi } from "../../ffi/index.ts";

/**
 * The kqueue flavour of this platform: the kernel's own on macOS and FreeBSD, libkqueue's on Linux
 * (and anywhere without a native kqueue).
 * @internal
 */
export const hostKqueueAbi: KqueueAbi = abi?.kqueue ?? libkqueueAbi;

/**
 * A kqueue constant of {@link hostKqueueAbi}, by C name.
 * @throws Error when the flavour does not define it: a bug in the caller, not in its input.
 * @internal
 */
export function kqueueConstant(name: string): number {
  const value = hostKqueueAbi.constants[name];
  if (value === undefined) throw new Error(`bunix: the ${hostKqueueAbi.flavour} kqueue table has no ${name}`);
  return value;
}

function pick<K extends string>(table: Readonly<Record<string, number>>, names: Readonly<Record<K, string>>) {
  const picked: Partial<Record<K, number>> = {};
  for (const key of Object.keys(names) as K[]) {
    const value = table[names[key]];
    if (value !== undefined) picked[key] = value;
  }
  return Object.freeze(picked);
}

/**
 * Filter numbers (`EVFILT_*`). The names every kqueue has are always present; the others only
 * where the running flavour defines them.
 */
export interface EventFilters {
  /** `EVFILT_READ` (-1): a descriptor is readable; `data` is the number of bytes ready. */
  readonly Read: number;
  /** `EVFILT_WRITE` (-2): a descriptor is writable; `data` is the free space (on libkqueue sockets, the bytes still queued). */
  readonly Write: number;
  /** `EVFILT_AIO` (-3 everywhere): POSIX AIO completions. libkqueue refuses it with ENOSYS. */
  readonly Aio: number;
  /** `EVFILT_VNODE` (-4): changes to a file; `fflags` are `Note.DELETE`, `Note.WRITE`, … */
  readonly Vnode: number;
  /** `EVFILT_PROC` (-5): a process exits (`Note.EXIT`), forks or execs; `ident` is the pid. */
  readonly Proc: number;
  /** `EVFILT_SIGNAL` (-6): a signal was sent to the process; `data` is the count since the last event. */
  readonly Signal: number;
  /** `EVFILT_TIMER` (-7): a timer; `data` is the number of expirations since the last event. */
  readonly Timer: number;
  /** `EVFILT_USER`: an event triggered by the program. -10 on macOS, -11 on FreeBSD and libkqueue. */
  readonly User: number;
  /** `EVFILT_MACHPORT` (-8), macOS only. */
  readonly MachPort?: number;
  /** `EVFILT_FS` (-9), macOS and FreeBSD. */
  readonly Fs?: number;
  /** `EVFILT_VM` (-12), macOS only. */
  readonly Vm?: number;
  /** `EVFILT_EXCEPT` (-15), macOS only: out-of-band data. */
  readonly Except?: number;
  /** `EVFILT_PROCDESC` (-8), FreeBSD only: a process descriptor. */
  readonly ProcDesc?: number;
  /** `EVFILT_LIO` (-10), FreeBSD only. */
  readonly Lio?: number;
  /** `EVFILT_SENDFILE` (-12), FreeBSD only. */
  readonly Sendfile?: number;
  /** `EVFILT_EMPTY` (-13), FreeBSD only: the send queue is empty. */
  readonly Empty?: number;
}

/**
 * The `EVFILT_*` filter numbers of the kqueue `Kqueue` uses here: macOS's and FreeBSD's own, and
 * libkqueue's on Linux. `User` differs (-10 on macOS, -11 elsewhere), so never hard-code it.
 *
 * @example
 * ```ts
 * import { EventFilter, EventFlags, Kqueue } from "bunix";
 * using kq = new Kqueue();
 * kq.register(fd, EventFilter.Read, EventFlags.ADD | EventFlags.ENABLE, "client");
 * if (EventFilter.Except !== undefined) console.log("this is macOS");
 * ```
 */
export const EventFilter: EventFilters = pick(hostKqueueAbi.constants, {
  Read: "EVFILT_READ",
  Write: "EVFILT_WRITE",
  Aio: "EVFILT_AIO",
  Vnode: "EVFILT_VNODE",
  Proc: "EVFILT_PROC",
  Signal: "EVFILT_SIGNAL",
  Timer: "EVFILT_TIMER",
  User: "EVFILT_USER",
  MachPort: "EVFILT_MACHPORT",
  Fs: "EVFILT_FS",
  Vm: "EVFILT_VM",
  Except: "EVFILT_EXCEPT",
  ProcDesc: "EVFILT_PROCDESC",
  Lio: "EVFILT_LIO",
  Sendfile: "EVFILT_SENDFILE",
  Empty: "EVFILT_EMPTY",
}) as EventFilters;

/** The `EV_*` bits of `kevent.flags`. The common ones have the same value on every kqueue. */
export interface EventFlagBits {
  /** `EV_ADD`: add the event, or modify it when it exists; adding enables it. */
  readonly ADD: number;
  /** `EV_DELETE`: remove the event. */
  readonly DELETE: number;
  /** `EV_ENABLE`: let the event be returned. */
  readonly ENABLE: number;
  /** `EV_DISABLE`: keep the event but do not return it. */
  readonly DISABLE: number;
  /** `EV_ONESHOT`: return the event once, then delete it. */
  readonly ONESHOT: number;
  /** `EV_CLEAR`: reset the state after the event is returned (edge-triggered). */
  readonly CLEAR: number;
  /** `EV_RECEIPT`: report the result of the change instead of waiting. `Kqueue` adds it itself. */
  readonly RECEIPT: number;
  /** `EV_DISPATCH`: disable the event after it is returned, until `ENABLE`. */
  readonly DISPATCH: number;
  /** `EV_EOF` (returned): end of file, the peer closed, or the process exited. */
  readonly EOF: number;
  /** `EV_ERROR` (returned): the entry reports an error in `data`. */
  readonly ERROR: number;
  /** `EV_SYSFLAGS`: the bits reserved for the system. */
  readonly SYSFLAGS: number;
  /** `EV_FLAG1`: filter-specific. */
  readonly FLAG1: number;
  /** `EV_UDATA_SPECIFIC`, macOS only: match registrations on `ident` and `udata`. */
  readonly UDATA_SPECIFIC?: number;
  /** `EV_VANISHED`, macOS only. */
  readonly VANISHED?: number;
  /** `EV_OOBAND`, macOS only: out-of-band data on a socket. */
  readonly OOBAND?: number;
  /** `EV_FORCEONESHOT`, FreeBSD only. */
  readonly FORCEONESHOT?: number;
  /** `EV_KEEPUDATA`, FreeBSD only: keep the stored udata on a modify. */
  readonly KEEPUDATA?: number;
}

/**
 * The `EV_*` flag bits of the kqueue `Kqueue` uses here. Returned `flags` carry extra bits (libkqueue
 * keeps `ADD` and `RECEIPT` in every returned event), so test them with a mask, never for equality.
 *
 * @example
 * ```ts
 * import { EventFilter, EventFlags, Kqueue } from "bunix";
 * using kq = new Kqueue();
 * kq.register(fd, EventFilter.Read, EventFlags.ADD | EventFlags.CLEAR);
 * for (const event of kq.wait(1000)) if (event.flags & EventFlags.EOF) console.log("peer closed");
 * ```
 */
export const EventFlags: EventFlagBits = pick(hostKqueueAbi.constants, {
  ADD: "EV_ADD",
  DELETE: "EV_DELETE",
  ENABLE: "EV_ENABLE",
  DISABLE: "EV_DISABLE",
  ONESHOT: "EV_ONESHOT",
  CLEAR: "EV_CLEAR",
  RECEIPT: "EV_RECEIPT",
  DISPATCH: "EV_DISPATCH",
  EOF: "EV_EOF",
  ERROR: "EV_ERROR",
  SYSFLAGS: "EV_SYSFLAGS",
  FLAG1: "EV_FLAG1",
  UDATA_SPECIFIC: "EV_UDATA_SPECIFIC",
  VANISHED: "EV_VANISHED",
  OOBAND: "EV_OOBAND",
  FORCEONESHOT: "EV_FORCEONESHOT",
  KEEPUDATA: "EV_KEEPUDATA",
}) as EventFlagBits;

/**
 * The `NOTE_*` filter flags (`kevent.fflags`). Their meaning depends on the filter, and several
 * share a value (`EXIT` and `FFOR` are both `0x80000000`). The timer units collide between the
 * platforms: `USECONDS` is 2 on macOS and libkqueue but 4 on FreeBSD, where 2 is `MSECONDS`.
 */
export interface NoteFlags {
  /** `NOTE_EXIT` (`Proc`): the process exited; with `Kqueue`, `data` is its wait status. */
  readonly EXIT: number;
  /** `NOTE_FORK` (`Proc`): the process forked. Never delivered on libkqueue. */
  readonly FORK: number;
  /** `NOTE_EXEC` (`Proc`): the process called exec. Never delivered on libkqueue. */
  readonly EXEC: number;
  /** `NOTE_PDATAMASK` (`Proc`): the data bits of the fflags. */
  readonly PDATAMASK: number;
  /** `NOTE_PCTRLMASK` (`Proc`): the control bits of the fflags. */
  readonly PCTRLMASK: number;
  /** `NOTE_EXITSTATUS` (`Proc`), macOS only: put the wait status in `data`. `Kqueue` adds it to `EXIT` itself. */
  readonly EXITSTATUS?: number;
  /** `NOTE_EXIT_DETAIL` (`Proc`), macOS only. */
  readonly EXIT_DETAIL?: number;
  /** `NOTE_SIGNAL` (`Proc`), macOS only. */
  readonly SIGNAL?: number;
  /** `NOTE_TRACK` (`Proc`): follow forks (FreeBSD, libkqueue; deprecated on macOS). */
  readonly TRACK?: number;
  /** `NOTE_TRACKERR` (`Proc`). */
  readonly TRACKERR?: number;
  /** `NOTE_CHILD` (`Proc`). */
  readonly CHILD?: number;
  /** `NOTE_TRIGGER` (`User`): trigger the event. */
  readonly TRIGGER: number;
  /** `NOTE_FFNOP` (`User`): leave the event's fflags alone. */
  readonly FFNOP: number;
  /** `NOTE_FFAND` (`User`): AND the low 24 bits into the event's fflags. */
  readonly FFAND: number;
  /** `NOTE_FFOR` (`User`): OR the low 24 bits into the event's fflags. */
  readonly FFOR: number;
  /** `NOTE_FFCOPY` (`User`): copy the low 24 bits into the event's fflags. */
  readonly FFCOPY: number;
  /** `NOTE_FFCTRLMASK` (`User`): the control bits. */
  readonly FFCTRLMASK: number;
  /** `NOTE_FFLAGSMASK` (`User`): the 24 user bits. */
  readonly FFLAGSMASK: number;
  /** `NOTE_SECONDS` (`Timer`): `data` is in seconds. */
  readonly SECONDS: number;
  /** `NOTE_MSECONDS` (`Timer`), FreeBSD only (2); milliseconds are the default everywhere. */
  readonly MSECONDS?: number;
  /** `NOTE_USECONDS` (`Timer`): `data` is in microseconds (2 on macOS and libkqueue, 4 on FreeBSD). */
  readonly USECONDS: number;
  /** `NOTE_NSECONDS` (`Timer`): `data` is in nanoseconds (4 on macOS and libkqueue, 8 on FreeBSD). */
  readonly NSECONDS: number;
  /** `NOTE_ABSOLUTE` (`Timer`), macOS and libkqueue: `data` is a deadline since the epoch. */
  readonly ABSOLUTE?: number;
  /** `NOTE_ABSTIME` (`Timer`), FreeBSD only: `data` is a deadline since the epoch. */
  readonly ABSTIME?: number;
  /** `NOTE_LEEWAY` (`Timer`), macOS only. */
  readonly LEEWAY?: number;
  /** `NOTE_CRITICAL` (`Timer`), macOS only. */
  readonly CRITICAL?: number;
  /** `NOTE_BACKGROUND` (`Timer`), macOS only. */
  readonly BACKGROUND?: number;
  /** `NOTE_MACH_CONTINUOUS_TIME` (`Timer`), macOS only. */
  readonly MACH_CONTINUOUS_TIME?: number;
  /** `NOTE_MACHTIME` (`Timer`), macOS only. */
  readonly MACHTIME?: number;
  /** `NOTE_DELETE` (`Vnode`): the file was unlinked. */
  readonly DELETE: number;
  /** `NOTE_WRITE` (`Vnode`): the file was written. */
  readonly WRITE: number;
  /** `NOTE_EXTEND` (`Vnode`): the file grew. */
  readonly EXTEND: number;
  /** `NOTE_ATTRIB` (`Vnode`): its attributes changed. */
  readonly ATTRIB: number;
  /** `NOTE_LINK` (`Vnode`): its link count changed. */
  readonly LINK: number;
  /** `NOTE_RENAME` (`Vnode`): it was renamed. */
  readonly RENAME: number;
  /** `NOTE_REVOKE` (`Vnode`), macOS and FreeBSD: access was revoked. */
  readonly REVOKE?: number;
  /** `NOTE_TRUNCATE` (`Vnode`), libkqueue only: the file was truncated. */
  readonly TRUNCATE?: number;
  /** `NOTE_NONE` (`Vnode`), macOS only. */
  readonly NONE?: number;
  /** `NOTE_FUNLOCK` (`Vnode`), macOS only. */
  readonly FUNLOCK?: number;
  /** `NOTE_OPEN` (`Vnode`), FreeBSD only. */
  readonly OPEN?: number;
  /** `NOTE_CLOSE` (`Vnode`), FreeBSD only. */
  readonly CLOSE?: number;
  /** `NOTE_CLOSE_WRITE` (`Vnode`), FreeBSD only. */
  readonly CLOSE_WRITE?: number;
  /** `NOTE_READ` (`Vnode`), FreeBSD only. */
  readonly READ?: number;
  /** `NOTE_LOWAT` (`Read`/`Write`): `data` is a low-water mark (libkqueue: sockets only). */
  readonly LOWAT: number;
  /** `NOTE_OOB` (`Except`), macOS only. */
  readonly OOB?: number;
  /** `NOTE_FILE_POLL` (`Read`/`Write`), FreeBSD only. */
  readonly FILE_POLL?: number;
}

/**
 * The `NOTE_*` filter flags of the kqueue `Kqueue` uses here, unsigned (`EXIT` is `0x80000000`, a
 * positive number). Names the flavour lacks are absent: `Note.MSECONDS` exists only on FreeBSD,
 * `Note.ABSOLUTE` only on macOS and libkqueue.
 *
 * @example
 * ```ts
 * import { EventFilter, EventFlags, Kqueue, Note } from "bunix";
 * using kq = new Kqueue<string>();
 * kq.register(child.pid, EventFilter.Proc, EventFlags.ADD, "worker", Note.EXIT);
 * kq.register(7, EventFilter.User, EventFlags.ADD | EventFlags.CLEAR);
 * kq.trigger(7, Note.FFOR | 5);  // fflags of the event: 5
 * ```
 */
export const Note: NoteFlags = pick(hostKqueueAbi.constants, {
  EXIT: "NOTE_EXIT",
  FORK: "NOTE_FORK",
  EXEC: "NOTE_EXEC",
  PDATAMASK: "NOTE_PDATAMASK",
  PCTRLMASK: "NOTE_PCTRLMASK",
  EXITSTATUS: "NOTE_EXITSTATUS",
  EXIT_DETAIL: "NOTE_EXIT_DETAIL",
  SIGNAL: "NOTE_SIGNAL",
  TRACK: "NOTE_TRACK",
  TRACKERR: "NOTE_TRACKERR",
  CHILD: "NOTE_CHILD",
  TRIGGER: "NOTE_TRIGGER",
  FFNOP: "NOTE_FFNOP",
  FFAND: "NOTE_FFAND",
  FFOR: "NOTE_FFOR",
  FFCOPY: "NOTE_FFCOPY",
  FFCTRLMASK: "NOTE_FFCTRLMASK",
  FFLAGSMASK: "NOTE_FFLAGSMASK",
  SECONDS: "NOTE_SECONDS",
  MSECONDS: "NOTE_MSECONDS",
  USECONDS: "NOTE_USECONDS",
  NSECONDS: "NOTE_NSECONDS",
  ABSOLUTE: "NOTE_ABSOLUTE",
  ABSTIME: "NOTE_ABSTIME",
  LEEWAY: "NOTE_LEEWAY",
  CRITICAL: "NOTE_CRITICAL",
  BACKGROUND: "NOTE_BACKGROUND",
  MACH_CONTINUOUS_TIME: "NOTE_MACH_CONTINUOUS_TIME",
  MACHTIME: "NOTE_MACHTIME",
  DELETE: "NOTE_DELETE",
  WRITE: "NOTE_WRITE",
  EXTEND: "NOTE_EXTEND",
  ATTRIB: "NOTE_ATTRIB",
  LINK: "NOTE_LINK",
  RENAME: "NOTE_RENAME",
  REVOKE: "NOTE_REVOKE",
  TRUNCATE: "NOTE_TRUNCATE",
  NONE: "NOTE_NONE",
  FUNLOCK: "NOTE_FUNLOCK",
  OPEN: "NOTE_OPEN",
  CLOSE: "NOTE_CLOSE",
  CLOSE_WRITE: "NOTE_CLOSE_WRITE",
  READ: "NOTE_READ",
  LOWAT: "NOTE_LOWAT",
  OOB: "NOTE_OOB",
  FILE_POLL: "NOTE_FILE_POLL",
}) as NoteFlags;
