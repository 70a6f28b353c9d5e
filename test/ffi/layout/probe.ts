/**
 * Turns an ABI table into a list of facts a C compiler can state, writes the C program that prints
 * them, and reads its output back. Nothing here names a struct, field or constant: every name
 * comes from the table, so a table entry added in `ffi/` is checked without touching this file.
 *
 * @module
 */
import type { AbiTables, StructLayout } from "../../../ffi/shape.ts";

/** One number in an ABI table, and the C expression that says what it should be. */
export interface ProbeItem {
  /** Where the number sits in the table, as a property path: `structs.msghdr.fields.msg_flags.offset`. */
  readonly key: string;
  /** Which test reports it: one per struct, one per constant prefix (`constants EPOLL*`). */
  readonly group: string;
  /** The table's value. */
  readonly expected: number;
  /** A C integer expression for the same number. */
  readonly expr: string;
  /** A macro `expr` needs. Where the headers lack it, the probe prints `missing` instead of failing to build. */
  readonly macro?: string;
  /** What to print instead of `missing` when `macro` is undefined (a value the table uses for "none"). */
  readonly fallback?: string;
  /**
   * The number is a flag or constant passed through a 32-bit parameter or field, so only its bit
   * pattern matters (see `sameValue` in compare.ts).
   */
  readonly constant?: boolean;
}

/** What the probe printed for one item. */
export type ProbeValue =
  | { readonly kind: "value"; readonly value: bigint; readonly width: number }
  | { readonly kind: "missing" };

/** The `CMSG_*` arithmetic `ffi/index.ts` exports, checked against the C macros. */
export interface CmsgArithmetic {
  cmsgLen(payload: number): number;
  cmsgSpace(payload: number): number;
  cmsgDataOffset(): number;
}

// Constants the C headers define as enum members (glibc's idtype_t), not as macros.
const ENUMERATORS = new Set(["P_PID"]);

// 1 shows the alignment unit (CMSG_SPACE(1) - CMSG_SPACE(0)); 4, 8, 12 are one to three fds or a
// Linux struct ucred; 16 is a multiple of every unit.
const CMSG_PAYLOADS = [0, 1, 4, 8, 12, 16];

/**
 * Every number of `tables` that C headers can confirm: struct sizes, field offsets and widths,
 * constants, the kqueue table when there is one, and the `CMSG_*` arithmetic given in `cmsg`.
 */
export function probeItems(tables: AbiTables, cmsg: CmsgArithmetic): ProbeItem[] {
  const items: ProbeItem[] = [];
  for (const [name, layout] of Object.entries(tables.structs)) {
    if (layout !== undefined) items.push(...structItems(`structs.${name}`, name, layout));
  }
  items.push(...constantItems("constants", "constants", tables.constants));

  const kqueue = tables.kqueue;
  if (kqueue !== undefined) {
    items.push(...structItems("kqueue.kevent", "kevent", kqueue.kevent));
    items.push(...constantItems("kqueue.constants", "kqueue constants", kqueue.constants));
    const group = "kqueue options";
    // What shape.ts defines these two as: the timer's microseconds unit bit, and macOS's
    // NOTE_EXITSTATUS (0 where the headers have none).
    items.push({ key: "kqueue.timerMicrosecondsFlag", group, expected: kqueue.timerMicrosecondsFlag, expr: "NOTE_USECONDS", macro: "NOTE_USECONDS", constant: true });
    items.push({ key: "kqueue.noteExitStatus", group, expected: kqueue.noteExitStatus, expr: "NOTE_EXITSTATUS", macro: "NOTE_EXITSTATUS", fallback: "0", constant: true });
  }

  const group = "CMSG arithmetic";
  items.push({ key: "cmsgAlign", group, expected: tables.cmsgAlign, expr: "CMSG_SPACE(1) - CMSG_SPACE(0)" });
  for (const n of CMSG_PAYLOADS) {
    items.push({ key: `cmsgLen(${n})`, group, expected: cmsg.cmsgLen(n), expr: `CMSG_LEN(${n})` });
    items.push({ key: `cmsgSpace(${n})`, group, expected: cmsg.cmsgSpace(n), expr: `CMSG_SPACE(${n})` });
  }
  items.push({
    key: "cmsgDataOffset()",
    group,
    expected: cmsg.cmsgDataOffset(),
    expr: "(unsigned char *)CMSG_DATA(&bunix_cmsg) - (unsigned char *)&bunix_cmsg",
  });
  return items;
}

function structItems(path: string, tag: string, layout: StructLayout): ProbeItem[] {
  const type = `struct ${tag}`;
  const items: ProbeItem[] = [{ key: `${path}.size`, group: type, expected: layout.size, expr: `sizeof(${type})` }];
  for (const [field, { offset, size }] of Object.entries(layout.fields)) {
    items.push({ key: `${path}.fields.${field}.offset`, group: type, expected: offset, expr: `offsetof(${type}, ${field})` });
    items.push({ key: `${path}.fields.${field}.size`, group: type, expected: size, expr: `sizeof(((${type} *)0)->${field})` });
  }
  return items;
}

function constantItems(path: string, label: string, constants: Readonly<Record<string, number>>): ProbeItem[] {
  const entries = Object.entries(constants);
  // A constant's family in the C headers is what comes before its first underscore (EPOLL, O, SOCK,
  // MSG, SYS, EVFILT, NOTE, …). A name without one joins the longest family it starts with, so
  // EPOLLIN sits with EPOLL_CLOEXEC and SOMAXCONN with SO_TYPE.
  const prefix = (name: string): string | undefined => (name.indexOf("_") > 0 ? name.slice(0, name.indexOf("_")) : undefined);
  const families = entries.map(([name]) => prefix(name)).filter((f) => f !== undefined);
  const family = (name: string): string => {
    const own = prefix(name);
    if (own !== undefined) return own;
    const longest = families.filter((f) => name.startsWith(f)).sort((a, b) => b.length - a.length)[0];
    return longest ?? name;
  };
  return entries.map(([name, value]) => ({
    key: `${path}.${name}`,
    group: `${label} ${family(name)}*`,
    expected: value,
    expr: name,
    // An enumerator is no macro: #ifdef would call it missing, so it is printed unguarded.
    ...(ENUMERATORS.has(name) ? {} : { macro: name }),
    constant: true,
  }));
}

/**
 * The C program that prints one `key value width` line per item (`key missing` where a macro is
 * undefined). The headers follow the table's features, so a table that claims epoll needs
 * `<sys/epoll.h>` to build.
 */
export function probeSource(tables: AbiTables, items: readonly ProbeItem[]): string {
  const { features, structs } = tables;
  const headers = [
    "sys/types.h",
    // FreeBSD's <sys/ucred.h> needs <sys/param.h> first.
    "sys/param.h",
    "stddef.h",
    "stdio.h",
    // MQ_PRIO_MAX.
    "limits.h",
    "fcntl.h",
    "time.h",
    "unistd.h",
    // waitid's P_* and W* constants.
    "sys/wait.h",
    "sys/socket.h",
    "sys/uio.h",
    "sys/un.h",
    ...(features.epoll ? ["sys/epoll.h"] : []),
    ...(features.eventfd ? ["sys/eventfd.h"] : []),
    ...(features.timerfd ? ["sys/timerfd.h"] : []),
    ...(features.mqueue ? ["mqueue.h"] : []),
    ...(features.kqueue ? ["sys/event.h"] : []),
    ...(structs.xucred !== undefined ? ["sys/ucred.h"] : []),
  ];
  // Present only on some systems or libc versions; what they would define shows up as `missing`.
  const optionalHeaders = ["sys/syscall.h", ...(features.pidfd ? ["sys/pidfd.h"] : [])];

  const lines = [
    "/* Generated by test/ffi/layout/probe.ts from the ABI table; not kept. */",
    "/* glibc hides struct ucred without it; other libcs ignore it. */",
    "#define _GNU_SOURCE 1",
    ...headers.map((h) => `#include <${h}>`),
    ...optionalHeaders.flatMap((h) => [`#if defined(__has_include) && __has_include(<${h}>)`, `#include <${h}>`, "#endif"]),
    "",
    "static struct cmsghdr bunix_cmsg;",
    "",
    "/* Every value as a signed long long plus its sizeof: compare.ts decides what a match is. */",
    "#define BUNIX_PRINT(key, expr) printf(\"%s %lld %d\\n\", key, (long long)(expr), (int)sizeof(expr))",
    "",
    "int main(void) {",
  ];
  for (const item of items) {
    const print = (expr: string) => `  BUNIX_PRINT(${JSON.stringify(item.key)}, ${expr});`;
    if (item.macro === undefined) {
      lines.push(print(item.expr));
      continue;
    }
    lines.push(`#ifdef ${item.macro}`, print(item.expr), "#else");
    lines.push(item.fallback !== undefined ? print(item.fallback) : `  puts(${JSON.stringify(`${item.key} missing`)});`);
    lines.push("#endif");
  }
  lines.push("  return 0;", "}", "");
  return lines.join("\n");
}

/**
 * Reads the probe's output back into a map from key to value.
 * @throws Error on a line that is neither `key value width` nor `key missing`.
 */
export function parseProbeOutput(stdout: string): Map<string, ProbeValue> {
  const results = new Map<string, ProbeValue>();
  for (const line of stdout.split("\n")) {
    if (line.trim() === "") continue;
    const [key, value, width, ...rest] = line.trim().split(/\s+/);
    if (key !== undefined && value === "missing" && width === undefined) {
      results.set(key, { kind: "missing" });
    } else if (key !== undefined && value !== undefined && width !== undefined && rest.length === 0 && /^-?\d+$/.test(value) && /^\d+$/.test(width)) {
      results.set(key, { kind: "value", value: BigInt(value), width: Number(width) });
    } else {
      throw new Error(`Cannot read the layout probe's output: unexpected line ${JSON.stringify(line)}`);
    }
  }
  return results;
}
