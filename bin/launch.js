// The one launcher behind the four bin shims. The shims start under Node (`#!/usr/bin/env node`)
// so that running one without Bun — `npx mqsend`, say — prints what to do instead of env's
// "bun: No such file or directory". Under Bun (bunx, `bun run`) the tool is imported directly;
// under Node it is handed to the `bun` on PATH, and if there is none the user is told how to get it.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

/** Runs the built tool `name` (dist/tools/<name>.js) with this process's arguments. */
export async function launch(name) {
  const script = new URL(`../dist/tools/${name}.js`, import.meta.url);
  if (process.versions.bun !== undefined) {
    await import(script.href);
    return;
  }
  const run = spawnSync("bun", [fileURLToPath(script), ...process.argv.slice(2)], { stdio: "inherit" });
  if (run.error !== undefined) {
    const missing = run.error.code === "ENOENT";
    console.error(
      missing
        ? `${name}: bunix runs on Bun, and no \`bun\` is on PATH. Install Bun (https://bun.com, or \`npm install -g bun\`), then run \`bunx --package bunix ${name}\`.`
        : `${name}: could not start bun: ${run.error.message}`,
    );
    process.exit(missing ? 127 : 1);
  }
  if (run.signal !== null) process.kill(process.pid, run.signal);
  process.exit(run.status ?? 1);
}
