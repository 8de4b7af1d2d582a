#!/usr/bin/env bash
# Run HERE (the Debian build machine), before using a GPU machine that has no Bazel. The project's GPU machine
# has LibTorch with CUDA (in /opt/torch/.venv), g++, gtest and benchmark, but none of Debian's abseil,
# nlohmann-json, utf8proc, Eigen, LAPACKE/OpenBLAS, oneDNN, Nettle or sentencepiece. This writes .cuda-deps/
# (git-ignored), packed as .cuda-deps.tar.xz for the device tool's `carry` (build_and_test.sh unpacks it):
#   build.sh   the compile and link commands of the GPU run's targets, from `bazel aquery --config=cuda`
#              (tools/cuda/gpu_build_script.py: Bazel's flags, sources and link order, with the LibTorch,
#              the output directory and these copies as variables), so nothing is copied from .bazelrc by hand;
#   include/, lib/  the headers and the shared libraries those commands need there (x86-64, glibc >= 2.36),
#              with their non-glibc dependencies, and the sentencepiece shim built here.
# Usage: tools/cuda/prepare.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
tools/setup.sh >/dev/null
# What the GPU run builds: the tool, the device-parameterised tests (their CUDA cases run where CUDA is
# available) and the kernel benchmark.
targets=(//cli:lrbench //runtime/model:parity_test //runtime/model:training_test //runtime/kernels:kernel_test
         //runtime/kernels:linear_benchmark)
rm -rf .cuda-deps && mkdir -p .cuda-deps/include .cuda-deps/lib
standin=$(realpath "$(mktemp -d)")/libtorch
third_party/libtorch/make_standin.sh "$standin" cuda
query="mnemonic('CppCompile|CppLink', $(printf 'deps(%s) + ' "${targets[@]}" | sed 's/ + $//'))"
# A separate output base: switching @libtorch to the stand-in leaves the workspace's own build alone.
aquery_base="${LRB_CUDA_AQUERY_BASE:-$HOME/.cache/lrbench-cuda-aquery}"
LRB_LIBTORCH="$standin" bazel --output_base="$aquery_base" aquery --config=cuda --dynamic_mode=off \
  --include_param_files --output=jsonproto "$query" > .cuda-deps/aquery.json 2>/dev/null
bazel --output_base="$aquery_base" shutdown
tools/cuda/gpu_build_script.py .cuda-deps/aquery.json "$standin" .cuda-deps/build.sh .cuda-deps/libs.txt "${targets[@]}"
chmod +x .cuda-deps/build.sh
rm -rf .cuda-deps/aquery.json "$(dirname "$standin")"
cp -r /usr/include/absl /usr/include/nlohmann /usr/include/utf8proc.h /usr/include/eigen3 /usr/include/oneapi /usr/include/nettle .cuda-deps/include/
cp /usr/include/dnnl*.h* .cuda-deps/include/
cp /usr/include/lapacke*.h /usr/include/cblas*.h .cuda-deps/include/ 2>/dev/null || cp /usr/include/lapacke*.h .cuda-deps/include/
# Real files, not symlinks: the device transfer keeps links as links only.
libdir=/usr/lib/x86_64-linux-gnu
bazel build //tasks/tokenizers/sentencepiece:libspm_shim.so >/dev/null 2>&1
# Each library the links name (libs.txt), under its link name and its soname, and every library these need
# that is not part of glibc/libstdc++, under the soname the loader asks for.
copy_with_deps() {
  ldd "$1" | awk '$3 ~ /^\// { print $1, $3 }' | while read -r soname path; do
    case "$soname" in libc.so*|libm.so*|libstdc++.so*|libgcc_s.so*|ld-linux*|libpthread.so*|libdl.so*|librt.so*) continue ;; esac
    cp -L "$path" ".cuda-deps/lib/$soname"
  done
}
while read -r name; do
  lib="$libdir/lib$name.so"
  [ -e "$lib" ] || { echo "prepare.sh: $lib (linked as -l$name) is missing"; exit 1; }
  cp -L "$lib" ".cuda-deps/lib/lib$name.so"
  soname=$(objdump -p "$lib" | awk '$1 == "SONAME" { print $2 }')
  [ -z "$soname" ] || cp -L "$lib" ".cuda-deps/lib/$soname"
  copy_with_deps "$lib"
done < .cuda-deps/libs.txt
shim=bazel-bin/tasks/tokenizers/sentencepiece/libspm_shim.so
cp -L "$shim" .cuda-deps/lib/
copy_with_deps "$shim"
# One compressed file to carry (the libraries alone exceed the device tool's 64 MiB carry limit).
tar -cJf .cuda-deps.tar.xz .cuda-deps
du -sh .cuda-deps .cuda-deps.tar.xz
