#!/usr/bin/env bash
# Installs everything Latchkey needs to run and test on a bare Debian 12 machine:
# system packages (apt), mongo-java-server (fetched with Maven and our launcher
# compiled, once, into a user cache), npm dependencies, and the compiled
# workspaces. Safe to re-run: each step is skipped when its result is already present.
#
# Usage: bash scripts/install.sh [--browser]
#   --browser  also install Chromium (the e2e tests drive it).
set -euo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
readonly REPO_ROOT
readonly CACHE_DIR=${LATCHKEY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/latchkey}
readonly MONGO_SERVER_SOURCES="$REPO_ROOT/scripts/mongo-server"
# mongo-java-server (version in its pom.xml): jars in lib/, our launcher in classes/.
readonly MONGO_SERVER_DIR="$CACHE_DIR/mongo-server"

want_browser=false

log() { printf '[install] %s\n' "$*"; }
die() { printf '[install] ERROR: %s\n' "$*" >&2; exit 1; }

parse_args() {
  for arg in "$@"; do
    case "$arg" in
      --browser) want_browser=true ;;
      *) die "unknown argument: $arg (usage: install.sh [--browser])" ;;
    esac
  done
}

has_command() {
  # Debian keeps nginx in /usr/sbin, which is not on every user's PATH.
  command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ]
}

has_rabbitmq() {
  compgen -G '/usr/lib/rabbitmq/lib/rabbitmq_server-*/sbin/rabbitmq-server' >/dev/null
}

install_system_packages() {
  local packages=()
  has_command nginx || packages+=(nginx-light)
  has_rabbitmq || packages+=(rabbitmq-server)
  has_command openssl || packages+=(openssl)
  # javac, not only java: the database launcher is compiled here.
  has_command javac || packages+=(openjdk-17-jdk-headless)
  has_command mvn || packages+=(maven)
  if $want_browser && ! has_command chromium; then packages+=(chromium); fi

  if [ ${#packages[@]} -eq 0 ]; then
    log "apt: nginx, rabbitmq-server, openssl, a JDK, maven$($want_browser && echo ', chromium') already installed"
    return
  fi
  [ "$(id -u)" -eq 0 ] || die "need root to apt-get install: ${packages[*]}"
  log "apt: installing ${packages[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${packages[@]}"
}

mongo_sources_hash() {
  cat "$MONGO_SERVER_SOURCES/pom.xml" "$MONGO_SERVER_SOURCES/MongoServerLauncher.java" | sha256sum | cut -d' ' -f1
}

# The stamp is written last and the directory renamed into place only when complete,
# so an interrupted build is never taken as good; a changed pom.xml or launcher rebuilds.
mongo_server_is_current() {
  [ -f "$MONGO_SERVER_DIR/sources.sha256" ] &&
    [ "$(cat "$MONGO_SERVER_DIR/sources.sha256")" = "$(mongo_sources_hash)" ]
}

build_mongo_server() {
  local tmp
  mkdir -p "$CACHE_DIR"
  tmp=$(mktemp -d "$MONGO_SERVER_DIR.partial.XXXXXX")
  chmod 755 "$tmp"
  # shellcheck disable=SC2064  # expand $tmp now: it is local
  trap "rm -rf '$tmp'" EXIT

  log "mongo-java-server: fetching it and its dependencies with Maven"
  # From a copy of the pom, so that Maven writes nothing into the repository.
  cp "$MONGO_SERVER_SOURCES/pom.xml" "$tmp/pom.xml"
  # Maven's log is shown only when it fails (its quiet mode still prints colour codes).
  if ! mvn -B -Dstyle.color=never -f "$tmp/pom.xml" dependency:copy-dependencies -DoutputDirectory="$tmp/lib" >"$tmp/maven.log" 2>&1; then
    cat "$tmp/maven.log" >&2
    die "mongo-java-server: Maven could not fetch the jars"
  fi
  rm "$tmp/pom.xml" "$tmp/maven.log"

  log "mongo-java-server: compiling the launcher"
  javac -nowarn -cp "$tmp/lib/*" -d "$tmp/classes" "$MONGO_SERVER_SOURCES/MongoServerLauncher.java"
  mongo_sources_hash >"$tmp/sources.sha256"

  rm -rf "$MONGO_SERVER_DIR"
  # -T: never move into a directory that a concurrent install has just put in place.
  mv -T "$tmp" "$MONGO_SERVER_DIR" || mongo_server_is_current ||
    die "mongo-java-server: could not move the build into $MONGO_SERVER_DIR"
}

install_mongo_server() {
  if mongo_server_is_current; then
    log "mongo-java-server: $MONGO_SERVER_DIR is present"
    return
  fi
  build_mongo_server
  log "mongo-java-server: installed $MONGO_SERVER_DIR ($(find "$MONGO_SERVER_DIR/lib" -name '*.jar' | wc -l) jars)"
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

build_workspaces() {
  log "build: npm run build (tsc -b for shared and the services, then the web page)"
  (cd "$REPO_ROOT" && npm run build --silent)
}

main() {
  parse_args "$@"
  install_system_packages
  install_mongo_server
  bash "$REPO_ROOT/scripts/install-deploy-tools.sh"
  install_npm_dependencies
  build_workspaces
  log "done"
}

main "$@"
