/**
 * Finishes the declaration files tsup wrote into dist/, so that they promise what the JavaScript
 * keeps:
 *
 * - Items marked `@internal` leave the published types. TypeScript's own `stripInternal` cannot be
 *   used: the bundled declarations still name internal types from public ones, and the bundling
 *   then fails. Here an internal member goes (an internal constructor becomes `private
 *   constructor()`, so the class still cannot be built by hand), and so do the module comments of
 *   internal modules; the internal types public signatures need stay, unexported.
 * - A class the sources export as a type only (`export type { PollEvents }`) is exported as a type
 *   here too. The bundler drops that `type`, and then `x instanceof PollEvents` type-checks and
 *   fails at run time, where no such export exists.
 *
 * Run after tsup by `npm run build`, with Bun (it imports the built modules to list their exports).
 */
import { readFileSync, writeFileSync } from "node:fs";

const entries = [
  { types: "dist/index.d.ts", module: "../dist/index.js" },
  { types: "dist/testing/index.d.ts", module: "../dist/testing/index.js" },
];

/** A JSDoc block (and its indentation) followed by the one-line member or statement it documents. */
const docThenLine = /^([ \t]*)\/\*\*(?:(?!\*\/)[\s\S])*?\*\/\n\1([^\n]*)\n/gm;

function stripInternal(text: string): string {
  return text.replace(docThenLine, (block: string, indent: string, line: string) => {
    if (!/@internal\b/.test(block)) return block;
    if (/@module\b/.test(block)) return `${indent}${line}\n`;
    if (indent === "") return block; // a top-level declaration: kept (public types name it), unexported
    if (/^constructor\(/.test(line.trim())) return `${indent}private constructor();\n`;
    return "";
  });
}

/** The export list's value names, and the list with `type ` added before each name not in `values`. */
function alignExports(text: string, values: Set<string>): { text: string; demoted: string[] } {
  const demoted: string[] = [];
  const aligned = text.replace(/^export \{([^}]*)\};$/m, (_whole, list: string) => {
    const names = list.split(",").map((name) => name.trim()).filter((name) => name !== "");
    const fixed = names.map((name) => {
      if (name.startsWith("type ") || values.has(name)) return name;
      demoted.push(name);
      return `type ${name}`;
    });
    return `export { ${fixed.join(", ")} };`;
  });
  return { text: aligned, demoted };
}

for (const entry of entries) {
  const runtime = await import(new URL(entry.module, import.meta.url).href);
  const values = new Set(Object.keys(runtime));
  const { text, demoted } = alignExports(stripInternal(readFileSync(entry.types, "utf8")), values);
  writeFileSync(entry.types, text);
  const left = text.match(/@internal\b/g)?.length ?? 0;
  console.log(`${entry.types}: exported as types only: ${demoted.join(", ") || "none"}; @internal left on unexported declarations: ${left}`);
}
