#!/usr/bin/env bash
# results/reproduce.sh (what `bazel run //results:reproduce` and //results:t1 ... run) with a stand-in lrbench that
# prints its arguments: without --update_docs nothing committed is named (the run writes only under results/out/);
# a --tables given after `--` replaces the target's own (--default_tables), in either flag form (--tables=t1,
# --tables t1); with --update_docs, the profile's
# committed rendering is passed as --results_md; --update_docs beside the smoke profile or
# another grid (--model, --data_dir, --specs, a shard), with a value, or outside `bazel run` is refused in one line.
set -uo pipefail
script="$PWD/results/reproduce.sh"
tmp="${TEST_TMPDIR:-$(mktemp -d)}/reproduce_script"
rm -rf "$tmp" && mkdir -p "$tmp/runfiles/cli" "$tmp/ws"
cat > "$tmp/runfiles/cli/lrbench" <<'STUB'
#!/usr/bin/env bash
echo "ARGS: $*"
STUB
chmod +x "$tmp/runfiles/cli/lrbench"
failures=0
# check STATUS PATTERN UNWANTED ARGS...: runs the script with ARGS as `bazel run` would; wants STATUS, a line matching
# PATTERN and none matching UNWANTED (when not empty).
check() {
  local want_status="$1" want="$2" unwanted="$3"; shift 3
  local out status
  out=$(cd "$tmp/runfiles" && BUILD_WORKSPACE_DIRECTORY="$tmp/ws" RUNFILES_DIR="$tmp" bash "$script" "$@" 2>&1)
  status=$?
  if [[ "$status" -ne "$want_status" ]] || ! grep -q -- "$want" <<<"$out" ||
     { [[ -n "$unwanted" ]] && grep -q -- "$unwanted" <<<"$out"; }; then
    echo "FAIL: reproduce.sh $* -> status $status, output: $out (wanted status $want_status, '$want'${unwanted:+, not '$unwanted'})" >&2
    failures=$((failures + 1))
  else
    echo "ok: reproduce.sh $*"
  fi
}
check 0 "ARGS: reproduce --tables=all$" "results_md" --default_tables=all
check 0 "ARGS: reproduce --tables=t2 --profile=smoke$" "all" --default_tables=all --tables=t2 --profile=smoke
check 0 "ARGS: reproduce --tables=t2,t3$" "t1" --default_tables=t1 --tables=t2,t3
check 0 "ARGS: reproduce --tables=t1 --profile=fast$" "results_md" --tables=t1 --profile=fast
check 0 "ARGS: reproduce --tables=t1 --profile=fast --out /tmp/x$" "all" --default_tables all --tables t1 --profile fast --out /tmp/x
check 0 "ARGS: reproduce --tables=t1 --tasks=glue/rte --results_md=$tmp/ws/docs/results.md$" "" --tables=t1 --update_docs --tasks=glue/rte
check 0 "--profile=fast --results_md=$tmp/ws/docs/results-fast.md$" "" --update_docs --profile=fast
check 0 "--out=/tmp/x --render_only --results_md=$tmp/ws/docs/results.md$" "" --out=/tmp/x --render_only --update_docs
check 2 "the smoke profile has no committed rendering" "ARGS" --update_docs --profile=smoke
check 2 "the smoke profile has no committed rendering" "ARGS" --update_docs --profile smoke
check 2 "--model is not the committed rendering's grid" "ARGS" --update_docs --model=/m
check 2 "--shard_index is not the committed rendering's grid" "ARGS" --shard_index=0 --update_docs
check 2 "--update_docs takes no value" "ARGS" --update_docs=yes
out=$(cd "$tmp/runfiles" && env -u BUILD_WORKSPACE_DIRECTORY RUNFILES_DIR="$tmp" bash "$script" --update_docs 2>&1)
if [[ $? -ne 2 ]] || ! grep -q "needs 'bazel run'" <<<"$out"; then
  echo "FAIL: --update_docs outside bazel run: $out" >&2
  failures=$((failures + 1))
fi
[[ -z "$(ls -A "$tmp/ws")" ]] || { echo "FAIL: the workspace was written: $(ls -R "$tmp/ws")" >&2; failures=$((failures + 1)); }
echo "$failures failure(s)"
[[ "$failures" -eq 0 ]]
