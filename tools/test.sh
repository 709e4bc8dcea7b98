#!/usr/bin/env bash
# Set up (packages + build), then run the whole suite through CTest.
#   tools/test.sh              Release build in build/
#   tools/test.sh --sanitize   ASan+UBSan build in build-sanitize/
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/tools/setup.sh" "$@"
build="$root/build"; [ "${1:-}" = "--sanitize" ] && build="$root/build-sanitize"
export ASAN_OPTIONS=detect_leaks=0 UBSAN_OPTIONS=print_stacktrace=1
cd "$build" && ctest --output-on-failure -j2 --timeout 900
