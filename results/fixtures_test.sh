#!/usr/bin/env bash
# Every encoder table through --model on the published-layout fixtures (third_party/fixtures/layouts: tiny
# random stand-ins of bert-base-uncased, its pytorch_model.bin, bert-base-cased, distilbert-base-uncased and
# roberta-base with their published names, configs and tokenizer files): the smoke profile of T1-T6, T8 and T9
# must run without a failed run, and each rendered table must show the fixture's measured rows under its own
# name. T7 (flan-t5) needs a T5 model wider than its rank 128; the T5 fixtures are checked by
# //runtime/model:layouts_test instead. The numbers are not compared: the weights are random.
set -uo pipefail
out="${TEST_TMPDIR:-$(mktemp -d)}/fixtures"
rm -rf "$out"
failures=0
for fixture in bert-base-uncased bert-base-uncased-bin bert-base-cased distilbert-base-uncased roberta-base; do
  dir="third_party/fixtures/layouts/$fixture"
  log="$out/$fixture.log"
  mkdir -p "$out"
  cli/lrbench reproduce --profile=smoke --model="$dir" --out="$out/$fixture" \
    --tables=t1,t2,t3,t4,t5,t6,t8,t9 > "$log" 2>&1
  status=$?
  summary=$(grep '^lrbench reproduce: .* run(s):' "$log")
  if [[ $status -ne 0 ]] || ! grep -q "ran (0 failed, 0 without data)" <<<"$summary"; then
    echo "FAIL: $fixture: status $status, $summary" >&2
    grep -E 'failed:' "$log" >&2
    failures=$((failures + 1))
    continue
  fi
  for t in t1 t2 t3 t4 t5 t6 t8 t9; do
    if ! grep -q "^| \*\*measured, $fixture, profile smoke\*\*" "$out/$fixture/tables/$t.md"; then
      echo "FAIL: $fixture: $t.md has no row group 'measured, $fixture'" >&2
      failures=$((failures + 1))
    fi
  done
  echo "ok: $fixture: $summary"
done
echo "$failures failure(s)"
[[ "$failures" -eq 0 ]]
