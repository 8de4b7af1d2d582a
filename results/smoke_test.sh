#!/usr/bin/env bash
# CI's reproduction check: every table's smoke profile (deterministic seeds, a few hundred examples, one
# thread under Bazel), rendered and compared with results/golden/smoke/<table>.csv within 2 points (about
# 2 of the 128 evaluation examples; latency columns are not compared). It also writes the committed-style
# rendering (what --results_md does for docs/results.md) and checks that every plot it links exists in the
# folder named like the file.
set -euo pipefail
out="${TEST_TMPDIR:-/tmp}/smoke"
harness/lrbench reproduce --profile=smoke --out="$out" --golden=results/golden/smoke --tolerance=2 \
  --results_md="$out/doc/results-smoke.md"
cat "$out"/results.md
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
