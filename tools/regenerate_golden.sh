#!/usr/bin/env bash
# Deliberately accept new golden results (tests/tools/test_golden.cpp): rerun
# configs/golden_lif_stdp.toml and store its output in tests/data/. Commit the new
# file with a message that says why the results changed.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/tools/setup.sh" >&2
"$root/build/delaysim" run "$root/configs/golden_lif_stdp.toml" -o "$root/tests/data/golden_lif_stdp.h5" --quiet
echo "regenerated tests/data/golden_lif_stdp.h5; review with: /usr/bin/python3 tools/compare_runs.py OLD.h5 NEW.h5"
