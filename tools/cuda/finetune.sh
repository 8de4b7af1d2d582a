#!/usr/bin/env bash
# Run ON THE GPU MACHINE: builds `lrbench finetune` with g++ against the virtualenv's LibTorch (CUDA) and
# runs it with the arguments given, after "finetune" (argv[1] is the subcommand slot).
# Needs .cuda-deps/ from tools/cuda/prepare.sh (abseil, nlohmann-json, utf8proc).
# Usage: tools/cuda/finetune.sh OUT_DIR --model=... --task=glue/sst2 --output=... --device=cuda [recipe flags]
set -euo pipefail
cd "$(dirname "$0")/../.."
out="$1"; shift
mkdir -p "$out"
py="${LRB_TORCH_PYTHON:-/opt/torch/.venv/bin/python}"
torch_dir=$("$py" -c 'import os, torch; print(os.path.dirname(torch.__file__))')
deps="$PWD/.cuda-deps"
absl_libs=$(ls "$deps"/lib/libabsl_*.so | sed 's|.*/lib\(absl_[a-z0-9_]*\)\.so|-l\1|' | tr '\n' ' ')
cxx=(g++ -std=c++17 -O2 -D_GLIBCXX_USE_CXX11_ABI=1 -I. -isystem "$deps/include"
     -isystem "$torch_dir/include" -isystem "$torch_dir/include/torch/csrc/api/include")
srcs=(harness/io/file.cc harness/io/safetensors.cc harness/model/config.cc harness/model/encoder.cc
      harness/model/t5.cc harness/model/model.cc harness/model/training.cc harness/flags.cc
      harness/finetune.cc tasks/tokenizers/wordpiece.cc tools/cuda/finetune_main.cc)
objs=()
for s in "${srcs[@]}"; do
  o="$out/$(echo "$s" | tr '/' '_').o"
  "${cxx[@]}" -c "$s" -o "$o" &
  objs+=("$o")
done
wait
"${cxx[@]}" "${objs[@]}" -o "$out/finetune" -L"$deps/lib" $absl_libs -l:libutf8proc.so.2 -L"$torch_dir/lib" \
  -Wl,--no-as-needed -ltorch -ltorch_cuda -ltorch_cpu -lc10_cuda -lc10 -Wl,--as-needed -lpthread \
  -Wl,--disable-new-dtags -Wl,-rpath,"$deps/lib" -Wl,-rpath,"$torch_dir/lib"
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader || true
"$out/finetune" finetune "$@"
