#!/usr/bin/env bash
# Set up (packages + build), then run the whole suite through CTest.
#   tools/test.sh              Release build in build/
#   tools/test.sh --sanitize   ASan+UBSan build in build-sanitize/
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/tools/setup.sh" "$@"
build="$root/build"; [ "${1:-}" = "--sanitize" ] && build="$root/build-sanitize"
export ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
cd "$build"
if [ "${1:-}" = "--sanitize" ]; then
  # The Brian2 agreement test checks Brian2's numerics against delaysim's and the
  # benchmark smoke run checks the bench scripts: neither gains from sanitizers
  # (the sanitized binary runs every config and bad config in the other tests).
  ctest --output-on-failure -j2 --timeout 900 -E "brian2_agreement|bench_smoke"
else
  ctest --output-on-failure -j2 --timeout 1800
fi
