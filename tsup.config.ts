import { defineConfig } from "tsup";

// dist/ serves resolvers that do not honour the "bun" export condition. bun:* modules exist only
// inside Bun, so they stay imports in the output instead of being resolved at build time.
export default defineConfig({
  // The async helpers' Worker scripts are loaded by URL at run time, so they are entries of their own.
  entry: {
    index: "src/index.ts",
    "testing/index": "src/testing/index.ts",
    "async/readiness-worker": "src/async/readiness-thread/worker.ts",
    "async/kevent-worker": "src/async/libkqueue-helper/worker.ts",
  },
  format: ["esm"],
  target: "esnext",
  platform: "node",
  // tsup's declaration build sets baseUrl, which TypeScript 6 deprecates; silence only that.
  dts: { compilerOptions: { ignoreDeprecations: "6.0" } },
  clean: true,
  sourcemap: true,
  external: [/^bun(:|$)/],
});
