// KeventList over a hand-filled buffer: accessors, stale entries, the iterator and toArray. No
// kqueue needed, so this runs on every platform.
import { expect, test } from "bun:test";
import { HandleMap } from "../../src/core/handle-map.ts";
import { KeventBuffer } from "../../src/kevent/codec.ts";
import { KeventList, setKeventListLength } from "../../src/kqueue/kevent-list.ts";
import { hostKqueueAbi } from "../../src/kevent/constants.ts";

function listOf(entries: { ident: number; filter: number; data: number; slot: number; generation: number }[]) {
  const handles = new HandleMap<string>();
  const buffer = new KeventBuffer(hostKqueueAbi.kevent, 8);
  const list = new KeventList(buffer, handles);
  entries.forEach((e, i) => buffer.encode(i, e.ident, e.filter, 0x8001, 0x80000000, e.data, e.slot, e.generation));
  setKeventListLength(list, entries.length);
  return { handles, list };
}

test("accessors read each field; udata resolves through the handle map", () => {
  const handles = new HandleMap<string>();
  const a = handles.insert("a", 5);
  const b = handles.insert("b", 6);
  const buffer = new KeventBuffer(hostKqueueAbi.kevent, 4);
  const list = new KeventList(buffer, handles);
  expect(list.length).toBe(0);
  buffer.encode(0, 5, -1, 0x8001, 0, 12, a, handles.generation(a));
  buffer.encode(1, 2 ** 33, -7, 0x0021, 0x80000000, -(2 ** 35), b, handles.generation(b));
  setKeventListLength(list, 2);
  expect(list.length).toBe(2);
  expect([list.ident(0), list.filter(0), list.flags(0), list.fflags(0), list.data(0), list.udata(0)]).toEqual([5, -1, 0x8001, 0, 12, "a"]);
  expect([list.ident(1), list.filter(1), list.flags(1), list.fflags(1), list.data(1), list.udata(1)]).toEqual([
    2 ** 33, -7, 0x21, 0x80000000, -(2 ** 35), "b",
  ]);
});

test("a stale entry keeps ident and filter; its udata reads undefined, never another registration's", () => {
  const handles = new HandleMap<string>();
  const old = handles.insert("old", 5);
  const generation = handles.generation(old);
  const buffer = new KeventBuffer(hostKqueueAbi.kevent, 1);
  const list = new KeventList(buffer, handles);
  buffer.encode(0, 5, -1, 1, 0, 3, old, generation);
  setKeventListLength(list, 1);
  handles.remove(old);
  const reused = handles.insert("new", 5);
  expect(reused).toBe(old); // the same slot, a new generation
  expect(list.udata(0)).toBeUndefined();
  expect(list.ident(0)).toBe(5);
  expect(list.filter(0)).toBe(-1);
  expect(list.data(0)).toBe(3);
});

test("a zero token (no registration) resolves to undefined", () => {
  const { list } = listOf([{ ident: 1, filter: -11, data: 0, slot: 0, generation: 0 }]);
  expect(list.udata(0)).toBeUndefined();
});

test("the iterator and toArray give { ident, filter, flags, fflags, data, udata }; toArray copies", () => {
  const handles = new HandleMap<string>();
  const slot = handles.insert("x", 4);
  const buffer = new KeventBuffer(hostKqueueAbi.kevent, 2);
  const two = new KeventList(buffer, handles);
  buffer.encode(0, 4, -1, 1, 0, 10, slot, handles.generation(slot));
  buffer.encode(1, 9, -2, 1, 0, 20, 0, 0);
  setKeventListLength(two, 2);
  const expected = [
    { ident: 4, filter: -1, flags: 1, fflags: 0, data: 10, udata: "x" },
    { ident: 9, filter: -2, flags: 1, fflags: 0, data: 20, udata: undefined },
  ];
  expect([...two]).toEqual(expected);
  const copy = two.toArray();
  expect(copy).toEqual(expected);
  buffer.encode(0, 99, -1, 1, 0, 0, 0, 0);
  setKeventListLength(two, 0);
  expect(copy[0]!.ident).toBe(4);
  expect([...two]).toEqual([]);
});

test("indexes outside [0, length) are RangeErrors, non-numbers TypeErrors", () => {
  const { list } = listOf([{ ident: 1, filter: -1, data: 0, slot: 0, generation: 0 }]);
  for (const bad of [1, -1, 0.5, NaN, 2 ** 32]) {
    expect(() => list.ident(bad)).toThrow(RangeError);
    expect(() => list.udata(bad)).toThrow(RangeError);
  }
  expect(() => list.data("0" as unknown as number)).toThrow(TypeError);
  setKeventListLength(list, 0);
  expect(() => list.filter(0)).toThrow("empty result");
});
