// EventFilter, EventFlags and Note come from the running platform's kqueue flavour by C name:
// the native one on macOS and FreeBSD, libkqueue's on Linux.
import { expect, test } from "bun:test";
import { abi, libkqueueAbi } from "../../ffi/index.ts";
import { EventFilter, EventFlags, Note, hostKqueueAbi } from "../../src/kevent/constants.ts";

const table = hostKqueueAbi.constants;

test("the flavour is the native kqueue where there is one, else libkqueue's", () => {
  expect(hostKqueueAbi).toBe(abi?.kqueue ?? libkqueueAbi);
  if (process.platform === "linux") expect(hostKqueueAbi.flavour).toBe("libkqueue");
});

test("every exported value is the table's value of its C name", () => {
  const filterNames: Record<string, string> = { Read: "EVFILT_READ", Write: "EVFILT_WRITE", Aio: "EVFILT_AIO", Vnode: "EVFILT_VNODE", Proc: "EVFILT_PROC", Signal: "EVFILT_SIGNAL", Timer: "EVFILT_TIMER", User: "EVFILT_USER" };
  for (const [key, name] of Object.entries(filterNames)) expect((EventFilter as unknown as Record<string, number | undefined>)[key]).toBe(table[name]);
  for (const [key, value] of Object.entries(EventFlags)) expect(value).toBe(table[`EV_${key}`]);
  for (const [key, value] of Object.entries(Note)) expect(value).toBe(table[`NOTE_${key}`]);
});

test("the public enum names are present wherever the flavour defines them", () => {
  for (const key of ["Read", "Write", "Aio", "Vnode", "Proc", "Signal", "Timer", "User"]) expect(EventFilter).toHaveProperty(key);
  // The one filter that libkqueue numbers but does not implement: -3 on every flavour.
  expect(EventFilter.Aio).toBe(-3);
  for (const key of ["ADD", "DELETE", "ENABLE", "DISABLE", "ONESHOT", "CLEAR", "RECEIPT", "DISPATCH", "EOF", "ERROR"]) {
    expect(typeof EventFlags[key as keyof typeof EventFlags]).toBe("number");
  }
  for (const key of ["EXIT", "FORK", "EXEC", "TRIGGER", "SECONDS", "USECONDS", "NSECONDS", "FFNOP", "FFAND", "FFOR", "FFCOPY", "DELETE", "WRITE"]) {
    expect(typeof Note[key as keyof typeof Note]).toBe("number");
  }
});

test("absent names are absent, not 0", () => {
  for (const value of [...Object.values(EventFilter), ...Object.values(EventFlags), ...Object.values(Note)]) {
    expect(value).toBeNumber();
  }
  if (hostKqueueAbi.flavour === "libkqueue") {
    expect("Fs" in EventFilter).toBe(false);
    expect("MSECONDS" in Note).toBe(false);
    expect("EXITSTATUS" in Note).toBe(false);
    expect(EventFilter.User).toBe(-11);
    expect(Note.USECONDS).toBe(2);
  }
  if (hostKqueueAbi.flavour === "darwin") expect(EventFilter.User).toBe(-10);
  if (hostKqueueAbi.flavour === "freebsd") expect(Note.USECONDS).toBe(4);
});

test("flag values are unsigned: the high bit is a positive number", () => {
  expect(Note.EXIT).toBe(0x80000000);
  expect(Note.FFOR).toBe(0x80000000);
  for (const value of Object.values(Note)) expect(value).toBeGreaterThanOrEqual(0);
  expect(Note.USECONDS).toBe(hostKqueueAbi.timerMicrosecondsFlag);
});

test("the objects are frozen", () => {
  expect(Object.isFrozen(EventFilter)).toBe(true);
  expect(Object.isFrozen(EventFlags)).toBe(true);
  expect(Object.isFrozen(Note)).toBe(true);
});
