#!/bin/bash
# Makes a stand-in LibTorch distribution at DIR from Debian's (libtorch archive layout: include/ and lib/ of
# symlinks into /usr), for testing LRB_LIBTORCH without one: with `cuda`, libtorch_cuda.so and libc10_cuda.so
# are added as empty shared objects (they link, and register no CUDA backend: torch::cuda::is_available()
# stays false). Used by libtorch_layout_test.sh, tools/cuda/prepare.sh and the check in third_party/README.md.
# Usage: make_standin.sh DIR [cuda]
set -euo pipefail
dir=$1
mkdir -p "$dir/include/torch/csrc/api" "$dir/lib"
for d in ATen c10 caffe2; do ln -sfn "/usr/include/$d" "$dir/include/$d"; done
ln -sfn /usr/include/torch/csrc/api/include "$dir/include/torch/csrc/api/include"
for l in torch torch_cpu c10; do ln -sfn "/usr/lib/x86_64-linux-gnu/lib$l.so" "$dir/lib/lib$l.so"; done
if [ "${2:-}" = cuda ]; then
  for l in torch_cuda c10_cuda; do "${CC:-cc}" -shared -o "$dir/lib/lib$l.so" -x c /dev/null; done
fi
