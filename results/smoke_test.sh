#!/usr/bin/env bash
# CI's reproduction check: every table's smoke profile (deterministic seeds, a few hundred examples, one
# thread under Bazel), rendered and compared with results/golden/smoke/<table>.csv within 2 points (about
# 2 of the 128 evaluation examples; latency columns are not compared).
set -euo pipefail
out="${TEST_TMPDIR:-/tmp}/smoke"
harness/lrbench reproduce --profile=smoke --out="$out" --golden=results/golden/smoke --tolerance=2
cat "$out"/results.md
