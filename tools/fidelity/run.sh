#!/usr/bin/env bash
# The fine-tuning fidelity study of issue #24 (item 6): lrbench's fine-tuning beside a plain-PyTorch reference
# with the Hugging Face Trainer's semantics (tools/finetune_reference.py), on the same checkpoint, the same
# token ids and the same recipe, over several seeds. docs/fidelity.md (tools/fidelity/report.py) shows the
# distributions side by side.
#
# Recipe (the issue's): lr 1e-4, batch 32, warm-up 10 %, weight decay 0.01, clipping 1.0; CoLA 5 epochs at
# max_length 64, MRPC and STS-B 5 epochs at 128, RTE 8 epochs at 128; the embedded bert-mini-mlm.
# Implementations: pytorch (the reference), lrbench-random (lrbench finetune --sampler=random: the Trainer's
# random batches) and lrbench-bucketed (lrbench's default, length-bucketed batches).
#
# Resumable: one JSON per (implementation, task, seed) in OUT (default docs/fidelity/runs), written atomically
# when the run ends; a run whose JSON exists is skipped. Seed-major order (every task and implementation of
# seed 42 first; RTE, MRPC, STS-B, CoLA), so that a partial study is balanced. One run at a time, one thread
# each (OMP_NUM_THREADS=1, torch.set_num_threads(1)), under nice -n 10.
#
#   tools/fidelity/run.sh                                   # the study (hours; see docs/fidelity.md)
#   OUT=/tmp/fid SEEDS=42 MAX_TRAIN=200 EPOCHS=1 tools/fidelity/run.sh   # a smoke run
#
# Environment: LRBENCH (default bazel-bin/cli/lrbench; build //cli:lrbench first), PYTHON (/usr/bin/python3:
# Debian's, with torch, scipy, sklearn), OUT, WORK (scratch: encoded splits and lrbench's outputs; default
# OUT/../work-<basename OUT>), SEEDS, TASKS (of rte mrpc stsb cola), IMPLEMENTATIONS, MAX_TRAIN (0: all) and
# EPOCHS (overrides every task's; smoke runs only).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
LRBENCH=${LRBENCH:-$ROOT/bazel-bin/cli/lrbench}
PYTHON=${PYTHON:-/usr/bin/python3}
OUT=${OUT:-$ROOT/docs/fidelity/runs}
WORK=${WORK:-$(dirname "$OUT")/work-$(basename "$OUT")}
SEEDS=${SEEDS:-42 43 44 45 46}
TASKS=${TASKS:-rte mrpc stsb cola}
IMPLEMENTATIONS=${IMPLEMENTATIONS:-pytorch lrbench-random lrbench-bucketed}
MAX_TRAIN=${MAX_TRAIN:-0}
EPOCHS=${EPOCHS:-}
MODEL=third_party/embedded/models/bert-mini-mlm
LR=1e-4 BATCH=32 WARMUP=0.1 DECAY=0.01 CLIP=1.0

[[ -x $LRBENCH ]] || { echo "run.sh: $LRBENCH is not built (bazel build //cli:lrbench)" >&2; exit 1; }
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1
mkdir -p "$OUT" "$WORK"
COMMIT=$(git rev-parse HEAD 2>/dev/null || echo unknown)
[[ -z $(git status --porcelain --untracked-files=no 2>/dev/null) ]] || COMMIT="$COMMIT (modified)"
MACHINE="$(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -1), $(nproc --all) cores, $(uname -sr)"

# task -> lrbench id, epochs, max_length, num_labels
task_settings() {
  case $1 in
    rte) echo "glue/rte 8 128 2" ;;
    mrpc) echo "glue/mrpc 5 128 2" ;;
    stsb) echo "glue/stsb 5 128 1" ;;
    cola) echo "glue/cola 5 64 2" ;;
    *) echo "run.sh: unknown task '$1' (rte, mrpc, stsb, cola)" >&2; exit 1 ;;
  esac
}

# The encoded splits of a task (lrbench's own encoding; both implementations train on them), once per task.
encoded_dir() {
  local task=$1 id=$2 max_length=$3 dir="$WORK/encoded/$1-$3-$MAX_TRAIN"
  if [[ ! -s $dir/encoded_dev.jsonl ]]; then
    rm -rf "$dir.tmp"
    nice -n 10 "$LRBENCH" finetune --model=$MODEL --task="$id" --output="$dir.tmp" --max_length="$max_length" \
      --max_train_examples="$MAX_TRAIN" --threads=1 --dump_encoded >&2
    rm -rf "$dir" && mv "$dir.tmp" "$dir"
  fi
  echo "$dir"
}

# Writes the result JSON from the run's own output (stdin: the JSON line it printed) atomically.
write_result() {
  local impl=$1 task=$2 seed=$3 seconds=$4 command=$5 result=$6 detail=$7
  "$PYTHON" - "$impl" "$task" "$seed" "$seconds" "$command" "$result" "$COMMIT" "$MACHINE" "$detail" <<'EOF'
import datetime, json, os, sys
impl, task, seed, seconds, command, result, commit, machine, detail = sys.argv[1:]
with open(detail) as f:
    d = json.load(f)
metrics = d["eval"]["metrics"] if "eval" in d else d["metrics"]
out = {"implementation": impl, "task": task, "seed": int(seed), "metrics": metrics, "seconds": float(seconds),
       "threads": 1, "command": command, "git_commit": commit, "machine": machine,
       "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"), "detail": d}
tmp = result + ".tmp"
with open(tmp, "w") as f:
    json.dump(out, f, indent=1)
    f.write("\n")
os.replace(tmp, result)
print(json.dumps(metrics))
EOF
}

total=0 done_before=0
for seed in $SEEDS; do for task in $TASKS; do for impl in $IMPLEMENTATIONS; do
  total=$((total + 1))
  [[ -s $OUT/$impl-$task-$seed.json ]] && done_before=$((done_before + 1))
done; done; done
echo "run.sh: $total runs, $done_before already in $OUT; commit $COMMIT; $MACHINE" >&2

n=0
for seed in $SEEDS; do
  for task in $TASKS; do
    read -r id epochs max_length num_labels < <(task_settings "$task")
    epochs=${EPOCHS:-$epochs}
    for impl in $IMPLEMENTATIONS; do
      n=$((n + 1))
      result="$OUT/$impl-$task-$seed.json"
      if [[ -s $result ]]; then continue; fi
      enc=$(encoded_dir "$task" "$id" "$max_length")
      run_dir="$WORK/$impl-$task-$seed"
      rm -rf "$run_dir" && mkdir -p "$run_dir"
      case $impl in
        pytorch)
          cmd=("$PYTHON" tools/finetune_reference.py --encoded="$enc" --task="$id" --num_labels="$num_labels"
               --epochs="$epochs" --lr=$LR --batch_size=$BATCH --warmup_ratio=$WARMUP --weight_decay=$DECAY
               --max_grad_norm=$CLIP --seed="$seed" --threads=1)
          detail="$run_dir/reference.json" ;;
        lrbench-random | lrbench-bucketed)
          cmd=("$LRBENCH" finetune --model=$MODEL --task="$id" --output="$run_dir/out" --max_length="$max_length"
               --max_train_examples="$MAX_TRAIN" --epochs="$epochs" --lr=$LR --batch_size=$BATCH
               --warmup_ratio=$WARMUP --weight_decay=$DECAY --max_grad_norm=$CLIP --seed="$seed" --threads=1
               --sampler="${impl#lrbench-}")
          detail="$run_dir/out/finetune.json" ;;
        *) echo "run.sh: unknown implementation '$impl'" >&2; exit 1 ;;
      esac
      echo "run.sh: [$n/$total] $impl $task seed $seed ($(date -u +%H:%M:%S))" >&2
      start=$EPOCHREALTIME
      if [[ $impl == pytorch ]]; then
        nice -n 10 "${cmd[@]}" > "$detail" 2> "$run_dir/log.txt"
      else
        nice -n 10 "${cmd[@]}" > /dev/null 2> "$run_dir/log.txt"
      fi
      seconds=$(awk "BEGIN {print $EPOCHREALTIME - $start}")
      metrics=$(write_result "$impl" "$task" "$seed" "$seconds" "OMP_NUM_THREADS=1 nice -n 10 ${cmd[*]}" "$result" "$detail")
      echo "run.sh: [$n/$total] $impl $task seed $seed: $metrics in ${seconds%.*} s" >&2
      rm -rf "$run_dir/out/model.safetensors"
    done
  done
done
echo "run.sh: done; render with $PYTHON tools/fidelity/report.py" >&2
