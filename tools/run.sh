#!/usr/bin/env bash
# Install what is missing, build Release, run a model file and plot it.
#   tools/run.sh [CONFIG.toml] [delaysim run args...]
# Default config: the seed's delay-learning concept. Writes out/<name>.h5 and .png.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/tools/setup.sh" >&2
config="${1:-$root/configs/two_neuron_delay_learning.toml}"
[ $# -gt 0 ] && shift
name="$(basename "$config" .toml)"
out="out/$name.h5"
args=("$@")
given=0
for ((i = 0; i + 1 < ${#args[@]}; i++)); do  # honour -o if the caller gave one
  if [ "${args[$i]}" = "-o" ]; then out="${args[$((i + 1))]}"; given=1; fi
done
mkdir -p "$(dirname "$out")"
if ((given)); then
  "$root/build/delaysim" run "$config" "$@"
else
  "$root/build/delaysim" run "$config" -o "$out" "$@"
fi
/usr/bin/python3 "$root/tools/plot_traces.py" "$out" -o "${out%.h5}.png"
echo "wrote $out and ${out%.h5}.png"
