import { expect, test } from "bun:test";
import { validateBoolean, validateFd, validateInteger, validateOptions, validateUint32 } from "../../src/core/validate.ts";

test("fds: integers from 0 to 2^31 - 1", () => {
  expect(validateFd(0)).toBe(0);
  expect(validateFd(2 ** 31 - 1)).toBe(2 ** 31 - 1);
  for (const bad of [-1, 1.5, NaN, 2 ** 31, Infinity]) expect(() => validateFd(bad)).toThrow(RangeError);
  for (const bad of [null, undefined, "3", 3n, {}]) expect(() => validateFd(bad)).toThrow(TypeError);
  expect(() => validateFd(null, "target")).toThrow('The "target" argument must be of type number. Received null');
});

test("unsigned 32-bit masks accept the high bit as a positive number and refuse negatives", () => {
  expect(validateUint32(0x80000000, "events")).toBe(0x80000000);
  expect(validateUint32(0xffffffff, "events")).toBe(0xffffffff);
  expect(() => validateUint32(-0x80000000, "events")).toThrow(RangeError);
  expect(() => validateUint32(2 ** 32, "events")).toThrow(RangeError);
});

test("integers in a range name the argument and the bounds", () => {
  expect(() => validateInteger(0, "maxEvents", 1, 10)).toThrow(/"maxEvents".*>= 1 and <= 10.*Received type number \(0\)/);
});

test("booleans default when undefined and refuse other types", () => {
  expect(validateBoolean(undefined, "nonblocking", true)).toBe(true);
  expect(validateBoolean(false, "nonblocking", true)).toBe(false);
  expect(() => validateBoolean(1, "nonblocking", false)).toThrow(TypeError);
});

test("options: undefined is empty; null, arrays and primitives are TypeErrors", () => {
  expect(validateOptions(undefined)).toEqual({});
  const options = { a: 1 };
  expect(validateOptions(options)).toBe(options);
  for (const bad of [null, [], 5, "x"]) expect(() => validateOptions(bad as never)).toThrow(TypeError);
});
