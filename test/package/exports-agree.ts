// Run inside the consumer project by run.sh: the names dist/index.d.ts (and dist/testing/index.d.ts)
// export as values must be exactly the module's real exports. A class the types export as a value
// but the JavaScript does not export would type-check in `x instanceof Foo` and fail at load.
import { readFileSync } from "node:fs";

/** The names an `export { … }` list in a bundled d.ts exports as values (no `type ` prefix). */
function declaredValues(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const lists = [...text.matchAll(/^export \{([^}]*)\};$/gm)].map((match) => match[1]!);
  return lists
    .flatMap((list) => list.split(","))
    .map((name) => name.trim())
    .filter((name) => name !== "" && !name.startsWith("type "))
    .map((name) => name.split(/\s+as\s+/).pop()!)
    .sort();
}

let failed = false;
for (const [specifier, types] of [
  ["bunix", "node_modules/bunix/dist/index.d.ts"],
  ["bunix/testing", "node_modules/bunix/dist/testing/index.d.ts"],
] as const) {
  const declared = declaredValues(types);
  const actual = Object.keys(await import(specifier)).sort();
  const onlyDeclared = declared.filter((name) => !actual.includes(name));
  const onlyActual = actual.filter((name) => !declared.includes(name));
  const internal = readFileSync(types, "utf8").match(/@internal\b[^\n]*\n[^\n]*/g) ?? [];
  console.log(`${specifier}: ${declared.length} value exports declared, ${actual.length} at run time`);
  if (onlyDeclared.length > 0) console.log(`  declared but not exported: ${onlyDeclared.join(", ")}`);
  if (onlyActual.length > 0) console.log(`  exported but not declared: ${onlyActual.join(", ")}`);
  if (declared.length === 0 || onlyDeclared.length > 0 || onlyActual.length > 0) failed = true;
  // Left: only unexported helper types that public signatures name (see scripts/finish-dts.ts).
  for (const item of internal) if (!/\n(type|interface|declare class) /.test(item)) {
    console.log(`  @internal item published: ${item.replace(/\n/g, " ")}`);
    failed = true;
  }
}
process.exit(failed ? 1 : 0);
