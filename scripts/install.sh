#!/usr/bin/env bash
# Installs everything Latchkey needs to run and test on a bare Debian 12 machine:
# system packages (apt); Node 24 LTS from the npm registry when the machine's Node is older,
# and a Go toolchain from the Go module proxy when it has none recent enough (see
# scripts/toolchain.sh); into a user cache, once: mongo-java-server (fetched with Maven, our
# launcher compiled beside it) and MailHog (built with Go from the module proxy); npm
# dependencies; and the compiled workspaces. Safe to re-run: each step is skipped when its
# result is already present and built from the current sources.
#
# Needs, besides what apt installs here: a Node.js with npm (any version that can fetch one).
#
# The argon2 addon is compiled from source for this CPU's best vector extensions (AVX-512,
# AVX2, else SSE2; ARGON2_CPU=x86-64-v4|x86-64-v3|x86-64|portable picks a level instead), see
# scripts/argon2-native.sh.
#
# Usage: bash scripts/install.sh [--browser] [--schemathesis] [--deploy-tools]
#   --browser       also install Chromium (the e2e tests drive it).
#   --schemathesis  also install schemathesis (pinned in scripts/schemathesis/requirements.txt,
#                   from PyPI) into a Python virtual environment in the user cache.
#   --deploy-tools  also install helm, kubeconform and the Kubernetes JSON schemas
#                   (scripts/install-deploy-tools.sh), which only the Helm chart's test uses.
# `npm start` and `npm run stack:up` pass none of them: they install the stack and nothing else.
# `npm test` passes all three. Each step says how long it took.
set -euo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
readonly REPO_ROOT
# shellcheck source=scripts/toolchain.sh
. "$REPO_ROOT/scripts/toolchain.sh"
readonly MONGO_SERVER_SOURCES="$REPO_ROOT/scripts/mongo-server"
# mongo-java-server (version in its pom.xml): jars in lib/, our launcher in classes/.
readonly MONGO_SERVER_DIR="$CACHE_DIR/mongo-server"
readonly MAILHOG_SOURCES="$REPO_ROOT/scripts/mailhog"
# The MailHog binary, mailhog/mailhog (version in scripts/mailhog/go.mod).
readonly MAILHOG_DIR="$CACHE_DIR/mailhog"
readonly SCHEMATHESIS_REQUIREMENTS="$REPO_ROOT/scripts/schemathesis/requirements.txt"
# A Python virtual environment holding schemathesis (scripts/schemathesis.sh runs it).
readonly SCHEMATHESIS_DIR="$CACHE_DIR/schemathesis"
readonly ARGON2_PACKAGE="$REPO_ROOT/node_modules/argon2"
# The argon2 addon built from source for this CPU, one directory per level (scripts/argon2-native.sh).
readonly ARGON2_DIR="$CACHE_DIR/argon2"

want_browser=false
want_schemathesis=false
want_deploy_tools=false

log() { printf '[install] %s\n' "$*"; }
die() { printf '[install] ERROR: %s\n' "$*" >&2; exit 1; }

parse_args() {
  for arg in "$@"; do
    case "$arg" in
      --browser) want_browser=true ;;
      --schemathesis) want_schemathesis=true ;;
      --deploy-tools) want_deploy_tools=true ;;
      *) die "unknown argument: $arg (usage: install.sh [--browser] [--schemathesis] [--deploy-tools])" ;;
    esac
  done
}

has_command() {
  # Debian keeps nginx in /usr/sbin, which is not on every user's PATH.
  command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ]
}

# Debian splits venv (and the pip it bootstraps) out of python3.
has_python_venv() {
  command -v python3 >/dev/null 2>&1 && python3 -c 'import ensurepip, venv' >/dev/null 2>&1
}

has_rabbitmq() {
  compgen -G '/usr/lib/rabbitmq/lib/rabbitmq_server-*/sbin/rabbitmq-server' >/dev/null
}

install_system_packages() {
  local packages=()
  has_command nginx || packages+=(nginx-light)
  has_rabbitmq || packages+=(rabbitmq-server)
  has_command openssl || packages+=(openssl)
  # To fetch a Go toolchain when the machine has none recent enough (scripts/toolchain.sh).
  has_command curl || packages+=(curl)
  has_command unzip || packages+=(unzip)
  # javac, not only java: the database launcher is compiled here.
  has_command javac || packages+=(openjdk-17-jdk-headless)
  has_command mvn || packages+=(maven)
  # node-gyp builds the argon2 addon for this CPU: a C/C++ compiler, make and python3.
  { has_command cc && has_command c++ && has_command make; } || packages+=(build-essential)
  has_command python3 || packages+=(python3)
  # The replicas' allocator (scripts/stack/components/services.ts, replicaAllocatorEnv).
  [ -e "/usr/lib/$(uname -m)-linux-gnu/libjemalloc.so.2" ] || packages+=(libjemalloc2)
  if $want_browser && ! has_command chromium; then packages+=(chromium); fi
  if $want_schemathesis && ! has_python_venv; then packages+=(python3-venv); fi

  if [ ${#packages[@]} -eq 0 ]; then
    log "apt: nginx, rabbitmq-server, openssl, a JDK, maven, a C/C++ toolchain, python3, jemalloc$($want_browser && echo ', chromium') already installed"
    return
  fi
  [ "$(id -u)" -eq 0 ] || die "need root to apt-get install: ${packages[*]}"
  log "apt: installing ${packages[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${packages[@]}"
}

sources_hash() {
  cat "$@" | sha256sum | cut -d' ' -f1
}

# A cache directory is current when the hash of the sources it was built from, written
# last, matches the sources now.
is_current() {
  local dir=$1 hash=$2
  [ -f "$dir/sources.sha256" ] && [ "$(cat "$dir/sources.sha256")" = "$hash" ]
}

# Runs `build <new dir>` in a fresh directory beside <dir> and renames it into place only
# when complete, so an interrupted build is never taken as good.
build_into_cache() {
  local dir=$1 hash=$2 build=$3 tmp
  mkdir -p "$(dirname "$dir")"
  tmp=$(mktemp -d "$dir.partial.XXXXXX")
  chmod 755 "$tmp"
  # shellcheck disable=SC2064  # expand $tmp now: it is local
  trap "rm -rf '$tmp'" EXIT
  "$build" "$tmp"
  echo "$hash" >"$tmp/sources.sha256"
  rm -rf "$dir"
  # -T: never move into a directory that a concurrent install has just put in place.
  mv -T "$tmp" "$dir" || is_current "$dir" "$hash" || die "could not move the build into $dir"
}

mongo_sources_hash() {
  sources_hash "$MONGO_SERVER_SOURCES/pom.xml" "$MONGO_SERVER_SOURCES"/*.java
}

build_mongo_server() {
  local out=$1
  log "mongo-java-server: fetching it and its dependencies with Maven"
  # From a copy of the pom, so that Maven writes nothing into the repository.
  cp "$MONGO_SERVER_SOURCES/pom.xml" "$out/pom.xml"
  # Maven's log is shown only when it fails (its quiet mode still prints colour codes).
  if ! mvn -B -Dstyle.color=never -f "$out/pom.xml" dependency:copy-dependencies -DoutputDirectory="$out/lib" >"$out/maven.log" 2>&1; then
    cat "$out/maven.log" >&2
    die "mongo-java-server: Maven could not fetch the jars"
  fi
  rm "$out/pom.xml" "$out/maven.log"

  log "mongo-java-server: compiling the launcher"
  javac -nowarn -cp "$out/lib/*" -d "$out/classes" "$MONGO_SERVER_SOURCES"/*.java
}

install_mongo_server() {
  local hash
  hash=$(mongo_sources_hash)
  if is_current "$MONGO_SERVER_DIR" "$hash"; then
    log "mongo-java-server: $MONGO_SERVER_DIR is present"
    return
  fi
  build_into_cache "$MONGO_SERVER_DIR" "$hash" build_mongo_server
  log "mongo-java-server: installed $MONGO_SERVER_DIR ($(find "$MONGO_SERVER_DIR/lib" -name '*.jar' | wc -l) jars)"
}

find_go() {
  ensure_go "$(required_go_version)"
  echo "$GO_BINARY"
}

required_go_version() {
  sed -n 's/^go //p' "$MAILHOG_SOURCES/go.mod"
}

mailhog_sources_hash() {
  sources_hash "$MAILHOG_SOURCES/go.mod" "$MAILHOG_SOURCES/go.sum" \
    "$MAILHOG_SOURCES/linkio/go.mod" "$MAILHOG_SOURCES/linkio/linkio.go"
}

# Every module is checked against go.sum (-mod=readonly), whose lines the checksum database
# vouched for when they were added; the local toolchain is used as it is.
build_mailhog() {
  local out=$1 go
  go=$(find_go)
  log "mailhog: building it with $go from the module proxy"
  (cd "$MAILHOG_SOURCES" &&
    CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS=-buildvcs=false \
      "$go" build -mod=readonly -trimpath -o "$out/mailhog" github.com/mailhog/MailHog)
}

install_mailhog() {
  local hash
  hash=$(mailhog_sources_hash)
  if is_current "$MAILHOG_DIR" "$hash"; then
    log "mailhog: $MAILHOG_DIR is present"
    return
  fi
  build_into_cache "$MAILHOG_DIR" "$hash" build_mailhog
  log "mailhog: installed $MAILHOG_DIR/mailhog"
}

# Built in a temporary directory like the others and moved into place, so its entry-point
# scripts name the wrong interpreter path: scripts/schemathesis.sh runs `python -m` instead.
build_schemathesis() {
  local out=$1
  log "schemathesis: installing it from PyPI into a virtual environment"
  python3 -m venv "$out"
  "$out/bin/python" -m pip install --quiet --disable-pip-version-check --no-input -r "$SCHEMATHESIS_REQUIREMENTS"
}

install_schemathesis() {
  local hash
  hash=$(sources_hash "$SCHEMATHESIS_REQUIREMENTS")
  if is_current "$SCHEMATHESIS_DIR" "$hash"; then
    log "schemathesis: $SCHEMATHESIS_DIR is present"
    return
  fi
  build_into_cache "$SCHEMATHESIS_DIR" "$hash" build_schemathesis
  log "schemathesis: installed $("$SCHEMATHESIS_DIR/bin/python" -m schemathesis.cli --version)"
}

npm_dependencies_are_current() {
  local installed="$REPO_ROOT/node_modules/.package-lock.json"
  [ -f "$installed" ] && ! [ "$REPO_ROOT/package-lock.json" -nt "$installed" ]
}

# Several developers may share one node_modules; serialize npm when possible.
with_npm_lock() {
  if command -v flock >/dev/null 2>&1; then flock /tmp/npm.lock "$@"; else "$@"; fi
}

install_npm_dependencies() {
  if npm_dependencies_are_current; then
    log "npm: node_modules matches package-lock.json"
    return
  fi
  log "npm: npm ci"
  (cd "$REPO_ROOT" && with_npm_lock npm ci --no-audit --no-fund)
  # tap compiles its plugin set into node_modules; a fresh install holds the
  # default set, and the first test run would otherwise load the wrong one.
  log "npm: tap build"
  (cd "$REPO_ROOT/shared" && npx --no-install tap build)
}

argon2_native() {
  bash "$REPO_ROOT/scripts/argon2-native.sh" "$@"
}

build_argon2() {
  log "argon2: building the addon from source for $argon2_target ($ARGON2_PACKAGE)"
  argon2_native build "$ARGON2_PACKAGE" "$1" "$argon2_target"
}

# The argon2 addon, compiled for the best vector extensions of this CPU (ARGON2_CPU=auto) or
# for the level ARGON2_CPU names, cached per level and put where the package loads it first;
# the prebuilt binary stays beside it (build/portable/) as the fallback and the yardstick.
install_argon2() {
  local hash dir
  argon2_target=$(argon2_native target "${ARGON2_CPU:-auto}")
  dir="$ARGON2_DIR/$argon2_target"
  hash=$(sources_hash "$ARGON2_PACKAGE/package.json" "$ARGON2_PACKAGE/binding.gyp" "$REPO_ROOT/scripts/argon2-native.sh" \
    <(node --version; cc --version | head -1))
  if is_current "$dir" "$hash"; then
    log "argon2: $dir is present"
  else
    build_into_cache "$dir" "$hash" build_argon2
    log "argon2: built $dir"
  fi
  if cmp -s "$dir/argon2.node" "$ARGON2_PACKAGE/build/Release/argon2.node" &&
    cmp -s "$dir/argon2-build.json" "$ARGON2_PACKAGE/build/Release/argon2-build.json" &&
    [ -d "$ARGON2_PACKAGE/build/portable/prebuilds" ]; then
    log "argon2: node_modules loads the $argon2_target build"
    return
  fi
  argon2_native place "$dir" "$ARGON2_PACKAGE"
  log "argon2: node_modules now loads the $argon2_target build (the prebuilt one kept in build/portable/)"
}

build_workspaces() {
  log "build: npm run build (tsc -b for shared and the services, then the web page)"
  (cd "$REPO_ROOT" && npm run build --silent)
}

install_deploy_tools() {
  bash "$REPO_ROOT/scripts/install-deploy-tools.sh"
}

# timed LABEL COMMAND...: runs it and logs how long it took, so a slow first install says where
# the time went (the README's table of first-install timings comes from these lines).
timed() {
  local label=$1 started=$SECONDS
  shift
  "$@"
  log "time: $label $((SECONDS - started)) s"
}

main() {
  local started=$SECONDS
  parse_args "$@"
  timed apt install_system_packages
  timed node ensure_node
  timed mongo-java-server install_mongo_server
  timed mailhog install_mailhog
  $want_schemathesis && timed schemathesis install_schemathesis
  $want_deploy_tools && timed deploy-tools install_deploy_tools
  timed npm install_npm_dependencies
  timed argon2 install_argon2
  timed build build_workspaces
  log "done in $((SECONDS - started)) s"
}

main "$@"
