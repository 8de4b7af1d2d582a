#!/usr/bin/env bash
# Run ON THE GPU MACHINE: runs a command (e.g. /tmp/lrbench-cuda/cli/lrbench finetune ... --device=cuda) with
# the paths the binaries built by build_and_test.sh need at run time (the sentencepiece shim, .cuda-deps/lib).
# Usage: tools/cuda/env.sh COMMAND [ARGS...]
set -euo pipefail
deps="$(cd "$(dirname "$0")/../.." && pwd)/.cuda-deps"
export LRB_SPM_SHIM="$deps/lib/libspm_shim.so" LD_LIBRARY_PATH="$deps/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
exec "$@"
