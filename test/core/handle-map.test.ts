import { expect, test } from "bun:test";
import { HandleMap } from "../../src/core/handle-map.ts";

test("a token resolves to its value and key until removed", () => {
  const map = new HandleMap<string>();
  const index = map.insert("a", 7);
  const generation = map.generation(index);
  expect(map.get(index, generation)).toBe("a");
  expect(map.key(index, generation)).toBe(7);
  expect(map.has(index, generation)).toBe(true);
  expect(map.size).toBe(1);
  map.remove(index);
  expect(map.get(index, generation)).toBeUndefined();
  expect(map.key(index, generation)).toBe(-1);
  expect(map.has(index, generation)).toBe(false);
  expect(map.size).toBe(0);
});

test("a reused slot gets a new generation: the old token stays stale", () => {
  const map = new HandleMap<string>();
  const first = map.insert("old", 3);
  const oldGeneration = map.generation(first);
  map.remove(first);
  const second = map.insert("new", 3);
  expect(second).toBe(first);
  expect(map.generation(second)).not.toBe(oldGeneration);
  expect(map.get(first, oldGeneration)).toBeUndefined();
  expect(map.get(second, map.generation(second))).toBe("new");
});

test("garbage tokens resolve to nothing: out-of-range index, generation 0", () => {
  const map = new HandleMap<number>();
  const index = map.insert(1, 1);
  expect(map.get(index, 0)).toBeUndefined();
  expect(map.get(123456, 1)).toBeUndefined();
  expect(map.key(123456, 1)).toBe(-1);
  expect(map.get(-1, 1)).toBeUndefined();
});

test("set replaces the value and keeps the token", () => {
  const map = new HandleMap<object>();
  const index = map.insert({ a: 1 }, 5);
  const generation = map.generation(index);
  const replacement = { b: 2 };
  map.set(index, replacement);
  expect(map.get(index, generation)).toBe(replacement);
});

test("churn does not grow the store beyond the live high-water mark", () => {
  const map = new HandleMap<number>();
  const live: number[] = [];
  for (let round = 0; round < 10_000; round++) {
    live.push(map.insert(round, round));
    if (live.length > 32) map.remove(live.shift()!);
  }
  expect(map.size).toBe(32);
  expect(map.capacity).toBeLessThanOrEqual(33);
});

test("removing twice, or a slot never used, changes nothing", () => {
  const map = new HandleMap<number>();
  const index = map.insert(1, 1);
  map.remove(index);
  const generation = map.generation(index);
  map.remove(index);
  map.remove(99);
  expect(map.generation(index)).toBe(generation);
  expect(map.size).toBe(0);
  // The slot is on the free list once, not twice.
  const a = map.insert(2, 2);
  const b = map.insert(3, 3);
  expect(a).not.toBe(b);
});

test("clear releases every slot and stales every token", () => {
  const map = new HandleMap<string>();
  const tokens = ["a", "b", "c"].map((value, key) => {
    const index = map.insert(value, key);
    return [index, map.generation(index)] as const;
  });
  map.clear();
  expect(map.size).toBe(0);
  for (const [index, generation] of tokens) expect(map.get(index, generation)).toBeUndefined();
});

test("the store grows past its initial capacity without losing entries", () => {
  const map = new HandleMap<number>();
  const tokens: [number, number][] = [];
  for (let value = 0; value < 1000; value++) {
    const index = map.insert(value, value);
    tokens.push([index, map.generation(index)]);
  }
  tokens.forEach(([index, generation], value) => expect(map.get(index, generation)).toBe(value));
});
