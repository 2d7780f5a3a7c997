#!/usr/bin/env bash
# The whole test suite: installs what is missing, starts a fresh "test" stack
# (ports 9443, 4001.., see scripts/README-stack.md), runs every workspace's tap
# tests against it, and always stops the stack again. Lint and type checks run first.
set -euo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
readonly REPO_ROOT
cd "$REPO_ROOT"

export STACK_PROFILE=test
readonly TEST_STACK_DIR="$REPO_ROOT/.stack/test"
readonly LOG_TAIL_LINES=40

log() { printf '[test] %s\n' "$*"; }

stack() { npx --no-install tsx scripts/stack.ts "$@"; }

stop_stack() {
  log "stopping the test stack"
  stack down || log "WARNING: stack down failed"
}

print_log_tails() {
  local file
  for file in "$TEST_STACK_DIR"/logs/*.log; do
    [ -s "$file" ] || continue
    printf '\n----- last %d lines of %s -----\n' "$LOG_TAIL_LINES" "${file#"$REPO_ROOT"/}"
    tail -n "$LOG_TAIL_LINES" "$file" | cut -c1-400
  done
}

workspaces_in_order() {
  node -e 'for (const ws of require("./package.json").workspaces) console.log(ws)'
}

has_test_script() {
  node -e 'process.exit(require(`./${process.argv[1]}/package.json`).scripts?.test ? 0 : 1)' "$1"
}

# e2e stops, kills and restarts the stack's servers (the database, the broker, a replica), so
# it runs alone, after the others; every other workspace only adds data of its own to the stack
# (its own databases, exchanges and queues), so those run side by side.
readonly ALONE_WORKSPACES=" e2e "

runs_alone() {
  [[ "$ALONE_WORKSPACES" == *" $1 "* ]]
}

# Runs one workspace's tests; its output goes to the file named, with the time it took last.
run_workspace() {
  local workspace=$1 output=$2 started=$SECONDS status=0
  # The stack's variables only for the tests: `stack down` must not see them.
  (set -a && . "$TEST_STACK_DIR/env" && set +a && npm run test --workspace="$workspace") >"$output" 2>&1 || status=$?
  echo "[test] $workspace: $((SECONDS - started)) s" >>"$output"
  return $status
}

# Runs every workspace, even after a failure, so one run reports all failures. Each one's
# output is printed whole once it has finished, so side-by-side runs do not interleave.
run_workspace_tests() {
  local workspace failed=() side_by_side=() alone=() pids=() output i
  local outputs="$TEST_STACK_DIR/test-output"
  mkdir -p "$outputs"
  while read -r workspace; do
    has_test_script "$workspace" || continue
    if runs_alone "$workspace"; then alone+=("$workspace"); else side_by_side+=("$workspace"); fi
  done < <(workspaces_in_order)

  log "side by side: ${side_by_side[*]} (each one's output once it finishes)"
  for workspace in "${side_by_side[@]}"; do
    run_workspace "$workspace" "$outputs/${workspace//\//-}.log" &
    pids+=($!)
  done
  for i in "${!side_by_side[@]}"; do
    workspace=${side_by_side[$i]}
    wait "${pids[$i]}" || failed+=("$workspace")
    cat "$outputs/${workspace//\//-}.log"
  done

  for workspace in "${alone[@]}"; do
    log "tests of $workspace (alone: they take the stack's servers away)"
    output="$outputs/${workspace//\//-}.log"
    run_workspace "$workspace" "$output" || failed+=("$workspace")
    cat "$output"
  done

  if [ ${#failed[@]} -gt 0 ]; then
    log "FAILED workspaces: ${failed[*]}"
    return 1
  fi
}

main() {
  local started=$SECONDS
  bash scripts/install.sh --browser --schemathesis --deploy-tools
  # From here on, everything runs on the Node install.sh made sure of.
  # shellcheck source=scripts/toolchain.sh
  . scripts/toolchain.sh
  use_node
  log "node $(node --version)"

  log "static checks: lint (neostandard) and types"
  npm run lint --silent
  npm run typecheck --silent

  log "starting a fresh test stack"
  stack down >/dev/null
  rm -rf "$TEST_STACK_DIR"
  trap stop_stack EXIT
  if ! stack up; then
    print_log_tails
    exit 1
  fi

  if run_workspace_tests; then
    log "all workspaces passed in $((SECONDS - started)) s"
  else
    print_log_tails
    exit 1
  fi
}

main "$@"
