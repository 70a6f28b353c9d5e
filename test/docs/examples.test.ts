// The code in the README and the guides is checked as users would meet it: every ```ts block that
// imports something is type-checked against the package's types (a block without an import
// continues an earlier one: a fragment, left out), and blocks marked `<!-- check: run -->` (or
// `<!-- check: run if FEATURE -->`, a key of platform.supports) are run with Bun and must exit 0.
// "bunix" resolves to this checkout's sources through a stand-in package in a temporary project.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { platform, type PlatformSupport } from "../../src/index.ts";
import { emulated } from "../helpers/env.ts";

const repo = new URL("../..", import.meta.url).pathname;
const documents = ["README.md", ...readdirSync(join(repo, "docs/guides")).filter((name) => name.endsWith(".md")).map((name) => `docs/guides/${name}`)];

interface Example {
  readonly document: string;
  readonly line: number;
  readonly code: string;
  /** Whether to run it: never, always, or when the platform supports a feature. */
  readonly run: false | true | keyof PlatformSupport;
  readonly file: string;
}

/** The ```ts blocks of a Markdown file, with the check marker on the line before each. */
function examplesOf(document: string): Example[] {
  const lines = readFileSync(join(repo, document), "utf8").split("\n");
  const examples: Example[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i]!.trim() !== "```ts") continue;
    const marker = /<!-- check: run(?: if (\w+))? -->/.exec(lines[i - 1] ?? "");
    const end = lines.indexOf("```", i + 1);
    const name = `${document.replace(/[/.]/g, "_")}_${i + 1}.ts`;
    const run = marker === null ? false : ((marker[1] as keyof PlatformSupport | undefined) ?? true);
    const code = lines.slice(i + 1, end).join("\n");
    if (!/^import /m.test(code) && marker === null) {
      i = end;
      continue;
    }
    examples.push({ document, line: i + 1, code, run, file: name });
    i = end;
  }
  return examples;
}

const examples = documents.flatMap(examplesOf);
const project = mkdtempSync(join(tmpdir(), "bunix-examples-"));
afterAll(() => rmSync(project, { recursive: true, force: true }));

// A stand-in for the installed package: the same two entry points, over this checkout's sources.
const standIn = join(project, "node_modules", "bunix");
mkdirSync(standIn, { recursive: true });
writeFileSync(join(standIn, "index.ts"), `export * from ${JSON.stringify(join(repo, "src/index.ts"))};\n`);
writeFileSync(join(standIn, "testing.ts"), `export * from ${JSON.stringify(join(repo, "src/testing/index.ts"))};\n`);
writeFileSync(
  join(standIn, "package.json"),
  JSON.stringify({ name: "bunix", type: "module", exports: { ".": "./index.ts", "./testing": "./testing.ts" } }),
);
writeFileSync(join(project, "package.json"), JSON.stringify({ name: "examples", private: true, type: "module" }));
writeFileSync(
  join(project, "tsconfig.json"),
  JSON.stringify({
    compilerOptions: {
      target: "ESNext",
      module: "Preserve",
      moduleResolution: "bundler",
      lib: ["ESNext"],
      types: ["bun"],
      typeRoots: [join(repo, "node_modules/@types")],
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      allowImportingTsExtensions: true,
    },
    include: ["*.ts"],
  }),
);
// Each block is a module of its own (top-level await, no clashes between blocks' names).
for (const example of examples) writeFileSync(join(project, example.file), `${example.code}\nexport {};\n`);

const TIMEOUT_MS = emulated ? 600_000 : 120_000;

describe("the code in the README and the guides", () => {
  test("there is some: the README's program and every guide's examples", () => {
    expect(examples.filter((example) => example.document === "README.md" && example.run === true).length).toBeGreaterThan(0);
    for (const guide of ["choosing-an-api", "closing-and-lifetimes", "ipc"]) {
      expect(examples.some((example) => example.document === `docs/guides/${guide}.md`)).toBe(true);
    }
  });

  test("type-checks", () => {
    const tsc = Bun.spawnSync([process.execPath, join(repo, "node_modules/typescript/bin/tsc"), "-p", project], { cwd: project });
    const output = tsc.stdout.toString() + tsc.stderr.toString();
    // Name each failure by document and line, not by the temporary file.
    const located = output.replace(/(\S+_md_(\d+))\.ts\((\d+),(\d+)\)/g, (_all, name: string, line: string, row: string) => {
      const example = examples.find((candidate) => candidate.file === `${name}.ts`)!;
      return `${example.document}:${Number(line) + Number(row)}`;
    });
    expect(located).toBe("");
    expect(tsc.exitCode).toBe(0);
  }, TIMEOUT_MS);

  for (const example of examples) {
    if (example.run === false) continue;
    const supported = example.run === true || platform.supports[example.run];
    test.skipIf(!supported)(`runs: ${example.document} line ${example.line}`, () => {
      const run = Bun.spawnSync([process.execPath, example.file], { cwd: project, timeout: TIMEOUT_MS - 5_000 });
      const stderr = run.stderr.toString();
      expect({ exitCode: run.exitCode, stderr: run.exitCode === 0 ? "" : stderr }).toEqual({ exitCode: 0, stderr: "" });
    }, TIMEOUT_MS);
  }
});
