#!/usr/bin/env bash
# Run HERE (the Debian build machine), before using the GPU machine. The GPU machine has LibTorch with CUDA
# (in /opt/torch/.venv), g++ and gtest, but no Bazel and none of Debian's abseil, nlohmann-json, utf8proc,
# Eigen, LAPACKE/OpenBLAS, Nettle (headers) or sentencepiece. This copies them (headers, and shared libraries with their
# non-glibc dependencies: x86-64, glibc >= 2.36) into .cuda-deps/ (git-ignored), with the sentencepiece
# shim built here and the source lists of the targets the GPU build compiles (from `bazel query`, so they
# never go stale), packed as .cuda-deps.tar.xz for the device tool's `carry` (build_and_test.sh unpacks it).
# Usage: tools/cuda/prepare.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
tools/setup.sh >/dev/null
rm -rf .cuda-deps && mkdir -p .cuda-deps/include .cuda-deps/lib
cp -r /usr/include/absl /usr/include/nlohmann /usr/include/utf8proc.h /usr/include/eigen3 /usr/include/oneapi /usr/include/nettle .cuda-deps/include/
cp /usr/include/dnnl*.h* .cuda-deps/include/
cp /usr/include/lapacke*.h /usr/include/cblas*.h .cuda-deps/include/ 2>/dev/null || cp /usr/include/lapacke*.h .cuda-deps/include/
# Real files, not symlinks: the device transfer keeps links as links only.
libdir=/usr/lib/x86_64-linux-gnu
for f in "$libdir"/libabsl_*.so "$libdir"/libabsl_*.so.20220623; do cp -L "$f" .cuda-deps/lib/; done
bazel build //tasks/tokenizers/sentencepiece:libspm_shim.so >/dev/null 2>&1
cp -L bazel-bin/tasks/tokenizers/sentencepiece/libspm_shim.so .cuda-deps/lib/
# Every library these need that is not part of glibc/libstdc++, under the soname the loader asks for.
for lib in "$libdir"/libutf8proc.so.2 "$libdir"/liblapacke.so.3 "$libdir"/libdnnl.so.2 "$libdir"/libnettle.so.8 bazel-bin/tasks/tokenizers/sentencepiece/libspm_shim.so; do
  ldd "$lib" | awk '$3 ~ /^\// { print $1, $3 }' | while read -r soname path; do
    case "$soname" in libc.so*|libm.so*|libstdc++.so*|libgcc_s.so*|ld-linux*|libpthread.so*|libdl.so*|librt.so*) continue ;; esac
    cp -L "$path" ".cuda-deps/lib/$soname"
  done
  cp -L "$lib" ".cuda-deps/lib/$(basename "$lib")"
done
# Link-time names for the libraries linked by name.
# The sources of each target, workspace-relative (the shim itself is prebuilt above).
for target in //harness:lrbench //harness/model:parity_test //harness/model:training_test //harness/kernels:kernel_test; do
  name=${target##*:}
  bazel query "filter('\.cc$', kind('source file', deps($target)))" 2>/dev/null | grep '^//' |
    grep -v 'spm_shim.cc' | sed 's|^//||; s|:|/|; s|^/||' > ".cuda-deps/$name.srcs"
done
# One compressed file to carry (the libraries alone exceed the device tool's 64 MiB carry limit).
tar -cJf .cuda-deps.tar.xz .cuda-deps
du -sh .cuda-deps .cuda-deps.tar.xz
