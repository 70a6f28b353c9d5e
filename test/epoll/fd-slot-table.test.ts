import { expect, test } from "bun:test";
import { DENSE_LIMIT, FdSlotTable } from "../../src/epoll/fd-slot-table.ts";

test("slots of small and large descriptor numbers are kept apart and counted", () => {
  const table = new FdSlotTable();
  expect(table.get(3)).toBe(-1);
  table.set(3, 0);
  table.set(1000, 7); // past the initial length: grows
  table.set(DENSE_LIMIT + 5, 9); // above the dense range: the map
  expect([table.get(3), table.get(1000), table.get(DENSE_LIMIT + 5), table.get(4)]).toEqual([0, 7, 9, -1]);
  expect(table.size).toBe(3);
  table.set(3, 2); // replacing does not count twice
  expect(table.size).toBe(3);
  expect(table.get(3)).toBe(2);
});

test("delete and clear forget slots; deleting an unknown number changes nothing", () => {
  const table = new FdSlotTable();
  table.set(5, 1);
  table.set(DENSE_LIMIT * 2, 2);
  table.delete(6);
  table.delete(10_000_000);
  expect(table.size).toBe(2);
  table.delete(5);
  table.delete(DENSE_LIMIT * 2);
  expect([table.get(5), table.get(DENSE_LIMIT * 2), table.size]).toEqual([-1, -1, 0]);
  table.set(7, 3);
  table.clear();
  expect([table.get(7), table.size]).toEqual([-1, 0]);
});

test("slot 0 is a slot, not an absence", () => {
  const table = new FdSlotTable();
  table.set(0, 0);
  expect(table.get(0)).toBe(0);
  expect(table.size).toBe(1);
});
