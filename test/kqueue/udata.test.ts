// udata lifetime: tokens in the kernel, values in the handle map; stale tokens resolve to
// undefined and never to another registration's data; one-shot udata is delivered, then released.
import { describe, expect, test } from "bun:test";
import { EventFilter, EventFlags, type Kqueue } from "../../src/kqueue/kqueue.ts";
import { haveKqueue, holdKqueueRuntime, needsKqueue, openKqueue } from "../helpers/kqueue-env.ts";

holdKqueueRuntime();

describe.skipIf(!haveKqueue)(`Kqueue udata${needsKqueue}`, () => {
  test("unregistering while a batch is read makes its entries stale: ident and filter kept, udata undefined", () => {
    using kq = openKqueue<string>();
    kq.register(1, EventFilter.User, EventFlags.ADD | EventFlags.CLEAR, "one");
    kq.register(2, EventFilter.User, EventFlags.ADD | EventFlags.CLEAR, "two");
    kq.trigger(1);
    kq.trigger(2);
    const events = kq.wait(1000);
    expect(events.length).toBe(2);
    const index = events.ident(0) === 1 ? 0 : 1;
    expect(events.udata(index)).toBe("one");
    kq.unregister(1, EventFilter.User);
    expect(events.udata(index)).toBeUndefined();
    expect(events.ident(index)).toBe(1);
    expect(events.filter(index)).toBe(EventFilter.User);
    expect(events.udata(1 - index)).toBe("two");
    expect([...events].find((e) => e.ident === 1)?.udata).toBeUndefined();
    kq.unregister(2, EventFilter.User);
  });

  test("a stale token never yields the data of the registration that reuses its slot", () => {
    using kq = openKqueue<string>();
    kq.register(1, EventFilter.User, EventFlags.ADD | EventFlags.CLEAR, "old");
    kq.trigger(1);
    const events = kq.wait(1000);
    kq.unregister(1, EventFilter.User);
    kq.register(2, EventFilter.User, EventFlags.ADD | EventFlags.CLEAR, "new"); // takes the freed slot
    expect(events.udata(0)).toBeUndefined();
    kq.trigger(2);
    expect(kq.wait(1000).udata(0)).toBe("new");
    kq.unregister(2, EventFilter.User);
  });

  test("re-registering the same ident after unregister gets the new data only", () => {
    using kq = openKqueue<string>();
    kq.register(1, EventFilter.User, EventFlags.ADD | EventFlags.CLEAR, "first");
    kq.unregister(1, EventFilter.User);
    kq.register(1, EventFilter.User, EventFlags.ADD | EventFlags.CLEAR, "second");
    kq.trigger(1);
    expect(kq.wait(1000).toArray().map((e) => e.udata)).toEqual(["second"]);
    kq.unregister(1, EventFilter.User);
  });

  test("a one-shot event delivers its udata in its batch; the next wait releases it", async () => {
    using kq = openKqueue<object>();
    const watched = registerOneShot(kq);
    const events = kq.wait(1000);
    expect(events.length).toBe(1);
    expect(events.udata(0)).toBeInstanceOf(Payload);
    expect(events.udata(0)).toBe(watched.deref()!);
    // A new registration of the same (ident, filter) while the batch is read gets a slot of its
    // own and does not disturb it.
    const ident = events.ident(0);
    kq.register(ident, EventFilter.Timer, EventFlags.ADD | EventFlags.ONESHOT, { other: true }, 0, 60_000);
    expect(events.udata(0)).toBeInstanceOf(Payload);
    kq.unregister(ident, EventFilter.Timer);
    expect(kq.wait(0).length).toBe(0);
    // Released: nothing in the kqueue holds the value any more.
    expect(await collected(watched)).toBe(true);
  });

  test("control: a live registration keeps its udata reachable", async () => {
    using kq = openKqueue<object>();
    const watched = registerPlain(kq);
    expect(await collected(watched)).toBe(false);
    kq.unregister(11, EventFilter.User);
  });

  test("close releases every udata", async () => {
    const kq = openKqueue<object>();
    const watched = registerPlain(kq);
    kq.close();
    expect(await collected(watched)).toBe(true);
  });

  test("unregister releases the udata", async () => {
    using kq = openKqueue<object>();
    const watched = registerPlain(kq);
    kq.unregister(11, EventFilter.User);
    expect(await collected(watched)).toBe(true);
  });
});

class Payload {
  readonly bytes = new Uint8Array(1024);
}

// In functions of their own, so no local variable of the test keeps the value alive.
function registerOneShot(kq: Kqueue<object>): WeakRef<Payload> {
  const value = new Payload();
  kq.registerTimer(1, EventFlags.ADD | EventFlags.ONESHOT, value);
  return new WeakRef(value);
}

function registerPlain(kq: Kqueue<object>): WeakRef<Payload> {
  const value = new Payload();
  kq.register(11, EventFilter.User, EventFlags.ADD, value);
  return new WeakRef(value);
}

async function collected(ref: WeakRef<object>): Promise<boolean> {
  for (let attempt = 0; attempt < 20 && ref.deref() !== undefined; attempt++) {
    Bun.gc(true);
    await Bun.sleep(5);
  }
  return ref.deref() === undefined;
}
