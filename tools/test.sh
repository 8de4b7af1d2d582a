#!/usr/bin/env bash
# The README's test command: installs what is missing, builds everything, runs every test,
# and ends with the line `N passed, N failed` counted from Bazel's test results
# (one per GoogleTest case; a test target that produced no result counts as one failure).
set -uo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh || exit 1

# A disk cache outside the clone lets a later run on the same machine reuse unchanged actions.
CACHE="${LRB_BAZEL_CACHE:-$HOME/.cache/lrbench-bazel}"
bazel test --disk_cache="$CACHE" --keep_going "$@" //...
status=$?

python3 tools/count_tests.py
exit $status
