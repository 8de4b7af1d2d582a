#!/usr/bin/env bash
# Run HERE (the Debian build machine), before using the GPU machine: the GPU machine has LibTorch with
# CUDA, g++, gtest and Eigen, but no abseil, nlohmann-json or utf8proc. Usage: prepare.sh [--data] This copies Debian's abseil (headers
# and shared libraries, x86-64, glibc >= 2.36) and nlohmann-json headers into .cuda-deps/ (git-ignored),
# which travels with the working tree to the GPU machine (the device tool's `carry`).
set -euo pipefail
cd "$(dirname "$0")/../.."
tools/setup.sh >/dev/null
rm -rf .cuda-deps && mkdir -p .cuda-deps/include .cuda-deps/lib
cp -r /usr/include/absl /usr/include/nlohmann /usr/include/utf8proc.h .cuda-deps/include/
# Real files, not symlinks: the device transfer keeps links as links only.
for f in /usr/lib/x86_64-linux-gnu/libabsl_*.so /usr/lib/x86_64-linux-gnu/libabsl_*.so.20220623; do cp -L "$f" .cuda-deps/lib/; done
cp -L /usr/lib/x86_64-linux-gnu/libutf8proc.so.2 .cuda-deps/lib/
# With --data: the embedded default encoder and SST-2, for tools/cuda/finetune.sh (about 49 MB).
if [ "${1:-}" = "--data" ]; then
  mkdir -p .cuda-deps/data/glue .cuda-deps/models
  cp -r ../shared/data/glue/SST-2 .cuda-deps/data/glue/
  cp -r ../shared/models/bert-mini-mlm .cuda-deps/models/
  chmod -R u+w .cuda-deps
fi
du -sh .cuda-deps
