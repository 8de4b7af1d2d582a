#!/usr/bin/env bash
# One shard of a reproduction as a Bazel test (tags: manual; `bazel test //results:reproduce_sharded`), for
# Bazel remote execution: Bazel sets TEST_SHARD_INDEX / TEST_TOTAL_SHARDS, `lrbench reproduce` runs its
# share of the runs and leaves the records in this shard's undeclared outputs (test.outputs/outputs.zip),
# which results/README.md shows how to merge. The profile comes from --test_env=LRB_PROFILE (default: smoke).
set -euo pipefail
cli/lrbench reproduce --profile="${LRB_PROFILE:-smoke}" --out="$TEST_UNDECLARED_OUTPUTS_DIR"
