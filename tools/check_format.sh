#!/usr/bin/env bash
# Fails if a C++ file of the repository is not formatted by the committed
# .clang-format (Debian's clang-format 14). Fix with: tools/check_format.sh --fix
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
mapfile -t files < <(find sim models plasticity tests tools -name build -prune -o \( -name '*.cpp' -o -name '*.hpp' \) -print | sort)
if [ "${1:-}" = "--fix" ]; then clang-format -i "${files[@]}"; exit 0; fi
clang-format --dry-run -Werror "${files[@]}"
echo "check_format: ${#files[@]} files formatted"
