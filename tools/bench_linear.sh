#!/usr/bin/env bash
# Speed of the compressed linear layer (issue #6): //runtime/kernels:linear_benchmark (every format on oneDNN
# and LibTorch, BERT-base shapes, 1/128/1024/4096 tokens) and PyTorch eager's dense layer on the same shapes
# (tools/torch_linear_reference.py), then the markdown report (tools/kernel_report.py): each case beside its
# dense twin with the FLOP-ratio bound, and the dense layer beside PyTorch's.
# Writes out/bench_linear/{linear,pytorch}.json and report.md. Environment: LRB_BENCH_THREADS (default: all
# cores), LRB_BENCH_MIN_TIME (Google Benchmark seconds per case, default 0.3). Extra arguments go to the
# benchmark binary, e.g. --benchmark_filter=out:768/in:768.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh >/dev/null
threads=${LRB_BENCH_THREADS:-$(nproc)}
min_time=${LRB_BENCH_MIN_TIME:-0.3}
dir=out/bench_linear
mkdir -p "$dir"
bazel build -c opt //runtime/kernels:linear_benchmark
echo "bench_linear: $threads thread(s), load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2
bazel-bin/runtime/kernels/linear_benchmark --threads="$threads" --benchmark_min_time="$min_time" \
  --benchmark_format=json "$@" > "$dir/linear.json"
/usr/bin/python3 tools/torch_linear_reference.py --threads="$threads" > "$dir/pytorch.json"
/usr/bin/python3 tools/kernel_report.py "$dir/linear.json" "$dir/pytorch.json" | tee "$dir/report.md"
