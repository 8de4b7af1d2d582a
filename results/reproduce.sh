#!/usr/bin/env bash
# `bazel run //results:reproduce` (every table) and `bazel run //results:t1` (one table): runs
# `lrbench reproduce` from the runfiles; extra arguments after `--` are passed on (e.g. --profile=fast,
# --model=DIR, --tasks=..., --shard_index=I --shard_count=N, --render_only). Outputs: results/out/<profile>/ in
# the workspace (records, cached base models, rendered tables); it also rewrites the sections of the tables it
# ran in the profile's committed rendering: docs/results.md (plots and records in docs/results/) for the
# default profile, docs/results-<profile>.md (docs/results-<profile>/) for another, none for smoke.
set -euo pipefail
extra=()
profile=default
committed=yes
for arg in "$@"; do
  case "$arg" in
    --profile=*) profile="${arg#--profile=}" ;;
    # Another model, data, spec set or one shard is not the committed rendering's grid.
    --model=* | --data_dir=* | --specs=* | --shard_index=* | --shard_count=*) committed=no ;;
  esac
done
# The smoke profile (CI's check) never replaces a committed rendering.
if [[ "$committed" == yes && "$profile" != smoke && -n "${BUILD_WORKSPACE_DIRECTORY:-}" ]]; then
  doc=results.md
  if [[ "$profile" != default ]]; then doc="results-$profile.md"; fi
  extra=(--results_md="$BUILD_WORKSPACE_DIRECTORY/docs/$doc")
fi
# `bazel run` starts this script inside its runfiles tree (<target>.runfiles/lrbench); lrbench finds its
# own runfiles (e.g. the sentencepiece shim) there, also when harness/lrbench was never built on its own.
export RUNFILES_DIR="${RUNFILES_DIR:-$(cd .. && pwd)}"
exec harness/lrbench reproduce "$@" "${extra[@]}"
