#!/usr/bin/env bash
# Runs schemathesis against a running stack's OpenAPI document (/docs/json), through Nginx over
# TLS, with every check and scripts/schemathesis/schemathesis.toml; exits non-zero on any failure.
# e2e/api-contract.test.ts runs it under `npm test` with the accounts it prepares:
#
#   E2E_BASE_URL             the stack's https URL (from .stack/<profile>/env)
#   CONTRACT_BEARER          an administrator's access token (bearerAuth)
#   CONTRACT_LOGOUT_BEARER   another account's access token, for POST /logout (scope=global ends it)
#   CONTRACT_PENDING_EMAIL, CONTRACT_PENDING_PASSWORD   an account not activated yet (basicAuth)
#   SCHEMATHESIS_SEED (default 1), SCHEMATHESIS_MAX_EXAMPLES (default 30)
#
# Extra arguments go to `schemathesis run` (e.g. --report junit --report-dir <dir>).
# Schemathesis itself is installed by `bash scripts/install.sh --schemathesis`.
set -euo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
readonly REPO_ROOT
readonly CACHE_DIR=${LATCHKEY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/latchkey}
readonly VENV="$CACHE_DIR/schemathesis"

die() { printf '[schemathesis] ERROR: %s\n' "$*" >&2; exit 1; }

[ -x "$VENV/bin/python" ] || die "not installed: run bash scripts/install.sh --schemathesis"
for name in E2E_BASE_URL CONTRACT_BEARER CONTRACT_LOGOUT_BEARER CONTRACT_PENDING_EMAIL CONTRACT_PENDING_PASSWORD; do
  [ -n "${!name:-}" ] || die "$name is not set (see the top of scripts/schemathesis.sh)"
done

# From its own directory: schemathesis.toml and hooks.py are found there. `python -m`, because
# the environment was built elsewhere and moved into the cache (its scripts' shebangs point there).
cd "$REPO_ROOT/scripts/schemathesis"
# Nothing written into the repository: no bytecode for hooks.py, Hypothesis's files in the cache.
export PYTHONDONTWRITEBYTECODE=1
export HYPOTHESIS_STORAGE_DIRECTORY="$VENV/hypothesis"
exec "$VENV/bin/python" -m schemathesis.cli --config-file schemathesis.toml run "$E2E_BASE_URL/docs/json" \
  --seed "${SCHEMATHESIS_SEED:-1}" --max-examples "${SCHEMATHESIS_MAX_EXAMPLES:-30}" --no-color "$@"
