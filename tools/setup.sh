#!/usr/bin/env bash
# Installs the Debian packages lrbench builds and runs with. Idempotent: when every package is
# already installed it prints one line and changes nothing. Needs root (or sudo) only to install.
set -euo pipefail

PACKAGES=(
  bazel-bootstrap bazel-skylib bazel-platforms bazel-rules-java   # Bazel 4.2.3 + local rule sets
  g++ libeigen3-dev liblapacke-dev libopenblas0-openmp            # linear algebra (OpenBLAS behind LAPACK/BLAS)
  libabsl-dev nlohmann-json3-dev nettle-dev                       # status types, strings, JSON, SHA-256
  libcli11-dev                                                    # the lrbench command line
  libdnnl-dev libtorch-dev                                        # kernels and the model runtime
  libsentencepiece-dev libutf8proc-dev                            # tokenizers
  libgtest-dev libgmock-dev libbenchmark-dev                      # tests and benchmarks
  python3-torch python3-numpy python3-scipy python3-sklearn        # PyTorch references (benchmarks, fidelity study)
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#PACKAGES[@]} packages present"
  exit 0
fi

echo "setup: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "setup: done"
