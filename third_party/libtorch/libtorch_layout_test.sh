#!/bin/bash
# libtorch_layout.py (what @libtorch is made from) on stand-in directories built here by make_standin.sh
# (include/ and lib/ of symlinks into Debian's LibTorch, CUDA libraries as empty shared objects): Debian's
# default; the libtorch archive layout and a pip torch package, with and without --cuda; and the one-line
# refusals naming the missing file.
set -uo pipefail
PY=/usr/bin/python3
LAYOUT=third_party/libtorch/libtorch_layout.py
TMP="${TEST_TMPDIR:-$(mktemp -d)}"
failures=0
passed=0

# expect NAME WANT_RC WANT_SUBSTRING ARGS...: runs the script, checks its exit status and that its output has WANT.
expect() {
  local name=$1 rc=$2 want=$3
  shift 3
  local out got
  out=$("$PY" "$LAYOUT" "$@" 2>&1)
  got=$?
  if [ "$got" = "$rc" ] && [[ "$out" == *"$want"* ]] && [ "$(printf '%s\n' "$out" | wc -l)" -le 3 ]; then
    passed=$((passed + 1))
    echo "ok   $name"
  else
    failures=$((failures + 1))
    echo "FAIL $name: exit $got (want $rc), output (want '$want'):"
    printf '%s\n' "$out"
  fi
}

# A LibTorch layout at $1 from Debian's files; $2 = cuda adds the CUDA libraries.
make_layout() { third_party/libtorch/make_standin.sh "$@"; }

# Debian's LibTorch (LRB_LIBTORCH unset): the API headers one level below /usr/include, libraries by name.
expect debian_default 0 $'headers=/usr/include/torch/csrc/api/include\nincludes=include\nlinkopts=-ltorch -ltorch_cpu -lc10'
expect debian_refuses_cuda 1 "LRB_LIBTORCH: --config=cuda needs LRB_LIBTORCH set to a LibTorch with CUDA" --cuda

archive="$TMP/libtorch"
make_layout "$archive" cuda
expect archive_cpu 0 $'includes=include include/torch/csrc/api/include\nlinkopts=-L'"$archive"'/lib -Wl,-rpath,'"$archive"'/lib -ltorch -ltorch_cpu -lc10' "$archive"
expect archive_headers 0 "headers=$archive/include" "$archive"
expect archive_cuda 0 "-lc10 -Wl,--no-as-needed -ltorch_cuda -lc10_cuda -Wl,--as-needed" --cuda "$archive"
# Without --cuda the CUDA libraries are not linked even when present.
out=$("$PY" "$LAYOUT" "$archive")
if [[ "$out" == *cuda* ]]; then failures=$((failures + 1)); echo "FAIL archive_cpu links CUDA: $out"; else passed=$((passed + 1)); echo "ok   archive_cpu_without_cuda_libs"; fi

# A pip package: site-packages/torch; naming site-packages itself is refused with the hint.
site="$TMP/venv/lib/python3.12/site-packages"
make_layout "$site/torch"
expect pip_cpu 0 "-L$site/torch/lib -Wl,-rpath,$site/torch/lib -ltorch" "$site/torch"
expect pip_without_cuda_refused 1 "LRB_LIBTORCH=$site/torch: --config=cuda needs its CUDA libraries, but lib/libtorch_cuda.so is missing" --cuda "$site/torch"
expect pip_parent_hint 1 "(a pip install? LRB_LIBTORCH=$site/torch)" "$site"

# Not a LibTorch: each missing piece is named.
expect missing_dir 1 "LRB_LIBTORCH=$TMP/nowhere: not a directory" "$TMP/nowhere"
expect missing_headers 1 "is not a LibTorch: include/torch/csrc/api/include/torch/torch.h is missing" "$TMP"
partial="$TMP/partial"
make_layout "$partial"
rm "$partial/lib/libc10.so"
expect missing_c10 1 "LRB_LIBTORCH=$partial is not a LibTorch: lib/libc10.so is missing" "$partial"
half="$TMP/half_cuda"
make_layout "$half" cuda
rm "$half/lib/libc10_cuda.so"
expect missing_c10_cuda 1 "but lib/libc10_cuda.so is missing" --cuda "$half"
old_abi="$TMP/old_abi"
make_layout "$old_abi"
mkdir -p "$old_abi/share/cmake/Torch"
echo 'set(TORCH_CXX_FLAGS "-D_GLIBCXX_USE_CXX11_ABI=0")' > "$old_abi/share/cmake/Torch/TorchConfig.cmake"
expect old_abi_refused 1 "built with the pre-C++11 ABI (_GLIBCXX_USE_CXX11_ABI=0)" "$old_abi"
expect usage 2 "usage: libtorch_layout.py" --cuda a b

echo "$passed passed, $failures failed"
[ "$failures" = 0 ]
