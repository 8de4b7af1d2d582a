#!/bin/bash
# compress -> export --format=factored -> tools/lrbench_factored.py (PyTorch) gives the logits `lrbench forward`
# computes on the compressed model, for the BERT, RoBERTa and DistilBERT parity fixtures and each format the
# loader builds (low_rank, low_rank_sparse, kronecker, tucker incl. a shared core, tensor_train), in float32
# and bf16, and from the dense exports; the loader refuses the quantized format by name (its dense export
# loads). The loader's own architectures are checked first on the uncompressed fixtures against Hugging
# Face's logits (expected.safetensors).
#
# Tolerance 1e-4 absolute: both sides compute the same float32 arithmetic in different orders (lrbench's oneDNN
# kernels and factor chains, PyTorch's matmuls on a formed weight), so logits of order 0.1 to 1 differ by
# float32 rounding accumulated over two layers, about 1e-6; 1e-4 is the bound the HF parity tests use.
set -euo pipefail
LRB=cli/lrbench
PY=/usr/bin/python3
LOADER=tools/lrbench_factored.py
TMP="${TEST_TMPDIR:-$(mktemp -d)}"
failures=0
passed=0

# check NAME MAX_DIFF BOUND
check() {
  if "$PY" -c "import sys; sys.exit(0 if float('$2') <= float('$3') else 1)"; then
    passed=$((passed + 1))
    echo "ok   $1: max |diff| $2 <= $3"
  else
    failures=$((failures + 1))
    echo "FAIL $1: max |diff| $2 > $3"
  fi
}

diff_of() { "$PY" -c "import json, sys; print(json.loads(sys.stdin.read())['max_abs_diff'])"; }

BERT=third_party/fixtures/hf-parity/bert_tiny_cls3
ROBERTA=third_party/fixtures/hf-parity-extra/roberta_tiny_cls2
DISTIL=third_party/fixtures/hf-parity/distilbert_tiny_cls2

for fixture in "$BERT" "$ROBERTA" "$DISTIL"; do
  d=$("$PY" "$LOADER" --model="$fixture" --inputs="$fixture/expected.safetensors" \
      --expected="$fixture/expected.safetensors" | diff_of)
  check "loader on $(basename "$fixture") vs Hugging Face" "$d" 1e-4
done

# run NAME FORMAT FIXTURE COMPRESS_ARGS...: compress (every layer must get FORMAT), lrbench's logits, factored
# export (f32 and bf16), loader's logits.
run() {
  local name=$1 format=$2 fixture=$3
  shift 3
  local c="$TMP/$name" f="$TMP/$name.factored" b="$TMP/$name.bf16"
  "$LRB" compress --model="$fixture" "$@" --output="$c" >/dev/null
  formats=$("$PY" -c "import json; print(' '.join(sorted(set(json.load(open('$c/config.json'))['lrbench']['layers'].values()))))")
  if [[ "$formats" == "$format" ]]; then
    passed=$((passed + 1)); echo "ok   $name: layers in format $format"
  else
    failures=$((failures + 1)); echo "FAIL $name: layers in formats '$formats', expected $format"
  fi
  "$LRB" export --model="$c" --format=factored --output="$f" >/dev/null
  "$LRB" export --model="$c" --format=factored --dtype=bf16 --output="$b" >/dev/null
  for dir in "$f" "$b"; do
    "$LRB" forward --model="$dir" --inputs="$fixture/expected.safetensors" --output="$dir.logits.safetensors" >/dev/null
    d=$("$PY" "$LOADER" --model="$dir" --inputs="$fixture/expected.safetensors" \
        --expected="$dir.logits.safetensors" | diff_of)
    check "$name $(basename "$dir")" "$d" 1e-4
  done
  # The dense export is a plain Hugging Face checkpoint: the loader (checked against Hugging Face above) reads it
  # and gives the compressed model's logits.
  "$LRB" export --model="$c" --format=dense --output="$c.dense" >/dev/null
  d=$("$PY" "$LOADER" --model="$c.dense" --inputs="$fixture/expected.safetensors" \
      --expected="$f.logits.safetensors" | diff_of)
  check "$name dense" "$d" 1e-4
}

run bert_svd low_rank "$BERT" --method=svd --rank=8
run roberta_svd low_rank "$ROBERTA" --method=svd --param_ratio=0.3
run distilbert_svd low_rank "$DISTIL" --method=svd --rank=8
run bert_losparse low_rank_sparse "$BERT" --method=losparse --rank=8 --sparse_rows=4
run bert_kronecker kronecker "$BERT" --method=kronecker --param_ratio=0.2
run bert_tucker tucker "$BERT" --method=ada_tucker --param_ratio=0.3 --order=4
run bert_tucker_shared tucker "$BERT" --method=ada_tucker --param_ratio=0.3 --order=4 --shared_core=1 \
  --linears='bert.encoder.layer.*.attention.self.*'
run distilbert_tt tensor_train "$DISTIL" --method=loretta --param_ratio=0.3

# The quantized format is refused by name, not approximated.
"$LRB" compress --model="$BERT" --method=kashin --bits=4 --linears=bert.encoder.layer.0.output.dense \
  --output="$TMP/kashin" >/dev/null
if err=$("$PY" "$LOADER" --model="$TMP/kashin" --inputs="$BERT/expected.safetensors" 2>&1); then
  failures=$((failures + 1)); echo "FAIL kashin: loaded"
elif [[ "$err" == *"format quantized (Kashin) is not supported"* ]]; then
  passed=$((passed + 1)); echo "ok   kashin refused by name"
else
  failures=$((failures + 1)); echo "FAIL kashin: $err"
fi

# Its dense export is the way to PyTorch: the reconstruction gives lrbench's logits on the quantized model.
"$LRB" forward --model="$TMP/kashin" --inputs="$BERT/expected.safetensors" --output="$TMP/kashin.logits.safetensors" >/dev/null
"$LRB" export --model="$TMP/kashin" --format=dense --output="$TMP/kashin.dense" >/dev/null
d=$("$PY" "$LOADER" --model="$TMP/kashin.dense" --inputs="$BERT/expected.safetensors" \
    --expected="$TMP/kashin.logits.safetensors" | diff_of)
check "kashin dense" "$d" 1e-4

echo "$passed passed, $failures failed"
[[ $failures -eq 0 ]]
