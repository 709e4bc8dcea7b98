#!/usr/bin/env bash
# delaysim vs Brian2 benchmark. After tools/setup.sh:
#   tools/bench/run.sh                      every size, both simulators, plastic variant
#   tools/bench/run.sh --quick              N=1e3, K=100, 200 ms, both simulators (< 1 min)
#   tools/bench/run.sh --sizes n1e3k100,n1e4k100 [--t-ms 500]
#   tools/bench/run.sh --write-results      also write tools/bench/RESULTS.md and the PNG there
#   tools/bench/run.sh --repeat 3           each simulator 3 times, alternately; the report takes each
#                                           one's fastest run (shared machines drift by tens of percent)
#   tools/bench/run.sh --neuron             also NEURON 8.2 (IntFire2) against delaysim on the IntFire2
#                                           networks if2_n1e3k100, if2_n1e4k100 (only if2_n1e3k100 with --quick)
#   tools/bench/run.sh --threads 2          also delaysim with --threads 2 and Brian2 with 2 OpenMP threads
#                                           on each size (the ratios to 1 thread in the same invocation)
#   tools/bench/run.sh --ranks 2            also delaysim_bench under `mpirun -np 2` on each size, alternating
#                                           with the one-process run (the ratio in the same invocation; a build
#                                           with MPI; as root mpirun gets --allow-run-as-root)
#   tools/bench/run.sh --accuracy           also the accuracy columns: Brian2 at dt 0.1, 0.01 (--acc-t-ms, 100 ms)
#                                           and 0.001 ms (--acc-fine-t-ms, 50 ms) on n1e3k100 and small_d01
#                                           (--acc-sizes), spike-time distance to delaysim (spike_distance.py)
# Options: --build-dir DIR (default build/), --work-dir DIR (default BUILD/bench),
#   --no-brian2, --no-plastic, --no-build, --fresh-compile (delete Brian2's projects first;
#   implied by --write-results so that compile times are full builds).
# Sizes: n1e3k100 n1e4k100 n1e5k100 n1e4k1000 sparse_n1e5k100 (N, K; sparse = ~1 Hz);
#   small_d01, small_d0: N = 4000, K = 100 with every delay 0.1 ms, or 0 (zero-delay network);
#   if2_n1e3k100, if2_n1e4k100: IntFire2 cells as lif_exp (make_network.py --neurons intfire2),
#   run by delaysim and NEURON (not Brian2).
# Exit status: 0 if every run finished and every rate check passed.
set -euo pipefail
orig_args="$*"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
py=/usr/bin/python3

all_sizes="n1e3k100,n1e4k100,n1e5k100,n1e4k1000,sparse_n1e5k100,small_d01,small_d0"
sizes="$all_sizes"; t_ms=1000; quick=0; brian2=1; plastic=1; build=1; fresh=0; write=0; repeat=1; neuron=0
threads=1; ranks=1; accuracy=0; acc_sizes="n1e3k100,small_d01"; acc_t=100; acc_fine_t=50
build_dir="$root/build"; work=""
plastic_size="n1e4k1000"
while (($#)); do
  case "$1" in
    --quick) quick=1; sizes="n1e3k100"; t_ms=200; plastic_size="n1e3k100" ;;
    --sizes) sizes="$2"; shift ;;
    --t-ms) t_ms="$2"; shift ;;
    --repeat) repeat="$2"; shift ;;
    --threads) threads="$2"; shift ;;
    --ranks) ranks="$2"; shift ;;
    --build-dir) build_dir="$2"; shift ;;
    --work-dir) work="$2"; shift ;;
    --no-brian2) brian2=0 ;;
    --neuron) neuron=1 ;;
    --no-plastic) plastic=0 ;;
    --no-build) build=0 ;;
    --fresh-compile) fresh=1 ;;
    --write-results) write=1; fresh=1 ;;
    --accuracy) accuracy=1 ;;
    --acc-sizes) acc_sizes="$2"; shift ;;
    --acc-t-ms) acc_t="$2"; shift ;;
    --acc-fine-t-ms) acc_fine_t="$2"; shift ;;
    -h|--help) sed -n '2,26p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
work="${work:-$build_dir/bench}"
if ((neuron)); then  # the IntFire2 networks join the size list (once)
  nrn_sizes="if2_n1e3k100,if2_n1e4k100"; ((quick)) && nrn_sizes="if2_n1e3k100"
  for s in ${nrn_sizes//,/ }; do [[ ",$sizes," == *",$s,"* ]] || sizes="${sizes:+$sizes,}$s"; done
fi
[[ "$threads" =~ ^[1-9][0-9]*$ ]] || { echo "run.sh: --threads needs a positive integer, got '$threads'" >&2; exit 2; }
[[ "$ranks" =~ ^[1-9][0-9]*$ ]] || { echo "run.sh: --ranks needs a positive integer, got '$ranks'" >&2; exit 2; }
[[ "$repeat" =~ ^[1-9][0-9]*$ ]] || { echo "run.sh: --repeat needs a positive integer, got '$repeat'" >&2; exit 2; }
mkdir -p "$work"
bench="$build_dir/tools/bench/delaysim_bench"
mpirun_cmd=()
if ((ranks > 1)); then
  command -v mpirun >/dev/null || { echo "run.sh: --ranks needs mpirun (tools/setup.sh installs openmpi-bin)" >&2; exit 2; }
  mpirun_cmd=(mpirun -np "$ranks" --mca btl self,vader)
  (($(id -u) == 0)) && mpirun_cmd+=(--allow-run-as-root)
  ((ranks > $(nproc))) && mpirun_cmd+=(--oversubscribe)
fi

if ((build)); then
  [ -f "$build_dir/CMakeCache.txt" ] || cmake -S "$root" -B "$build_dir" -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$build_dir" -j2 --target delaysim_bench >/dev/null
fi
[ -x "$bench" ] || { echo "run.sh: $bench not built (run tools/setup.sh)" >&2; exit 1; }

# size name -> "N K regime delay neurons" (delay "-": uniform in [0.1, 10] ms)
spec() {
  case "$1" in
    n1e3k100) echo "1000 100 normal - lif_exp" ;;
    n1e4k100) echo "10000 100 normal - lif_exp" ;;
    n1e5k100) echo "100000 100 normal - lif_exp" ;;
    n1e4k1000) echo "10000 1000 normal - lif_exp" ;;
    sparse_n1e5k100) echo "100000 100 sparse - lif_exp" ;;
    small_d01) echo "4000 100 normal 0.1 lif_exp" ;;
    small_d0) echo "4000 100 normal 0 lif_exp" ;;
    if2_n1e3k100) echo "1000 100 normal - intfire2" ;;
    if2_n1e4k100) echo "10000 100 normal - intfire2" ;;
    *) echo "run.sh: unknown size '$1' (known: $all_sizes,if2_n1e3k100,if2_n1e4k100)" >&2; exit 2 ;;
  esac
}

# Writes $work/SIZE.bin unless it is there and newer than make_network.py.
make_net() {
  local n k regime delay neurons delay_opt=()
  read -r n k regime delay neurons <<<"$(spec "$1")"
  [ "$delay" != "-" ] && delay_opt=(--delay-ms "$delay")
  if [ ! -f "$work/$1.bin" ] || [ "$here/make_network.py" -nt "$work/$1.bin" ]; then
    "$py" "$here/make_network.py" --n "$n" --k "$k" --regime "$regime" "${delay_opt[@]}" --neurons "$neurons" \
      -o "$work/$1.bin" >/dev/null
  fi
}

status=0
rm -f "$work"/*.json "$work/plastic_unavailable"
rm -rf "$work/acc"
cp /proc/loadavg "$work/loadavg_start" 2>/dev/null || true
IFS=, read -ra size_list <<<"$sizes"
for size in "${size_list[@]}"; do
  [ -n "$size" ] || continue
  read -r n k regime delay neurons <<<"$(spec "$size")"
  net="$work/$size.bin"
  make_net "$size"
  echo "{\"n\": $n, \"k\": $k, \"regime\": \"$regime\", \"delay\": \"$delay\", \"neurons\": \"$neurons\"}" >"$work/$size.net.json"
  echo "== $size: N=$n K=$k ($regime, $neurons), $t_ms ms" >&2
  : >"$work/$size.delaysim.json"  # one JSON line per run from here on
  # Brian2 runs the lif_exp networks, NEURON the IntFire2 ones.
  run_b2=0; run_nrn=0
  if [ "$neurons" = intfire2 ]; then run_nrn=1; else run_b2=$brian2; fi
  rm -f "$work/$size.brian2.json" "$work/$size.neuron.json"
  ((run_b2)) && : >"$work/$size.brian2.json"
  rm -f "$work/$size.delaysim_threads.json" "$work/$size.brian2_threads.json" "$work/$size.delaysim_ranks.json"
  ((run_nrn)) && : >"$work/$size.neuron.json"
  for ((rep = 1; rep <= repeat; ++rep)); do
    if ((repeat > 1)); then echo "   run $rep of $repeat" >&2; fi
    set_calls=(); ((rep > 1)) && set_calls=(--set-delay-calls 0)  # measured once
    if "$bench" "$net" --t-ms "$t_ms" "${set_calls[@]}" >>"$work/$size.delaysim.json"; then
      echo "   delaysim: $(tail -1 "$work/$size.delaysim.json" | cut -c1-1000 | grep -o '"run_s": [0-9.]*, "spikes": [0-9]*, "rate_hz": [0-9.]*')" >&2
    else
      echo "   delaysim FAILED" >&2; status=1
    fi
    if ((run_nrn)); then
      if "$py" "$here/bench_neuron.py" "$net" --t-ms "$t_ms" >>"$work/$size.neuron.json" 2>"$work/$size.neuron.log"; then
        last="$(tail -1 "$work/$size.neuron.json")"
        echo "   neuron:   $(grep -o '"run_s": [0-9.]*' <<<"$last"), $(grep -o '"rate_hz": [0-9.]*' <<<"$last"), $(grep -o '"ns_per_event": [0-9.]*' <<<"$last")" >&2
      else
        echo "   neuron FAILED (log: $work/$size.neuron.log)" >&2; tail -5 "$work/$size.neuron.log" >&2; status=1
      fi
    fi
    if ((run_b2)); then
      b2dir="$work/brian2_$size"
      ((fresh && rep == 1)) && rm -rf "$b2dir"
      if "$py" "$here/bench_brian2.py" "$net" --t-ms "$t_ms" --dir "$b2dir" >>"$work/$size.brian2.json" 2>"$work/$size.brian2.log"; then
        last="$(tail -1 "$work/$size.brian2.json")"
        echo "   brian2:   $(grep -o '"run_s": [0-9.]*' <<<"$last"), $(grep -o '"rate_hz": [0-9.]*' <<<"$last"), $(grep -o '"compile_s": [0-9.]*' <<<"$last")" >&2
      else
        echo "   brian2 FAILED (log: $work/$size.brian2.log)" >&2; tail -5 "$work/$size.brian2.log" >&2; status=1
      fi
    fi
    if ((threads > 1)); then  # the same network on $threads threads, in the same turn
      if "$bench" "$net" --t-ms "$t_ms" --set-delay-calls 0 --threads "$threads" >>"$work/$size.delaysim_threads.json"; then
        echo "   delaysim $threads threads: $(tail -1 "$work/$size.delaysim_threads.json" | grep -o '"run_s": [0-9.]*')" >&2
      else
        echo "   delaysim --threads $threads FAILED" >&2; status=1
      fi
      if ((run_b2)); then
        b2dir="$work/brian2_${size}_t$threads"
        ((fresh && rep == 1)) && rm -rf "$b2dir"
        if "$py" "$here/bench_brian2.py" "$net" --t-ms "$t_ms" --dir "$b2dir" --threads "$threads" \
          >>"$work/$size.brian2_threads.json" 2>"$work/$size.brian2_threads.log"; then
          echo "   brian2 $threads threads: $(tail -1 "$work/$size.brian2_threads.json" | grep -o '"run_s": [0-9.]*')" >&2
        else
          echo "   brian2 $threads threads FAILED (log: $work/$size.brian2_threads.log)" >&2; status=1
        fi
      fi
    fi
    if ((ranks > 1)); then  # the same network as $ranks MPI ranks, in the same turn (rank 0 prints the line)
      if "${mpirun_cmd[@]}" "$bench" "$net" --t-ms "$t_ms" --set-delay-calls 0 >>"$work/$size.delaysim_ranks.json"; then
        echo "   delaysim $ranks ranks: $(tail -1 "$work/$size.delaysim_ranks.json" | grep -o '"run_s": [0-9.]*')" >&2
      else
        echo "   delaysim under mpirun -np $ranks FAILED" >&2; status=1
      fi
    fi
    if ((plastic)) && [ "$size" = "$plastic_size" ] && [ ! -f "$work/plastic_unavailable" ]; then
      ((rep == 1)) && : >"$work/$size.plastic.json"
      if "$bench" "$net" --t-ms "$t_ms" --plastic --set-delay-calls 0 >>"$work/$size.plastic.json" 2>"$work/$size.plastic.log"; then
        last="$(tail -1 "$work/$size.plastic.json")"
        echo "   plastic:  $(grep -o '"run_s": [0-9.]*' <<<"$last"), $(grep -o '"delay_changes": [0-9]*' <<<"$last")" >&2
      else
        rm -f "$work/$size.plastic.json"
        cat "$work/$size.plastic.log" >&2
        cp "$work/$size.plastic.log" "$work/plastic_unavailable"
        status=1
      fi
    fi
  done
done

# Accuracy columns: delaysim's exact spike times against Brian2 at three steps.
# Files in $work/acc/: SIZE.delaysim.tT.{json,npy}, SIZE.brian2.dtDT.{json,npy}.
if ((accuracy)); then
  mkdir -p "$work/acc"
  IFS=, read -ra acc_list <<<"$acc_sizes"
  for size in "${acc_list[@]}"; do
    [ -n "$size" ] || continue
    spec "$size" >/dev/null
    make_net "$size"
    net="$work/$size.bin"
    echo "== accuracy $size: delaysim and Brian2 at dt 0.1, 0.01 ($acc_t ms), 0.001 ms ($acc_fine_t ms)" >&2
    for t in $(printf '%s\n' "$acc_t" "$acc_fine_t" | sort -u); do
      out="$work/acc/$size.delaysim.t$t"
      "$bench" "$net" --t-ms "$t" --set-delay-calls 0 --spikes-out "$out.npy" >"$out.json" \
        || { echo "   delaysim FAILED" >&2; status=1; }
    done
    if ((brian2)); then
      for dt in 0.1 0.01 0.001; do
        t="$acc_t"; [ "$dt" = 0.001 ] && t="$acc_fine_t"
        out="$work/acc/$size.brian2.dt$dt"
        b2dir="$work/brian2_acc_${size}_dt$dt"
        ((fresh)) && rm -rf "$b2dir"
        if "$py" "$here/bench_brian2.py" "$net" --t-ms "$t" --dt-ms "$dt" --dir "$b2dir" --spikes-out "$out.npy" \
          >"$out.json" 2>"$out.log"; then
          echo "   brian2 dt $dt ms, $t ms: $(grep -o '"run_s": [0-9.]*' "$out.json")" >&2
        else
          echo "   brian2 dt $dt FAILED (log: $out.log)" >&2; tail -5 "$out.log" >&2; status=1
        fi
      done
    fi
  done
fi

report=("$py" "$here/report.py" "$work" --sizes "$sizes" --build-dir "$build_dir")
((accuracy)) && report+=(--accuracy-sizes "$acc_sizes")
((threads > 1)) && report+=(--threads "$threads")
((ranks > 1)) && report+=(--ranks "$ranks")
if ((write)); then
  report+=(--png "$here/bench.png" --write-results "$here/RESULTS.md" --command "tools/bench/run.sh $orig_args")
else
  report+=(--png "$work/bench.png")
fi
"${report[@]}" || status=1
exit $status
