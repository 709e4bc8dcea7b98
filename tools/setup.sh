#!/usr/bin/env bash
# Install the Debian packages delaysim needs (only those missing), then configure
# and build. Idempotent: a second call with everything present only rebuilds.
#   tools/setup.sh [--sanitize]      build dir: build/ (or build-sanitize/)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
packages=(g++ cmake make pkg-config libboost-dev libeigen3-dev libtomlplusplus-dev
          catch2 libhdf5-dev python3-h5py python3-numpy python3-matplotlib
          python3-pandas python3-pytest python3-brian python3-dev
          pybind11-dev python3-pybind11 python3-nbconvert python3-ipykernel jupyter-nbconvert
          clang-format python3-neuron openmpi-bin libopenmpi-dev)
source "$root/tools/install_packages.sh"
install_missing setup "${packages[@]}"
build="$root/build"; extra=()
if [ "${1:-}" = "--sanitize" ]; then build="$root/build-sanitize"; extra=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DDELAYSIM_SANITIZE=ON); fi
# ccache (when present) shares object files between checkouts and rebuilds.
if command -v ccache >/dev/null; then extra+=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); export CCACHE_BASEDIR="$root"; fi
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release "${extra[@]}" >/dev/null
cmake --build "$build" -j2
