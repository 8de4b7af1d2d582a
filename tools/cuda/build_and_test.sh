#!/usr/bin/env bash
# Run ON THE GPU MACHINE (no Bazel there): builds the GPU run's targets with .cuda-deps/build.sh (the compile
# and link commands Bazel would run with --config=cuda, written by tools/cuda/prepare.sh) against the LibTorch
# inside the PyTorch virtualenv, then runs the device-parameterised tests (parity, kernels: each case on CPU
# and CUDA) and the training test. Needs .cuda-deps/ or .cuda-deps.tar.xz from prepare.sh (carried).
# Usage: tools/cuda/build_and_test.sh [OUT_DIR]
# Afterwards: tools/cuda/env.sh OUT_DIR/cli/lrbench finetune ... --device=cuda, and
# tools/cuda/env.sh OUT_DIR/runtime/kernels/linear_benchmark --benchmark_filter=torch_cuda.
set -euo pipefail
cd "$(dirname "$0")/../.."
export OUT="${1:-/tmp/lrbench-cuda}"
py="${LRB_TORCH_PYTHON:-/opt/torch/.venv/bin/python}"
export LRB_LIBTORCH="${LRB_LIBTORCH:-$("$py" -c 'import os, torch; print(os.path.dirname(torch.__file__))')}"
echo "torch: $("$py" -c 'import torch; print(torch.__version__, torch.version.cuda)' 2>/dev/null || echo '?') at $LRB_LIBTORCH"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
export DEPS="$PWD/.cuda-deps"
[ -d "$DEPS" ] || [ ! -f .cuda-deps.tar.xz ] || tar -xJf .cuda-deps.tar.xz
[ -f "$DEPS/build.sh" ] || { echo "build_and_test.sh: $DEPS/build.sh missing (run tools/cuda/prepare.sh on the build machine and carry it)"; exit 1; }
"$DEPS/build.sh"
export LRB_SPM_SHIM="$DEPS/lib/libspm_shim.so" LD_LIBRARY_PATH="$DEPS/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
status=0
for t in runtime/model/parity_test runtime/kernels/kernel_test runtime/model/training_test; do
  echo "== $t"
  "$OUT/$t" || status=1
done
exit $status
