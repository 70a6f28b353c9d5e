import { expect, test } from "bun:test";
import { closeDescriptor } from "../../src/core/fd.ts";
import { countOpenFds, isCloseOnExec, listOpenFds, newDescriptors } from "../../src/testing/index.ts";
import { rawEventFd } from "../helpers/test-resource.ts";

test("lists open descriptors with what each is", () => {
  const fd = rawEventFd();
  try {
    const entry = listOpenFds().find((open) => open.fd === fd);
    expect(entry).toBeDefined();
    if (process.platform === "linux") expect(entry!.target).toBe("anon_inode:[eventfd]");
    expect(listOpenFds().map((open) => open.fd)).toEqual([...listOpenFds().map((open) => open.fd)].sort((a, b) => a - b));
  } finally {
    closeDescriptor(fd);
  }
  expect(listOpenFds().some((open) => open.fd === fd)).toBe(false);
});

test("counts follow opens and closes", () => {
  const before = countOpenFds();
  const a = rawEventFd();
  const b = rawEventFd();
  expect(countOpenFds()).toBe(before + 2);
  closeDescriptor(a);
  closeDescriptor(b);
  expect(countOpenFds()).toBe(before);
});

test("newDescriptors reports what appeared since a snapshot, and honours ignore", () => {
  const before = listOpenFds();
  const fd = rawEventFd();
  try {
    expect(newDescriptors(before).map((open) => open.fd)).toEqual([fd]);
    expect(newDescriptors(before, (open) => open.fd === fd)).toEqual([]);
  } finally {
    closeDescriptor(fd);
  }
  expect(newDescriptors(before)).toEqual([]);
});

test("isCloseOnExec tells the flag", () => {
  const fd = rawEventFd();
  try {
    expect(isCloseOnExec(fd)).toBe(true);
  } finally {
    closeDescriptor(fd);
  }
});
