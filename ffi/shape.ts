/**
 * The one shape every platform ABI module in `ffi/` exports.
 *
 * A platform ABI is an OS plus, where layouts or constants differ, a CPU. Every number the library
 * needs (struct sizes, field offsets, flag values, system-call numbers) lives in one of those
 * modules, under its C name, so that the layout check (`test/ffi/layout.test.ts`) can compare it
 * with what the C headers say. Code outside `ffi/` reads these tables by name and never knows a
 * number itself.
 *
 * @module
 */

/** Where one field of a C struct sits: byte offset and width, as `offsetof` and `sizeof` give. */
export interface FieldLayout {
  readonly offset: number;
  readonly size: number;
}

/** A C struct: its `sizeof` and the fields the library reads or writes, by their C names. */
export interface StructLayout<F extends string = string> {
  readonly size: number;
  readonly fields: { readonly [K in F]: FieldLayout };
}

/** The kqueue flavour of one platform: the layout of `struct kevent` and the kqueue constants. */
export interface KqueueAbi {
  /** Which kqueue this is: the kernel's own, or libkqueue's user-space emulation on Linux. */
  readonly flavour: "darwin" | "freebsd" | "libkqueue";
  readonly kevent: StructLayout<"ident" | "filter" | "flags" | "fflags" | "data" | "udata">;
  /**
   * Filters, EV_* flags and NOTE_* fflags by their C names. Names a flavour lacks are absent,
   * never zero: `EVFILT_USER` is -10 on macOS and -11 on FreeBSD and libkqueue, and the timer
   * unit bits collide between macOS and FreeBSD (docs/design/platform-abi.md §5.2).
   */
  readonly constants: Readonly<Record<string, number>>;
  /**
   * The EVFILT_TIMER fflag that makes `data` microseconds, so `registerTimer` keeps fractions of a
   * millisecond: 2 on macOS and libkqueue, 4 on FreeBSD (where 2 means milliseconds).
   */
  readonly timerMicrosecondsFlag: number;
  /** macOS needs NOTE_EXITSTATUS beside NOTE_EXIT to put the wait status in `data`; 0 elsewhere. */
  readonly noteExitStatus: number;
}

/** Which optional kernel facilities a platform ABI has at all (the running kernel may still lack them). */
export interface AbiFeatures {
  readonly epoll: boolean;
  readonly kqueue: boolean;
  readonly eventfd: boolean;
  readonly timerfd: boolean;
  readonly pidfd: boolean;
  readonly mqueue: boolean;
  readonly seqpacket: boolean;
  readonly abstractSockets: boolean;
  /** socket()/socketpair()/accept4() take SOCK_NONBLOCK and SOCK_CLOEXEC (not on macOS). */
  readonly socketTypeFlags: boolean;
  /** recvmsg() takes MSG_CMSG_CLOEXEC (Linux, FreeBSD). */
  readonly msgCmsgCloexec: boolean;
}

/**
 * Everything `ffi/` knows about one platform ABI. One module per ABI exports a value of this type;
 * `ffi/select.ts` picks the one for the running platform, once.
 */
export interface AbiTables {
  /** `${os}-${arch}`, as the module's file is named. */
  readonly id: string;
  /** As `process.platform` spells it. */
  readonly os: "linux" | "darwin" | "freebsd";
  /** As `process.arch` spells it. */
  readonly arch: "x64" | "arm64";
  /**
   * How this table is checked: `"native"` where the layout check runs on the real platform in CI,
   * `"emulated"` under qemu-user, `"unverified"` where no check has run it yet.
   */
  readonly verified: "native" | "emulated" | "unverified";
  /** Shared objects to `dlopen`, tried in order: glibc's soname first, then musl's. */
  readonly libc: readonly string[];
  /** Where the POSIX message-queue calls live, tried in order (libc on glibc >= 2.34, librt on FreeBSD). */
  readonly librt: readonly string[];
  /** Where `openpty` lives, tried in order (libc on glibc >= 2.34, libutil before and on FreeBSD). */
  readonly libutil: readonly string[];
  /** The function that returns this thread's `int *errno`. */
  readonly errnoFunction: "__errno_location" | "__error";
  /**
   * How variadic arguments are passed. `"registers"`: like named ones (SysV x86-64, AAPCS64), so a
   * fixed-arity binding works. `"stack"`: Apple arm64 puts every variadic argument on the stack,
   * so `ffi/variadic.ts` pads the binding until the value lands in the first stack slot.
   */
  readonly variadicArguments: "registers" | "stack";
  /** `mqd_t`: a descriptor on Linux, a pointer on FreeBSD (`mq_getfd_np` gives its descriptor). */
  readonly mqdType: "fd" | "pointer";
  /**
   * The longest message-queue name after its leading `/`, in bytes. Linux: NAME_MAX (255), as
   * glibc drops the slash and the kernel looks the rest up as one mqueuefs component. FreeBSD:
   * 254, as kmq_open copies the name with its slash into NAME_MAX + 1 bytes
   * (sys/kern/uipc_mqueue.c). Absent where there are no message queues.
   */
  readonly mqNameMax?: number;
  readonly features: AbiFeatures;
  readonly structs: {
    readonly timespec: StructLayout<"tv_sec" | "tv_nsec">;
    readonly itimerspec: StructLayout<"it_interval" | "it_value">;
    readonly iovec: StructLayout<"iov_base" | "iov_len">;
    readonly msghdr: StructLayout<
      "msg_name" | "msg_namelen" | "msg_iov" | "msg_iovlen" | "msg_control" | "msg_controllen" | "msg_flags"
    >;
    readonly cmsghdr: StructLayout<"cmsg_len" | "cmsg_level" | "cmsg_type">;
    /** `sun_len` exists only on BSD and macOS: there `sun_family` is one byte at offset 1. */
    readonly sockaddr_un: StructLayout<"sun_family" | "sun_path"> & { readonly fields: { readonly sun_len?: FieldLayout } };
    readonly mq_attr?: StructLayout<"mq_flags" | "mq_maxmsg" | "mq_msgsize" | "mq_curmsgs">;
    readonly epoll_event?: StructLayout<"events" | "data">;
    /** Linux `struct ucred` (SO_PEERCRED). */
    readonly ucred?: StructLayout<"pid" | "uid" | "gid">;
    /** BSD and macOS `struct xucred` (LOCAL_PEERCRED). Only FreeBSD (>= 13) carries the peer's pid in it. */
    readonly xucred?: StructLayout<"cr_version" | "cr_uid" | "cr_ngroups" | "cr_groups"> & {
      readonly fields: { readonly cr_pid?: FieldLayout };
    };
  };
  /** `CMSG_ALIGN`'s unit: 8 on Linux and FreeBSD, 4 on macOS. */
  readonly cmsgAlign: number;
  /**
   * Constants by their C names (`O_NONBLOCK`, `EPOLLET`, `SOCK_CLOEXEC`, `SYS_pidfd_open`, …). A name
   * the platform does not define is absent. Flag values are unsigned: `EPOLLET` is `0x80000000`.
   */
  readonly constants: Readonly<Record<string, number>>;
  /** The native kqueue, where the kernel has one. On Linux, libkqueue's table is `ffi/libkqueue.ts`. */
  readonly kqueue?: KqueueAbi;
}
