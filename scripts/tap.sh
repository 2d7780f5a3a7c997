#!/usr/bin/env bash
# A workspace's `npm test`: tap with its coverage (the workspace's "tap" config sets the floors).
#
# NODE_V8_COVERAGE is set only so that tsx, which loads the TypeScript, puts the sources into
# its source maps (it does so only when that variable is set, tsx's get-esbuild-options.ts):
# tap collects coverage through the inspector, not through that variable, and without the
# sources every file counted as one covered statement ("100 %"). Node also writes its own
# coverage files there, which nothing reads; they are removed before each run.
set -euo pipefail
readonly NODE_COVERAGE_DIR="$PWD/.tap/node-v8-coverage"
rm -rf "$NODE_COVERAGE_DIR"
NODE_V8_COVERAGE="$NODE_COVERAGE_DIR" exec tap "$@"
