/**
 * Compares an ABI table's numbers with what the C probe printed, and words each disagreement so a
 * failing test names the table entry, the C value and the table's value.
 *
 * @module
 */
import type { ProbeItem, ProbeValue } from "./probe.ts";

/**
 * Whether the C value and the table's value are the same number for the library's purposes.
 *
 * Headers spell 32-bit flags in several ways: `0x80000000` (an unsigned int), `1u << 31` inside an
 * enum (which GCC then types unsigned int), `(int)0x80000000`, or a negative enumerator. The probe
 * prints every value as a signed long long plus its sizeof, so EPOLLET may arrive as 2147483648 or
 * as -2147483648, while the table keeps flags unsigned (shape.ts) and filters negative
 * (EVFILT_READ is -1). The library passes such constants through 32-bit parameters and fields,
 * where only the bit pattern counts, so a constant no wider than 4 bytes matches when the low 32
 * bits agree and the table's value fits 32 bits either way. Anything wider, and every size and
 * offset, must be equal outright.
 */
export function sameValue(item: ProbeItem, value: bigint, width: number): boolean {
  if (!Number.isSafeInteger(item.expected)) return false;
  const expected = BigInt(item.expected);
  if (expected === value) return true;
  const fits32 = expected >= -(2n ** 31n) && expected < 2n ** 32n;
  return item.constant === true && width <= 4 && fits32 && BigInt.asUintN(32, expected) === BigInt.asUintN(32, value);
}

/**
 * One line per item whose table value the C headers contradict, or that the headers lack;
 * an empty list when all agree.
 *
 * @param items What to check, from `probeItems`.
 * @param results What the probe printed, from `parseProbeOutput`.
 * @param tableName The table's id (`linux-x64`), for the messages.
 */
export function compareProbe(items: readonly ProbeItem[], results: ReadonlyMap<string, ProbeValue>, tableName: string): string[] {
  const mismatches: string[] = [];
  for (const item of items) {
    const result = results.get(item.key);
    const table = `the ${tableName} table has ${show(item, item.expected)}`;
    if (result === undefined) {
      mismatches.push(`${item.key}: the C probe printed nothing for it (${item.expr}); ${table}`);
    } else if (result.kind === "missing") {
      mismatches.push(`${item.key}: the C headers do not define ${item.macro}; ${table}`);
    } else if (!sameValue(item, result.value, result.width)) {
      mismatches.push(`${item.key}: C's ${item.expr} is ${show(item, result.value)}; ${table}`);
    }
  }
  return mismatches;
}

function show(item: ProbeItem, value: number | bigint): string {
  const n = BigInt(value);
  // Flags read best in hex; small numbers, negatives and sizes in decimal.
  return item.constant === true && n > 9n ? `${n} (0x${n.toString(16)})` : `${n}`;
}
