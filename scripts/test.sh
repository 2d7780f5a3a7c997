#!/usr/bin/env bash
# The whole test suite: installs what is missing, starts a fresh "test" stack
# (ports 9443, 4001.., see scripts/README-stack.md), runs every workspace's tap
# tests against it, and always stops the stack again. Lint and type checks run while the stack starts.
set -euo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
readonly REPO_ROOT
cd "$REPO_ROOT"

export STACK_PROFILE=test
readonly TEST_STACK_DIR="$REPO_ROOT/.stack/test"
readonly LOG_TAIL_LINES=40

log() { printf '[test] %s\n' "$*"; }

stack() { npx --no-install tsx scripts/stack.ts "$@"; }

# Set while `stack up` runs in the background: a stop waits for it, so nothing is left half started.
STACK_UP_PID=

stop_stack() {
  if [ -n "$STACK_UP_PID" ]; then wait "$STACK_UP_PID" 2>/dev/null || true; fi
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

# e2e files that use scripts/stack-control.ts stop, kill or restart the stack's servers (the
# database, the broker, replicas), so they run alone, after everything else. Every other test
# only adds data of its own to the stack (its own databases, exchanges, queues and addresses),
# so the other workspaces and the rest of e2e run side by side; e2e's files still one at a time
# (its tap config), since they all go through Nginx and its per-address rate limit.
disruptive_e2e_files() {
  grep -l 'stack-control' -- e2e/*.test.ts | sed 's|^e2e/||'
}

calm_e2e_files() {
  printf '%s\n' e2e/*.test.ts | sed 's|^e2e/||' | grep -vxF -f <(disruptive_e2e_files)
}

# run_workspace WORKSPACE OUTPUT [TEST FILES...]: its tests, output to the file named, with the
# time they took last.
run_workspace() {
  local workspace=$1 output=$2 started=$SECONDS status=0
  shift 2
  # The stack's variables only for the tests: `stack down` must not see them.
  (set -a && . "$TEST_STACK_DIR/env" && set +a && npm run test --workspace="$workspace" -- "$@") >"$output" 2>&1 || status=$?
  echo "[test] $workspace${1:+ ($# files)}: $((SECONDS - started)) s" >>"$output"
  return $status
}

# Runs every workspace, even after a failure, so one run reports all failures. Each run's output
# is printed whole once it has finished, so side-by-side runs do not interleave.
run_workspace_tests() {
  local workspace failed=() names=() pids=() i
  local outputs="$TEST_STACK_DIR/test-output"
  local calm disruptive
  mkdir -p "$outputs"
  mapfile -t calm < <(calm_e2e_files)
  mapfile -t disruptive < <(disruptive_e2e_files)

  while read -r workspace; do
    has_test_script "$workspace" || continue
    if [ "$workspace" = e2e ]; then
      run_workspace e2e "$outputs/e2e-side-by-side.log" "${calm[@]}" &
      names+=(e2e-side-by-side)
    else
      run_workspace "$workspace" "$outputs/${workspace//\//-}.log" &
      names+=("${workspace//\//-}")
    fi
    pids+=($!)
  done < <(workspaces_in_order)
  log "side by side: ${names[*]} (each one's output once it finishes)"
  for i in "${!pids[@]}"; do
    wait "${pids[$i]}" || failed+=("${names[$i]}")
    cat "$outputs/${names[$i]}.log"
  done

  log "alone, as they take the stack's servers away: e2e ${disruptive[*]}"
  run_workspace e2e "$outputs/e2e-alone.log" "${disruptive[@]}" || failed+=(e2e-alone)
  cat "$outputs/e2e-alone.log"

  if [ ${#failed[@]} -gt 0 ]; then
    log "FAILED: ${failed[*]}"
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

  # The stack starts while the static checks run: it mostly waits on RabbitMQ and the JVM.
  log "starting a fresh test stack, and meanwhile the static checks: lint (neostandard) and types"
  stack down >/dev/null
  rm -rf "$TEST_STACK_DIR"
  local stack_log
  stack_log=$(mktemp)
  stack up >"$stack_log" 2>&1 &
  STACK_UP_PID=$!
  trap stop_stack EXIT
  npm run lint --silent
  npm run typecheck --silent
  if ! wait "$STACK_UP_PID"; then
    cat "$stack_log"
    print_log_tails
    exit 1
  fi
  STACK_UP_PID=
  cat "$stack_log"
  rm -f "$stack_log"

  if run_workspace_tests; then
    log "all workspaces passed in $((SECONDS - started)) s"
  else
    print_log_tails
    exit 1
  fi
}

main "$@"
