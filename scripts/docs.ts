/**
 * `npm run docs`: typedoc, with its colours only on a terminal. Typedoc colours its own messages
 * unless NO_COLOR is set, and TypeScript's diagnostics always, so output that goes to a file or a
 * CI log is passed through here with the escape sequences taken out.
 *
 * @module
 */
const typedoc = new URL("../node_modules/typedoc/bin/typedoc", import.meta.url).pathname;
const terminal = process.stdout.isTTY === true && process.stderr.isTTY === true;

if (terminal) {
  const child = Bun.spawn([process.execPath, "--bun", typedoc, ...process.argv.slice(2)], { stdio: ["inherit", "inherit", "inherit"] });
  process.exitCode = await child.exited;
} else {
  const child = Bun.spawn([process.execPath, "--bun", typedoc, ...process.argv.slice(2)], {
    stdio: ["inherit", "pipe", "pipe"],
    env: { ...process.env, NO_COLOR: "1" },
  });
  const plain = (text: string): string => text.replace(/\x1b\[[0-9;]*m/g, "");
  const [out, err] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text()]);
  process.stdout.write(plain(out));
  process.stderr.write(plain(err));
  process.exitCode = await child.exited;
}
