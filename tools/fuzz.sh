#!/usr/bin/env bash
# Build the libFuzzer harnesses of tests/fuzz/ (clang-14, ASan + UBSan) into
# build-fuzz/ and run each one, seeded from configs/ and tests/data/bad_configs/.
#   tools/fuzz.sh --smoke          each harness for 60 s (CI)
#   tools/fuzz.sh [SECONDS [RUNS]] each harness for SECONDS (default 600), or until RUNS
#                                  executions, one at a time
# A finding (crash, leak, timeout, uncaught exception) stops with exit 1 and
# leaves the input as build-fuzz/runs/<harness>/crash-* (make it a bad config:
# tests/fuzz/README.md). Prints the execution count of every harness.
# DELAYSIM_FUZZ_HARNESSES="fuzz_checkpoint" runs only the ones named.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
seconds=600
runs=-1
case "${1:-}" in
  --smoke) seconds=60 ;;
  "") ;;
  *) seconds="$1"; runs="${2:--1}" ;;
esac
packages=(clang-14 libclang-rt-14-dev)
source "$root/tools/install_packages.sh"
install_missing fuzz "${packages[@]}"
build="$root/build-fuzz"
extra=()
if command -v ccache >/dev/null; then extra+=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); export CCACHE_BASEDIR="$root"; fi
CC=clang-14 CXX=clang++-14 cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDELAYSIM_FUZZ=ON \
  "${extra[@]}" >/dev/null
cmake --build "$build" -j2 --target fuzz_config fuzz_set fuzz_checkpoint fuzz_plugin >/dev/null
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
for harness in ${DELAYSIM_FUZZ_HARNESSES:-fuzz_config fuzz_set fuzz_checkpoint fuzz_plugin}; do
  work="$build/runs/$harness"
  mkdir -p "$work/corpus"
  seeds=("$root/tests/fuzz/corpus/$harness")
  [ "$harness" = fuzz_config ] && seeds+=("$root/configs" "$root/tests/data/bad_configs")
  max_len=8192
  [ "$harness" = fuzz_checkpoint ] && max_len=65536  # a small network's checkpoint is ~16 KB
  log="$work/fuzz.log"
  echo "fuzz: $harness for ${seconds} s" >&2
  if ! (cd "$work" && nice -n 10 "$build/$harness" -max_total_time="$seconds" -runs="$runs" -timeout=10 \
          -rss_limit_mb=2048 -max_len="$max_len" -print_final_stats=1 corpus "${seeds[@]}" >"$log" 2>&1); then
    tail -n 40 "$log" >&2
    echo "fuzz: $harness found a problem; inputs: $work/crash-* $work/leak-* $work/timeout-*" >&2
    exit 1
  fi
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
  secs=$(grep -o 'Done [0-9]* runs in [0-9]* second' "$log" | grep -o '[0-9]* second' | grep -o '[0-9]*' || echo "?")
  echo "fuzz: $harness: $execs executions in $secs s, no findings" >&2
done
