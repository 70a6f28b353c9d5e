// Preloaded by bunfig.toml for every test file.
import { setDefaultTimeout } from "bun:test";
import { installFdLeakGuard } from "../src/testing/index.ts";
import { emulated } from "./helpers/env.ts";

// bunfig has no timeout key. Under qemu-user (the arm64 run) everything is several times slower.
setDefaultTimeout(emulated ? 60_000 : 10_000);

// Bun's first subprocess opens an epoll descriptor and an eventfd that stay open for the life of
// the process. Spawning once here keeps them out of whichever test happens to spawn first.
Bun.spawnSync(["true"]);

// Every test in every file runs under the fd-leak guard: descriptors open after a test that were
// not open before it fail that test.
installFdLeakGuard({ settleMs: emulated ? 1_000 : 200 });
