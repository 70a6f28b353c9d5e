#!/usr/bin/env bash
# Runs the whole test suite with the linux-arm64 build of Bun under qemu-user, so the linux-arm64
# ABI table (epoll_event unpacked, other O_* flags and system-call numbers) is exercised on an
# x86-64 Debian or Ubuntu machine. Extra arguments go to `bun test`.
#
# Usage: npm run test:arm64 [-- <bun test arguments>]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

started=$SECONDS
sysroot=/usr/aarch64-linux-gnu

if [ "$(uname -m)" = aarch64 ]; then
  echo "test:arm64: this machine is arm64 already; running the suite natively."
  exec ./node_modules/.bin/bun test "$@"
fi

# --- Packages: qemu-user for Bun, the aarch64 glibc Bun links against, the cross compiler for the
# layout check. binfmt-support provides update-binfmts.
packages=(qemu-user qemu-user-binfmt binfmt-support libc6-arm64-cross libc6-dev-arm64-cross gcc-aarch64-linux-gnu)
if ! command -v dpkg >/dev/null; then
  echo "test:arm64: needs a Debian-based system (dpkg and apt-get) to install qemu-user and the aarch64 toolchain." >&2
  exit 1
fi
missing=()
for package in "${packages[@]}"; do
  dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "test:arm64: missing packages: ${missing[*]}" >&2
    echo "test:arm64: install them as root: apt-get install ${missing[*]}" >&2
    exit 1
  fi
  echo "test:arm64: installing ${missing[*]}"
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
fi

# --- The arm64 Bun, the same version as the bun devDependency, checked against the lockfile's
# integrity and kept under node_modules so a clean install drops it.
version=$(node -p 'require("./package.json").devDependencies.bun')
package="@oven/bun-linux-aarch64"
cache="node_modules/.cache/bunix-arm64/$version"
bun="$PWD/$cache/bun"
if [ ! -x "$bun" ]; then
  echo "test:arm64: fetching $package@$version"
  scratch=$(mktemp -d)
  trap 'rm -rf "$scratch"' EXIT
  npm pack "$package@$version" --pack-destination "$scratch" --json --silent >"$scratch/pack.json"
  integrity=$(node -p 'require(process.argv[1])[0].integrity' "$scratch/pack.json")
  locked=$(node -p 'require("./package-lock.json").packages["node_modules/" + process.argv[1]]?.integrity ?? ""' "$package")
  if [ -n "$locked" ] && [ "$integrity" != "$locked" ]; then
    echo "test:arm64: $package@$version does not match package-lock.json ($integrity, expected $locked)" >&2
    exit 1
  fi
  tar -xzf "$scratch"/*.tgz -C "$scratch" package/bin/bun
  mkdir -p "$cache"
  mv "$scratch/package/bin/bun" "$bun"
  chmod +x "$bun"
fi

# --- How to start aarch64 programs. With binfmt_misc, qemu starts every aarch64 ELF, including the
# children the tests spawn; QEMU_LD_PREFIX points it at the aarch64 glibc. Without it (a container
# that may not mount binfmt_misc), Bun runs under an explicit qemu and the tests start their
# children through BUNIX_CHILD_LAUNCHER (test/helpers/env.ts).
export QEMU_LD_PREFIX=$sysroot
if [ "$(id -u)" -eq 0 ]; then
  if [ ! -e /proc/sys/fs/binfmt_misc/status ]; then
    mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc 2>/dev/null || true
  fi
  if [ -e /proc/sys/fs/binfmt_misc/status ]; then
    update-binfmts --enable qemu-aarch64 2>/dev/null || true
  fi
fi
if "$bun" --version >/dev/null 2>&1; then
  mode=binfmt
  run=("$bun")
else
  mode=launcher
  export BUNIX_CHILD_LAUNCHER="qemu-aarch64 -L $sysroot"
  run=(qemu-aarch64 -L "$sysroot" "$bun")
fi
echo "test:arm64: Bun $("${run[@]}" --version) (linux-aarch64) at $bun"
echo "test:arm64: mode $mode ($([ "$mode" = binfmt ] && echo "qemu through binfmt_misc" || echo "qemu-aarch64 -L $sysroot as a launcher"))"

# --- The suite. The tests read BUNIX_EMULATED to widen their timeouts and bounds; CC is the cross
# compiler, so the layout check compiles against the aarch64 headers.
#
# qemu-user emulates the vfork behind Bun.spawn with a real fork. Rarely, the child deadlocks
# before it reaches exec (on a lock another emulated thread held at the fork), and the test process,
# suspended until that exec, waits forever: no test timeout can fire. A watchdog kills such a child
# (a process still running its parent's command line after a minute), which fails its test, and the
# suite then runs once more; anything else that fails, fails.
stuck_marker=$(mktemp)
trap 'rm -f "$stuck_marker"' EXIT
kill_stuck_forks() {
  ps -eo pid=,ppid=,etimes=,args= | awk '
    { pid = $1; ppid = $2; age = $3; $1 = $2 = $3 = ""; cmd[pid] = $0; parent[pid] = ppid; ages[pid] = age }
    END { for (p in cmd) if (ages[p] > 60 && (parent[p] in cmd) && cmd[p] == cmd[parent[p]] && cmd[p] ~ /bun/) print p }' |
    while read -r pid; do
      echo "test:arm64: killing process $pid: a child stuck before exec for over a minute (qemu-user fork deadlock)" >&2
      kill -9 "$pid" 2>/dev/null && echo "$pid" >>"$stuck_marker"
    done
}
run_suite() {
  (while sleep 15; do kill_stuck_forks; done) &
  local watchdog=$! suite_status=0
  BUNIX_EMULATED=1 CC=aarch64-linux-gnu-gcc "${run[@]}" test "$@" || suite_status=$?
  kill "$watchdog" 2>/dev/null
  wait "$watchdog" 2>/dev/null
  return "$suite_status"
}
status=0
run_suite "$@" || status=$?
if [ "$status" -ne 0 ] && [ -s "$stuck_marker" ]; then
  echo "test:arm64: the run failed after the watchdog killed a deadlocked fork ($(tr '\n' ' ' <"$stuck_marker")); running the suite once more" >&2
  : >"$stuck_marker"
  status=0
  run_suite "$@" || status=$?
fi
echo "test:arm64: finished in $((SECONDS - started))s with exit status $status ($mode mode)"
exit "$status"
