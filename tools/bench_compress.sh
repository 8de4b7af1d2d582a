#!/usr/bin/env bash
# Compression-time benchmark: lrbench's methods (Google Benchmark, //methods:compress_benchmark) and
# PyTorch's SVDs (tools/torch_reference.py) on the same shapes, ranks and thread counts, in one run.
# Writes out/bench_compress.json (raw Google Benchmark JSON), out/torch_reference.json and prints a
# markdown report with ratios (tools/bench_report.py). Extra arguments go to the benchmark binary,
# e.g. --benchmark_filter=svd.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh >/dev/null
mkdir -p out
threads_all=$(nproc)
bazel build //methods:compress_benchmark
./bazel-bin/methods/compress_benchmark --benchmark_format=json --benchmark_out=out/bench_compress.json \
  --benchmark_out_format=json "$@" >/dev/null
/usr/bin/python3 tools/torch_reference.py --threads 1 "$threads_all" >out/torch_reference.json
python3 tools/bench_report.py out/bench_compress.json out/torch_reference.json
