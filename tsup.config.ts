import { defineConfig, type Options } from "tsup";

// dist/ is what every resolver loads, Bun's included: bun:* modules exist only inside Bun, so they
// stay imports in the output instead of being resolved at build time. No source maps: they would
// be 40 % of the package and point at sources a user's bundler never sees.
const shared: Options = {
  format: ["esm"],
  target: "esnext",
  platform: "node",
  sourcemap: false,
  external: [/^bun(:|$)/],
};

/** The command-line tools, run by the bin shims in bin/. */
const tools = ["mqsend", "mqrecv", "bunix-echo", "bunix-ping"];

/** Each helper Worker script: its source, and the file it is built into under dist/async/. */
const workers = {
  "readiness-worker": "src/async/readiness-thread/worker.ts",
  "kevent-worker": "src/async/libkqueue-helper/worker.ts",
} as const;

// The published replacement of src/async/worker-url.ts. Each script is imported `with { type:
// "file" }`, kept as is in dist/ (external), so that an app's `bun build` copies the script beside
// its bundle and `bun build --compile` embeds it. The import gives an absolute path when dist/ runs
// unbundled or compiled (`/$bunfs/...`), and a path relative to the bundle after `bun build`.
const publishedWorkerUrl = `
${Object.keys(workers)
  .map((name, i) => `import script${i} from "./async/${name}.js" with { type: "file" };`)
  .join("\n")}
const scripts = { ${Object.keys(workers)
  .map((name, i) => `"${name}": script${i}`)
  .join(", ")} };
export function helperScriptUrl(script) {
  const path = scripts[script];
  return path.startsWith("./") || path.startsWith("../") ? new URL(path, import.meta.url).href : path;
}
`;

const publishedWorkerUrlPlugin = {
  name: "bunix-published-worker-url",
  setup(build: { onLoad: Function; onResolve: Function }) {
    build.onLoad({ filter: /[\\/]src[\\/]async[\\/]worker-url\.ts$/ }, () => ({
      contents: publishedWorkerUrl,
      loader: "js",
    }));
    build.onResolve({ filter: /^\.\/async\/.*-worker\.js$/ }, (args: { path: string }) => ({
      path: args.path,
      external: true,
    }));
  },
};

export default defineConfig([
  {
    ...shared,
    entry: {
      index: "src/index.ts",
      "testing/index": "src/testing/index.ts",
      node: "src/node.ts",
      ...Object.fromEntries(tools.map((tool) => [`tools/${tool}`, `src/tools/${tool}.ts`])),
    },
    // tsup's declaration build sets baseUrl, which TypeScript 6 deprecates; silence only that.
    // scripts/finish-dts.ts then takes the @internal items out.
    dts: {
      entry: { index: "src/index.ts", "testing/index": "src/testing/index.ts" },
      compilerOptions: { ignoreDeprecations: "6.0" },
    },
    esbuildPlugins: [publishedWorkerUrlPlugin],
  },
  {
    // Each Worker script is one self-contained file (no shared chunks): a bundler copies it as a
    // plain file, so it must need nothing beside it.
    ...shared,
    entry: Object.fromEntries(Object.entries(workers).map(([name, source]) => [`async/${name}`, source])),
    splitting: false,
  },
]);
