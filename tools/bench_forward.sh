#!/usr/bin/env bash
# Forward and fine-tuning throughput on CPU: lrbench's LibTorch runtime (Google Benchmark,
# //runtime/model:forward_benchmark) and PyTorch eager (tools/torch_forward_reference.py) on the same models
# (bert-mini-mlm's weights; a random BERT-base-shaped model), batch sizes, sequence length and thread counts.
# The two alternate, one run each per thread count and round, so that load from other work on a shared
# machine falls on both alike; the report shows the best and the median of the rounds.
#
# LRB_BENCH_MALLOC picks glibc's allocator policy, the same for both sides:
#   default  glibc as shipped: tensors above the (adaptive) mmap threshold get fresh pages from the kernel on
#            every allocation and are unmapped on free, so each forward pass page-faults its activations in.
#   retain   GLIBC_TUNABLES=glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=4294967296: everything comes
#            from the heap and freed memory stays with the process (peak memory is kept, not returned).
# Writes out/bench_forward/<policy>/lrbench.r<R>.t<N>.json (raw Google Benchmark JSON) and
# pytorch.r<R>.t<N>.json for each round R and thread count N, and prints a markdown report
# (tools/bench_forward_report.py). Environment: LRB_BENCH_MALLOC (default: default), LRB_BENCH_ROUNDS (3),
# LRB_BERT_MINI_DIR (third_party/embedded/models/bert-mini-mlm). Extra arguments go to the benchmark binary, e.g.
# --benchmark_filter=bert-mini.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh >/dev/null
policy=${LRB_BENCH_MALLOC:-default}
case "$policy" in
  default) unset GLIBC_TUNABLES ;;
  retain) export GLIBC_TUNABLES=glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=4294967296 ;;
  *) echo "bench_forward: LRB_BENCH_MALLOC=$policy: expected default or retain" >&2; exit 2 ;;
esac
dir=out/bench_forward/$policy
mkdir -p "$dir"
rm -f "$dir"/lrbench.r*.json "$dir"/pytorch.r*.json
bert_mini_dir=${LRB_BERT_MINI_DIR:-third_party/embedded/models/bert-mini-mlm}
rounds=${LRB_BENCH_ROUNDS:-3}
threads_all=$(nproc)
thread_counts=(1)
[ "$threads_all" -gt 1 ] && thread_counts+=("$threads_all")
bazel build //runtime/model:forward_benchmark
files=()
for r in $(seq 1 "$rounds"); do
  for t in "${thread_counts[@]}"; do
    echo "bench_forward: malloc $policy, round $r/$rounds, $t thread(s)," \
      "load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2
    ./bazel-bin/runtime/model/forward_benchmark --bert_mini_dir="$bert_mini_dir" --threads="$t" \
      --benchmark_format=json --benchmark_out="$dir/lrbench.r$r.t$t.json" --benchmark_out_format=json \
      "$@" >/dev/null
    /usr/bin/python3 tools/torch_forward_reference.py --threads "$t" --bert_mini_dir "$bert_mini_dir" \
      --repetitions 1 >"$dir/pytorch.r$r.t$t.json"
    files+=("$dir/lrbench.r$r.t$t.json" "$dir/pytorch.r$r.t$t.json")
  done
done
python3 tools/bench_forward_report.py "${files[@]}"
