// The layout check: every struct size, field offset and width, constant and CMSG_* result in the
// running platform's ABI table (ffi/select.ts) against what the C headers say. The C program is
// generated from the table itself (layout/probe.ts), built with the system compiler ($CC or cc;
// Debian's aarch64 cross compiler under the arm64 run), and run once for the whole file.
import { beforeAll, describe, expect, test } from "bun:test";
import { cmsgDataOffset, cmsgLen, cmsgSpace } from "../../ffi/index.ts";
import { abi, abiTables } from "../../ffi/select.ts";
import type { AbiTables } from "../../ffi/shape.ts";
import { compareProbe, sameValue } from "./layout/compare.ts";
import { parseProbeOutput, probeItems, probeSource, type ProbeItem, type ProbeValue } from "./layout/probe.ts";
import { compileAndRun, findToolchain } from "./layout/toolchain.ts";

const cmsg = { cmsgLen, cmsgSpace, cmsgDataOffset };
const toolchain = findToolchain();
const skipReason = abi === undefined ? `no ABI table for ${process.platform}-${process.arch}` : "missing" in toolchain ? toolchain.missing : undefined;
// Bun prints a skipped test's name, so the name carries the reason.
const skipNote = skipReason === undefined ? "" : ` [skipped: ${skipReason}]`;

let probed: Map<string, ProbeValue> | Error = new Error("the C probe has not run");

// Once for the file, and outside any test: Bun's first spawnSync in a process opens an epoll and an
// eventfd that stay open for good, which the fd-leak guard (test/setup.ts) would blame on a test.
beforeAll(() => {
  if (abi === undefined || "missing" in toolchain) return;
  try {
    probed = parseProbeOutput(compileAndRun(toolchain, probeSource(abi, probeItems(abi, cmsg))));
  } catch (error) {
    probed = error instanceof Error ? error : new Error(String(error));
  }
});

/** What the C headers say about every item of the host table. */
function cResults(): Map<string, ProbeValue> {
  if (probed instanceof Error) throw probed;
  return probed;
}

function byGroup(items: readonly ProbeItem[]): Map<string, ProbeItem[]> {
  const groups = new Map<string, ProbeItem[]>();
  for (const item of items) groups.set(item.group, [...(groups.get(item.group) ?? []), item]);
  return groups;
}

describe(`ffi/${abi?.id ?? `${process.platform}-${process.arch}`} against the C headers`, () => {
  const host = abi;
  if (host === undefined) {
    test.skip(`the layout check${skipNote}`, () => {});
    return;
  }
  for (const [group, items] of byGroup(probeItems(host, cmsg))) {
    test.skipIf(skipReason !== undefined)(`${group}${skipNote}`, () => {
      expect(compareProbe(items, cResults(), host.id)).toEqual([]);
    });
  }

  test.skipIf(skipReason !== undefined)(`a copy of the table with deliberately wrong entries fails on exactly those${skipNote}`, () => {
    // A copy of the host table with one constant, one struct size and one field offset off.
    const [constantName, constantValue] = Object.entries(host.constants)[0] ?? [];
    const [structName, layout] = Object.entries(host.structs)[0] ?? [];
    const [fieldName, field] = Object.entries(layout?.fields ?? {})[0] ?? [];
    if (constantName === undefined || constantValue === undefined || layout === undefined || fieldName === undefined || field === undefined) {
      throw new Error(`the ${host.id} table has no constants or struct fields`);
    }
    const wrong: AbiTables = {
      ...host,
      constants: { ...host.constants, [constantName]: constantValue + 1 },
      structs: {
        ...host.structs,
        [structName]: { size: layout.size + 8, fields: { ...layout.fields, [fieldName]: { ...field, offset: field.offset + 1 } } },
      },
    };

    const mismatches = compareProbe(probeItems(wrong, cmsg), cResults(), host.id);
    expect(mismatches.map((line) => line.slice(0, line.indexOf(":")))).toEqual([
      `structs.${structName}.size`,
      `structs.${structName}.fields.${fieldName}.offset`,
      `constants.${constantName}`,
    ]);
  });
});

describe("the layout comparer", () => {
  // Any table will do for checking the comparer itself; the host's where there is one.
  const tables = abi ?? Object.values(abiTables)[0];
  if (tables === undefined) throw new Error("ffi/select.ts lists no tables");
  const items = probeItems(tables, cmsg);
  const agreeing = new Map<string, ProbeValue>(items.map((item) => [item.key, { kind: "value", value: BigInt(item.expected), width: 4 }]));

  test("finds nothing when C agrees with the table", () => {
    expect(compareProbe(items, agreeing, tables.id)).toEqual([]);
  });

  test("names every entry C contradicts, lacks, or did not print", () => {
    const offset = items.find((item) => item.key.endsWith(".offset"));
    const [lacked, unprinted] = items.filter((item) => item.constant === true);
    if (offset === undefined || lacked === undefined || unprinted === undefined) throw new Error("the table has no fields or constants");
    const results = new Map(agreeing);
    results.set(offset.key, { kind: "value", value: BigInt(offset.expected + 1), width: 8 });
    results.set(lacked.key, { kind: "missing" });
    results.delete(unprinted.key);
    expect(compareProbe(items, results, tables.id)).toEqual([
      `${offset.key}: C's ${offset.expr} is ${offset.expected + 1}; the ${tables.id} table has ${offset.expected}`,
      expect.stringContaining(`${lacked.key}: the C headers do not define ${lacked.macro}; the ${tables.id} table has`),
      expect.stringContaining(`${unprinted.key}: the C probe printed nothing for it`),
    ]);
  });

  test("matches 32-bit constants by bit pattern, and nothing else", () => {
    const flag: ProbeItem = { key: "constants.FLAG", group: "g", expected: 0x80000000, expr: "FLAG", macro: "FLAG", constant: true };
    expect(sameValue(flag, -(2n ** 31n), 4)).toBe(true);
    expect(sameValue(flag, 2n ** 31n, 8)).toBe(true);
    expect(sameValue(flag, -(2n ** 31n), 8)).toBe(false);
    expect(sameValue(flag, 2n ** 30n, 4)).toBe(false);
    const filter: ProbeItem = { ...flag, expected: -1 };
    expect(sameValue(filter, 0xffffffffn, 4)).toBe(true);
    expect(sameValue(filter, 0xffffn, 2)).toBe(false);
    const size: ProbeItem = { key: "structs.s.size", group: "g", expected: -1, expr: "sizeof(struct s)" };
    expect(sameValue(size, 0xffffffffn, 4)).toBe(false);
  });

});
