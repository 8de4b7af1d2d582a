#!/usr/bin/env bash
# CI's reproduction check: every table's smoke profile (deterministic seeds, a few hundred examples, one
# thread under Bazel), its records compared with the committed golden records (results/golden/smoke/runs/) by
# `lrbench compare`, which fails on a regression: a drop of more than 1 point whose paired bootstrap interval
# over the 128 evaluation examples lies below zero, or a run that failed. It also writes the committed-style
# rendering (what --results_md does for docs/results.md) and checks that every plot it links exists in the
# folder named like the file, that the records each table renders are copied there (runs/<table>/,
# replacing what an earlier rendering left), and that rendering one table again rewrites only its section.
set -euo pipefail
out="${TEST_TMPDIR:-/tmp}/smoke"
rm -rf "$out"
mkdir -p "$out/doc/results-smoke/runs/t1"
echo '{}' > "$out/doc/results-smoke/runs/t1/0000000000000000.json"  # an earlier rendering's record
cli/lrbench reproduce --profile=smoke --out="$out" --results_md="$out/doc/results-smoke.md"
cat "$out"/results.md
status=0
cli/lrbench compare --base=results/golden/smoke --head="$out" --out="$out/compare.md" || status=$?
cat "$out/compare.md"
if [[ $status -ne 0 ]]; then
  echo "FAIL: lrbench compare found a regression against results/golden/smoke (exit status $status)" >&2
  exit 1
fi
doc="$out/doc/results-smoke.md"
links=$(grep -o '](results-smoke/t[0-9]*\.svg)' "$doc" | sed 's/^](//; s/)$//')
if [[ $(echo "$links" | grep -c .) -ne $(grep -c '^## t[0-9]' "$doc") ]]; then
  echo "FAIL: $doc should link one plot per table, links: $links" >&2
  exit 1
fi
for link in $links; do
  [[ -s "$out/doc/$link" ]] || { echo "FAIL: $doc links $link, which is missing" >&2; exit 1; }
done
echo "rendering: $(echo "$links" | wc -l) plots linked from $doc, all present"
if ! diff -r -x '*.lock' "$out/runs" "$out/doc/results-smoke/runs" >&2; then
  echo "FAIL: $out/doc/results-smoke/runs/ should hold exactly the records of $out/runs/" >&2
  exit 1
fi
echo "rendering: its $(find "$out/doc/results-smoke/runs" -name '*.json' | wc -l) records copied beside it"
cp "$doc" "$out/before.md"
cli/lrbench reproduce --profile=smoke --out="$out" --render_only --tables=t2 --results_md="$doc" > /dev/null
if ! diff "$out/before.md" "$doc" >&2 || ! diff -r -x '*.lock' "$out/runs" "$out/doc/results-smoke/runs" >&2; then
  echo "FAIL: rendering t2 alone again should leave $doc and the copied records as they were" >&2
  exit 1
fi
echo "rendering: t2 rendered alone again, the other sections kept as they were"
