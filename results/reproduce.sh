#!/usr/bin/env bash
# `bazel run //results:reproduce` (every table) and `bazel run //results:t1` (one table): runs
# `lrbench reproduce` from the runfiles; extra arguments after `--` are passed on (e.g. --profile=fast,
# --model=DIR, --shard_index=I --shard_count=N, --render_only). Outputs: results/out/<profile>/ in the
# workspace (records, cached base models, rendered tables); the run over every table also rewrites the
# profile's committed rendering: docs/results.md (plots in docs/results/) for the default profile,
# docs/results-<profile>.md (plots in docs/results-<profile>/) for another, none for smoke.
set -euo pipefail
extra=()
profile=default
for arg in "$@"; do
  if [[ "$arg" == --profile=* ]]; then profile="${arg#--profile=}"; fi
done
# The smoke profile (CI's check) never replaces a committed rendering.
if [[ " $* " == *" --tables=all "* && "$profile" != smoke && -n "${BUILD_WORKSPACE_DIRECTORY:-}" ]]; then
  doc=results.md
  if [[ "$profile" != default ]]; then doc="results-$profile.md"; fi
  extra=(--results_md="$BUILD_WORKSPACE_DIRECTORY/docs/$doc")
fi
# `bazel run` starts this script inside its runfiles tree (<target>.runfiles/lrbench); lrbench finds its
# own runfiles (e.g. the sentencepiece shim) there, also when harness/lrbench was never built on its own.
export RUNFILES_DIR="${RUNFILES_DIR:-$(cd .. && pwd)}"
exec harness/lrbench reproduce "$@" "${extra[@]}"
