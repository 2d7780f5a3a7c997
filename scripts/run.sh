#!/usr/bin/env bash
# Runs a command on the Node that scripts/install.sh made sure of (Node 24 LTS, from the user
# cache when the machine's own is older): npm's scripts go through here.
set -euo pipefail
# shellcheck source=scripts/toolchain.sh
. "$(dirname "${BASH_SOURCE[0]}")/toolchain.sh"
use_node
exec "$@"
