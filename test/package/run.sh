#!/usr/bin/env bash
# Packaging check: what a user gets from `npm pack`. Packs the package (prepack builds dist/), lints
# the tarball (publint, @arethetypeswrong/cli), installs it into a fresh project in a temporary
# directory, and there type-checks and runs test/package/consumer/app.ts: as installed, bundled with
# `bun build --target=bun`, and compiled with `bun build --compile`, each through every readiness
# mechanism (Bun's event loop, the readiness thread, and the libkqueue helper when BUNIX_LIBKQUEUE
# names a libkqueue). Also: the README's program runs, the types' value exports match the modules',
# Node gets a clear word, and the bins answer --version with and without Bun on PATH.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$repo"
bun="$repo/node_modules/.bin/bun"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

say() { printf '\n--- %s\n' "$*"; }
fail() { echo "package check FAILED: $*" >&2; exit 1; }

say "npm pack"
tarball="$work/$(npm pack --silent --pack-destination "$work" | tail -n 1)"
tar -tzf "$tarball" | sed 's/^/  /'
if tar -tzf "$tarball" | grep -E '\.map$|examples/|src/' >/dev/null; then fail "the tarball ships source maps, sources or examples"; fi

say "publint"
npx publint run "$tarball" --strict
say "@arethetypeswrong/cli"
# The node10 resolution predates "exports"; a Bun-only ESM package has nothing for it.
npx attw "$tarball" --profile esm-only --format ascii

say "fresh consumer project"
app="$work/app"
mkdir -p "$app"
cp test/package/consumer/app.ts test/package/exports-agree.ts "$app/"
# The README's complete program, as a user would copy it (the first block marked to run).
awk '/<!-- check: run -->/ { getline; inside = 1; next } inside && /^```$/ { exit } inside' README.md >"$app/readme.ts"
[ -s "$app/readme.ts" ] || fail "found no runnable program in README.md"
cat >"$app/package.json" <<JSON
{ "name": "bunix-consumer", "private": true, "type": "module" }
JSON
cat >"$app/tsconfig.json" <<JSON
{
  "compilerOptions": {
    "target": "ESNext", "module": "Preserve", "moduleResolution": "bundler", "lib": ["ESNext"],
    "types": ["bun"], "strict": true, "noEmit": true, "skipLibCheck": false, "allowImportingTsExtensions": true
  },
  "include": ["*.ts"]
}
JSON
types_bun="$(node -p 'require("./package.json").devDependencies["@types/bun"]')"
typescript="$(node -p 'require("./package.json").devDependencies.typescript')"
(cd "$app" && npm install --no-audit --no-fund --silent "$tarball" "@types/bun@$types_bun" "typescript@$typescript")

say "type-check the consumer"
(cd "$app" && npx tsc -p tsconfig.json)
say "value exports of the d.ts files against the modules"
(cd "$app" && "$bun" exports-agree.ts)

# Runs one build of the app (a command) through every readiness mechanism, from another directory.
run_modes() {
  local label=$1
  shift
  say "$label: Bun's event loop"
  (cd / && env -u BUNIX_LIBKQUEUE "$@")
  say "$label: readiness thread (BUNIX_EVENT_LOOP=off)"
  (cd / && env -u BUNIX_LIBKQUEUE BUNIX_EVENT_LOOP=off "$@")
  if [ -n "${BUNIX_LIBKQUEUE:-}" ]; then
    say "$label: libkqueue helper"
    (cd / && "$@")
  else
    echo "(BUNIX_LIBKQUEUE is not set: the libkqueue helper is not checked)"
  fi
}

run_modes "installed" "$bun" "$app/app.ts"
say "the README's program"
(cd / && "$bun" "$app/readme.ts")

say "bun build --target=bun"
(cd "$app" && "$bun" build --target=bun --minify app.ts --outdir "$work/bundle")
ls "$work/bundle"
ls "$work/bundle" | grep -q 'readiness-worker' || fail "bun build emitted no readiness worker"
# The bundle must not reach back into node_modules: move the project away while it runs.
mv "$app/node_modules" "$work/node_modules.away"
run_modes "bundled" "$bun" "$work/bundle/app.js"

say "bun build --compile"
mv "$work/node_modules.away" "$app/node_modules"
(cd "$app" && "$bun" build --compile app.ts --outfile "$work/compiled/app")
mv "$app/node_modules" "$work/node_modules.away"
run_modes "compiled" "$work/compiled/app"
mv "$work/node_modules.away" "$app/node_modules"

say "a bundle without its worker script: the wait fails with a SystemError and a code"
rm "$work"/bundle/readiness-worker*
if out="$(cd / && env -u BUNIX_LIBKQUEUE BUNIX_EVENT_LOOP=off "$bun" "$work/bundle/app.js" 2>/dev/null)"; then fail "it ran without its worker"; fi
echo "$out"
echo "$out" | grep -q '^failed: SystemError EIO$' || fail "expected 'failed: SystemError EIO'"

say "Node: import says bunix runs on Bun"
if out="$(cd "$app" && node -e 'await import("bunix")' --input-type=module 2>&1)"; then fail "import under Node succeeded"; fi
echo "$out" | grep -m1 'bunix runs on Bun' || fail "no clear word under Node: $out"

say "bins: --version with Bun on PATH, and a clear word without it"
version="$(node -p 'require("./package.json").version')"
bindir="$(dirname "$bun")"
for tool in mqsend mqrecv bunix-echo bunix-ping; do
  got="$(cd "$app" && PATH="$bindir:$PATH" "node_modules/.bin/$tool" --version)"
  [ "$got" = "$tool $version" ] || fail "$tool --version printed '$got'"
  echo "$got"
done
nobun="$work/nobun"
mkdir -p "$nobun"
ln -s "$(command -v node)" "$nobun/node"
status=0
out="$(cd "$app" && PATH="$nobun" node_modules/.bin/mqsend --version 2>&1)" || status=$?
echo "$out (exit $status)"
[ "$status" = 127 ] && echo "$out" | grep -q 'bunix runs on Bun' || fail "mqsend without Bun: exit $status"

echo
echo "package check passed"
