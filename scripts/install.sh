#!/usr/bin/env bash
# Installs everything Latchkey needs to run and test on a bare Debian 12 machine:
# system packages (apt), a FerretDB binary (built once into a user cache), npm
# dependencies, and the compiled workspaces. Safe to re-run: each step is
# skipped when its result is already present.
#
# Usage: bash scripts/install.sh [--browser]
#   --browser  also install Chromium (the e2e tests drive it).
set -euo pipefail

readonly FERRETDB_VERSION=v1.24.1
# The module proxy serves this module but sum.golang.org has no entry for it,
# so the hashes are pinned here to keep the download verified.
readonly FERRETDB_SUMS="github.com/FerretDB/FerretDB ${FERRETDB_VERSION} h1:3FDJre3jHhs3cvzBiyZ3MAFLudfwlwOfogRYxWU4eEU=
github.com/FerretDB/FerretDB ${FERRETDB_VERSION}/go.mod h1:YBTGPvkBsqzCDnqw1gfxB+Up+d3HUPTyzwLn/tQqoho="

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
readonly REPO_ROOT
readonly CACHE_DIR=${LATCHKEY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/latchkey}
readonly FERRETDB_BIN="$CACHE_DIR/bin/ferretdb-$FERRETDB_VERSION"

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
  if $want_browser && ! has_command chromium; then packages+=(chromium); fi

  if [ ${#packages[@]} -eq 0 ]; then
    log "apt: nginx, rabbitmq-server, openssl$($want_browser && echo ', chromium') already installed"
    return
  fi
  [ "$(id -u)" -eq 0 ] || die "need root to apt-get install: ${packages[*]}"
  log "apt: installing ${packages[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${packages[@]}"
}

find_go() {
  if command -v go >/dev/null 2>&1; then command -v go
  elif [ -x /usr/local/go/bin/go ]; then echo /usr/local/go/bin/go
  else die "Go >= 1.24 is needed to build FerretDB, but no 'go' was found"
  fi
}

ferretdb_version() {
  # Captured first: `| grep -q` would exit early, and pipefail would count the SIGPIPE as failure.
  local output
  output=$("$FERRETDB_BIN" --version 2>/dev/null) || return 1
  sed -n 's/^version: *//p' <<<"$output"
}

ferretdb_is_usable() {
  [ -x "$FERRETDB_BIN" ] && [ "$(ferretdb_version)" = "$FERRETDB_VERSION" ]
}

# A plain `go install` of FerretDB yields a binary that panics at start-up
# because build/version/version.txt is generated upstream and not published
# in the module. So: let a throwaway wrapper module fetch FerretDB and its
# dependencies, copy the source out of the module cache, add version.txt,
# and build from that copy.
build_ferretdb() {
  local go tmp src
  go=$(find_go)
  tmp=$(mktemp -d)
  # shellcheck disable=SC2064  # expand $tmp now: it is local
  trap "rm -rf '$tmp'" RETURN

  mkdir -p "$tmp/wrapper" "$CACHE_DIR/bin"
  printf 'module local/ferretdb-build\n\ngo 1.24\n\nrequire github.com/FerretDB/FerretDB %s\n' \
    "$FERRETDB_VERSION" >"$tmp/wrapper/go.mod"
  printf '%s\n' "$FERRETDB_SUMS" >"$tmp/wrapper/go.sum"

  log "ferretdb: fetching github.com/FerretDB/FerretDB@$FERRETDB_VERSION and its dependencies"
  (cd "$tmp/wrapper" &&
    GONOSUMDB=github.com/FerretDB/FerretDB GOFLAGS='-mod=mod -buildvcs=false' CGO_ENABLED=0 \
      "$go" build -o /dev/null github.com/FerretDB/FerretDB/cmd/ferretdb)

  src="$("$go" env GOMODCACHE)/github.com/!ferret!d!b/!ferret!d!b@$FERRETDB_VERSION"
  cp -r "$src" "$tmp/src"
  chmod -R u+w "$tmp/src"
  echo "$FERRETDB_VERSION" >"$tmp/src/build/version/version.txt"

  log "ferretdb: building $FERRETDB_BIN"
  (cd "$tmp/src" &&
    CGO_ENABLED=0 GOFLAGS='-mod=mod -buildvcs=false' \
      "$go" build -trimpath -o "$FERRETDB_BIN.partial" ./cmd/ferretdb)
  # Rename only a finished build, so an interrupted one is never taken as good.
  mv "$FERRETDB_BIN.partial" "$FERRETDB_BIN"
}

install_ferretdb() {
  if ferretdb_is_usable; then
    log "ferretdb: $FERRETDB_BIN is present"
    return
  fi
  build_ferretdb
  ferretdb_is_usable || die "ferretdb: built binary does not report version $FERRETDB_VERSION"
  log "ferretdb: built $FERRETDB_BIN ($(ferretdb_version))"
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
  install_ferretdb
  bash "$REPO_ROOT/scripts/install-deploy-tools.sh"
  install_npm_dependencies
  build_workspaces
  log "done"
}

main "$@"
