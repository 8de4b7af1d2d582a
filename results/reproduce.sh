#!/usr/bin/env bash
# `bazel run //results:reproduce` (every table) and `bazel run //results:t1` (one table): runs
# `lrbench reproduce` from the runfiles; extra arguments after `--` are passed on (e.g. --profile=fast,
# --model=DIR, --shard_index=I --shard_count=N, --render_only). Outputs: results/out/<profile>/ in the
# workspace (records, cached base models, rendered tables).
set -euo pipefail
exec harness/lrbench reproduce "$@"
