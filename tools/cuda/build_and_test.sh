#!/usr/bin/env bash
# Run ON THE GPU MACHINE (no Bazel there): builds the `lrbench` tool and the model tests with g++ against
# the LibTorch inside the PyTorch virtualenv, then runs the parity and training tests on CUDA and on CPU and
# the kernel parity test on oneDNN, LibTorch CPU and LibTorch CUDA.
# Needs .cuda-deps/ from tools/cuda/prepare.sh (carried). Usage: tools/cuda/build_and_test.sh [OUT_DIR]
# Afterwards: OUT_DIR/lrbench finetune ... --device=cuda (run it through tools/cuda/env.sh for the paths).
set -euo pipefail
cd "$(dirname "$0")/../.."
out="${1:-/tmp/lrbench-cuda}"
mkdir -p "$out/obj"
py="${LRB_TORCH_PYTHON:-/opt/torch/.venv/bin/python}"
torch_dir=$("$py" -c 'import os, torch; print(os.path.dirname(torch.__file__))')
echo "torch: $("$py" -c 'import torch; print(torch.__version__, torch.version.cuda)') at $torch_dir"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
deps="$PWD/.cuda-deps"
[ -d "$deps" ] || [ ! -f .cuda-deps.tar.xz ] || tar -xJf .cuda-deps.tar.xz
[ -f "$deps/lrbench.srcs" ] || { echo "build_and_test.sh: $deps missing (run tools/cuda/prepare.sh on the build machine and carry it)"; exit 1; }
absl_libs=$(ls "$deps"/lib/libabsl_*.so | sed 's|.*/lib\(absl_[a-z0-9_]*\)\.so|-l\1|' | tr '\n' ' ')
cxx=(g++ -std=c++17 -O2 -fopenmp -DEIGEN_USE_BLAS -D_GLIBCXX_USE_CXX11_ABI=1 -I. -isystem "$deps/include"
     -isystem "$deps/include/eigen3" -isystem "$torch_dir/include" -isystem "$torch_dir/include/torch/csrc/api/include")
libs=(-L"$deps/lib" $absl_libs -l:liblapacke.so.3 -l:liblapack.so.3 -l:libblas.so.3 -l:libutf8proc.so.2 -l:libdnnl.so.2 -l:libnettle.so.8 -ldl -L"$torch_dir/lib"
      -Wl,--no-as-needed -ltorch -ltorch_cuda -ltorch_cpu -lc10_cuda -lc10 -Wl,--as-needed -lpthread
      -Wl,--disable-new-dtags -Wl,-rpath,"$deps/lib" -Wl,-rpath,"$torch_dir/lib")
# DT_RPATH (not RUNPATH) so that the copied libraries find each other in .cuda-deps too.
export out
sort -u "$deps"/*.srcs | xargs -P "$(nproc)" -I{} bash -c 'o="$out/obj/$(echo {} | tr / _).o"; [ "$o" -nt {} ] || '"${cxx[*]}"' -c {} -o "$o"'
objs() { sed "s|/|_|g; s|^|$out/obj/|; s|\$|.o|" "$deps/$1.srcs"; }
"${cxx[@]}" $(objs lrbench) -o "$out/lrbench" "${libs[@]}"
"${cxx[@]}" $(objs parity_test) -o "$out/parity_test" "${libs[@]}" -lgtest_main -lgtest
"${cxx[@]}" $(objs training_test) -o "$out/training_test" "${libs[@]}" -lgtest_main -lgtest
"${cxx[@]}" $(objs kernel_test) -o "$out/kernel_test" "${libs[@]}" -lgtest_main -lgtest
export LRB_SPM_SHIM="$deps/lib/libspm_shim.so" LD_LIBRARY_PATH="$deps/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
echo "== parity on CUDA"
LRB_TEST_DEVICE=cuda "$out/parity_test"
echo "== parity on CPU (same binary)"
"$out/parity_test"
echo "== training on CPU"
"$out/training_test"
echo "== kernels: every format on oneDNN, LibTorch CPU and LibTorch CUDA"
LRB_TEST_DEVICE=cuda "$out/kernel_test"
