// EVFILT_SIGNAL. Inside Bun, libkqueue's signal filter is lossy or fatal unless the signal is
// blocked in every thread from the start (docs/design/libkqueue.md §7: another Bun thread takes it and
// the default action kills the process), and `bun test` has a thread that unblocks everything. So
// the case runs in a child started as `env --block-signal=SIGUSR1 bun <script>`. Linux only: that
// is a GNU coreutils option, and there the kqueue is libkqueue.
import { describe, expect, test } from "bun:test";
import { EventFilter } from "../../src/kqueue/kqueue.ts";
import { bunCommand } from "../helpers/env.ts";
import { libkqueuePath } from "../helpers/kqueue-env.ts";

const runnable = process.platform === "linux" && libkqueuePath !== undefined;
const note = runnable ? "" : process.platform === "linux" ? " [skipped: needs BUNIX_LIBKQUEUE]" : " [skipped: Linux only]";

describe.skipIf(!runnable)(`Kqueue, EVFILT_SIGNAL in a child with SIGUSR1 blocked${note}`, () => {
  // Two kill()s of a blocked non-real-time signal coalesce into one pending signal when libkqueue's
  // dispatch thread has not read the first yet (seen under CPU load), so data is 1 or 2.
  test("two SIGUSR1 give one event counting them, with the udata", async () => {
    const child = Bun.spawn(["env", "--block-signal=SIGUSR1", ...bunCommand(`${import.meta.dir}/../helpers/kqueue-signal-child.ts`)], {
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
      env: { ...process.env, BUNIX_LIBKQUEUE: libkqueuePath },
    });
    const [stdout, stderr, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
    expect({ code, stderr }).toEqual({ code: 0, stderr: "" });
    const { signal, events } = JSON.parse(stdout) as { signal: number; events: { ident: number; filter: number; data: number; udata: string }[] };
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ ident: signal, filter: EventFilter.Signal, udata: "usr1" });
    expect(events[0]!.data).toBeGreaterThanOrEqual(1);
    expect(events[0]!.data).toBeLessThanOrEqual(2);
  });
});
