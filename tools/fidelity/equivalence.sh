#!/usr/bin/env bash
# Step-for-step check behind the fidelity study: with dropout off and the same head in the checkpoint (so that
# no random number enters), lrbench finetune --sampler=random and tools/finetune_reference.py train on the same
# 32 RTE examples in one batch per epoch (the batch order cannot differ), and print each epoch's train loss
# (the loss before that epoch's step). Equal lists mean the same forward pass, loss, AdamW update, weight decay
# set, clipping and schedule. Run once with warm-up 0 and once with 0.1 (6 steps: the Trainer warms up for
# ceil(0.6) = 1 step, lrbench for floor(0.6) = 0).
#   tools/fidelity/equivalence.sh [SCRATCH_DIR]
set -euo pipefail
cd "$(dirname "$0")/../.."
LRBENCH=${LRBENCH:-bazel-bin/cli/lrbench}
PYTHON=${PYTHON:-/usr/bin/python3}
W=${1:-/tmp/lrbench-fidelity-equivalence}
export OMP_NUM_THREADS=1
A=(--task=glue/rte --max_train_examples=32 --max_eval_examples=64 --max_length=128 --threads=1 --overwrite)
mkdir -p "$W"
# A checkpoint with a pooler and classifier: one short lrbench fine-tune of bert-mini; then dropout 0.
nice -n 10 "$LRBENCH" finetune --model=third_party/embedded/models/bert-mini-mlm "${A[@]}" --output="$W/base" \
  --epochs=1 --lr=1e-4 > /dev/null 2>&1
rm -rf "$W/nodrop" && cp -r "$W/base" "$W/nodrop"
"$PYTHON" - "$W/nodrop/config.json" <<'EOF'
import json, sys
c = json.load(open(sys.argv[1]))
c.update(hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0, classifier_dropout=0.0)
json.dump(c, open(sys.argv[1], "w"), indent=1)
EOF
nice -n 10 "$LRBENCH" finetune --model="$W/nodrop" "${A[@]}" --output="$W/encoded" --dump_encoded 2> /dev/null
for warmup in 0 0.1; do
  R=(--epochs=6 --lr=1e-4 --batch_size=32 --warmup_ratio=$warmup --seed=42)
  nice -n 10 "$LRBENCH" finetune --model="$W/nodrop" "${A[@]}" --output="$W/lrbench-$warmup" "${R[@]}" \
    --sampler=random > /dev/null 2>&1
  "$PYTHON" -c "import json,sys; print('warm-up $warmup lrbench:', [round(e['train_loss'], 7) for e in json.load(open(sys.argv[1]))['epochs']])" \
    "$W/lrbench-$warmup/finetune.json"
  nice -n 10 "$PYTHON" tools/finetune_reference.py --model="$W/nodrop" --encoded="$W/encoded" --task=glue/rte \
    "${R[@]}" 2> /dev/null |
    "$PYTHON" -c "import json,sys; d=json.load(sys.stdin); print('warm-up $warmup pytorch:', [round(x, 7) for x in d['epoch_train_loss']], '(warm-up steps', d['warmup_steps'], 'of', d['steps'], ')')"
done
