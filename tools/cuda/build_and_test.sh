#!/usr/bin/env bash
# Run ON THE GPU MACHINE (no Bazel there): builds the model runtime and its parity test with g++ against
# the LibTorch inside the PyTorch virtualenv, then runs the parity test on CUDA and on CPU.
# Needs .cuda-deps/ from tools/cuda/prepare.sh. Usage: tools/cuda/build_and_test.sh [OUT_DIR]
set -euo pipefail
cd "$(dirname "$0")/../.."
out="${1:-/tmp/lrbench-cuda}"
mkdir -p "$out"
py="${LRB_TORCH_PYTHON:-/opt/torch/.venv/bin/python}"
torch_dir=$("$py" -c 'import os, torch; print(os.path.dirname(torch.__file__))')
echo "torch: $("$py" -c 'import torch; print(torch.__version__, torch.version.cuda)') at $torch_dir"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
deps="$PWD/.cuda-deps"
[ -d "$deps" ] || { echo "build_and_test.sh: $deps missing (run tools/cuda/prepare.sh on the build machine and carry it)"; exit 1; }
absl_libs=$(ls "$deps"/lib/libabsl_*.so | sed 's|.*/lib\(absl_[a-z0-9_]*\)\.so|-l\1|' | tr '\n' ' ')
cxx=(g++ -std=c++17 -O2 -D_GLIBCXX_USE_CXX11_ABI=1 -I. -isystem "$deps/include"
     -isystem "$torch_dir/include" -isystem "$torch_dir/include/torch/csrc/api/include")
srcs=(harness/io/file.cc harness/io/safetensors.cc harness/model/config.cc harness/model/encoder.cc
      harness/model/t5.cc harness/model/model.cc)
objs=()
for s in "${srcs[@]}" harness/model/parity_test.cc; do
  o="$out/$(echo "$s" | tr '/' '_').o"
  "${cxx[@]}" -c "$s" -o "$o" &
  objs+=("$o")
done
wait
"${cxx[@]}" "${objs[@]}" -o "$out/parity_test" -L"$deps/lib" $absl_libs -L"$torch_dir/lib" \
  -Wl,--no-as-needed -ltorch -ltorch_cuda -ltorch_cpu -lc10_cuda -lc10 -Wl,--as-needed \
  -lgtest_main -lgtest -lpthread -Wl,--disable-new-dtags -Wl,-rpath,"$deps/lib" -Wl,-rpath,"$torch_dir/lib"
# DT_RPATH (not RUNPATH) so that abseil's libraries find each other in .cuda-deps too.
echo "== parity on CUDA"
LRB_TEST_DEVICE=cuda "$out/parity_test"
echo "== parity on CPU (same binary)"
"$out/parity_test"
