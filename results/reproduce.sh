#!/usr/bin/env bash
# `bazel run //results:reproduce` (every table) and `bazel run //results:t1` (one table): runs
# `lrbench reproduce` from the runfiles with the target's tables (--tables=... after `--` replaces them); extra
# arguments after `--` are passed on (e.g. --profile=fast,
# --model=DIR, --tasks=..., --shard_index=I --shard_count=N, --render_only). Outputs: results/out/<profile>/ in
# the workspace (records, cached base models, rendered tables, results.md). Nothing committed is touched
# unless `--update_docs` is given (the maintainers' re-rendering): then the sections of the tables it ran are
# rewritten in the profile's committed rendering, docs/results.md (plots and records in docs/results/) for the
# default profile, docs/results-<profile>.md (docs/results-<profile>/) for another.
set -euo pipefail
# lrbench takes --name value as --name=value: the flags read here are joined into that form first.
joined=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --default_tables | --tables | --profile | --model | --data_dir | --specs | --shard_index | --shard_count)
      if [[ $# -ge 2 ]]; then
        joined+=("$1=$2")
        shift 2
        continue
      fi ;;
  esac
  joined+=("$1")
  shift
done
set -- "${joined[@]+"${joined[@]}"}"
args=()
default_tables=all
user_tables=no
profile=default
update_docs=no
other_grid=""
for arg in "$@"; do
  case "$arg" in
    # The target's own table set (results/BUILD); a --tables the user gives replaces it.
    --default_tables=*) default_tables="${arg#--default_tables=}"; continue ;;
    --tables=*) user_tables=yes ;;
    --update_docs) update_docs=yes; continue ;;
    --update_docs=*)
      echo "lrbench reproduce: --update_docs takes no value" >&2
      exit 2 ;;
    --profile=*) profile="${arg#--profile=}" ;;
    # Another model, data, spec set or one shard is not the committed rendering's grid.
    --model=* | --data_dir=* | --specs=* | --shard_index=* | --shard_count=*) other_grid="${arg%%=*}" ;;
  esac
  args+=("$arg")
done
if [[ "$user_tables" == no ]]; then args=(--tables="$default_tables" "${args[@]+"${args[@]}"}"); fi
if [[ "$update_docs" == yes ]]; then
  if [[ -z "${BUILD_WORKSPACE_DIRECTORY:-}" ]]; then
    echo "lrbench reproduce: --update_docs needs 'bazel run' (it writes into the workspace's docs/)" >&2
    exit 2
  fi
  if [[ "$profile" == smoke ]]; then
    echo "lrbench reproduce: --update_docs: the smoke profile has no committed rendering" >&2
    exit 2
  fi
  if [[ -n "$other_grid" ]]; then
    echo "lrbench reproduce: --update_docs: $other_grid is not the committed rendering's grid (drop one of them)" >&2
    exit 2
  fi
  doc=results.md
  if [[ "$profile" != default ]]; then doc="results-$profile.md"; fi
  args+=(--results_md="$BUILD_WORKSPACE_DIRECTORY/docs/$doc")
fi
# `bazel run` starts this script inside its runfiles tree (<target>.runfiles/lrbench); lrbench finds its
# own runfiles (e.g. the sentencepiece shim) there, also when cli/lrbench was never built on its own.
export RUNFILES_DIR="${RUNFILES_DIR:-$(cd .. && pwd)}"
exec cli/lrbench reproduce "${args[@]+"${args[@]}"}"
