#!/usr/bin/python3
"""Run one benchmark network (make_network.py) in Brian2 cpp_standalone and print
one JSON object on stdout.

    bench_brian2.py NET.bin --t-ms T --dir PROJECT_DIR [--fresh] [--dt-ms DT] [--spikes-out FILE.npy]

Same neurons, connectivity, weights and initial V_m as delaysim_bench; dt = 0.1 ms,
method='exact' (Brian2 solves the linear system in closed form per step), delays
rounded by Brian2 to whole steps, threshold checked on the grid. One NeuronGroup,
two Synapses (ports ex and in), per-neuron I_e (from the drive groups),
per-synapse weight and delay, SpikeMonitor with
record=False (counts only), or with --spikes-out record=True: the spikes are
written as a float64 array (S, 2) of (neuron index, time in ms) sorted by time
(np.save), the layout of delaysim_bench --spikes-out (spike_distance.py compares
them). --dt-ms sets Brian2's step (the accuracy columns of run.sh --accuracy).

Timing: the generated project is built by device.build(run=False); the binary is
then run here. Reported:
  run_s        Brian2's own measurement of Network::run (the simulation loop only:
               no array loading, no synapse creation; std::clock, single thread)
  binary_s     wall time of the whole binary (load arrays, create synapses, run)
  codegen_s    code generation (build time minus make)
  compile_s    'make clean' + 'make' (incremental when --dir held a build of the
               same code and --fresh is not given)
  peak_rss_mb  ru_maxrss of the binary (wait4)
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_network  # noqa: E402


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("net")
    ap.add_argument("--t-ms", type=float, default=1000.0)
    ap.add_argument("--dir", required=True, help="Brian2 project directory")
    ap.add_argument("--fresh", action="store_true", help="delete --dir first (full compile)")
    ap.add_argument("--dt-ms", type=float, default=0.1)
    ap.add_argument("--threads", type=int, default=0,
                    help="OpenMP threads (prefs.devices.cpp_standalone.openmp_threads; 0: no OpenMP)")
    ap.add_argument("--spikes-out", help="record the spikes and write (neuron, time ms) pairs here (.npy)")
    a = ap.parse_args(argv)

    t_setup = time.perf_counter()
    import warnings
    warnings.filterwarnings("ignore")
    import brian2 as b2
    from brian2 import ms, mV, pA, pF

    header, arr = make_network.read(a.net)
    if a.fresh and os.path.isdir(a.dir):
        shutil.rmtree(a.dir)
    b2.set_device("cpp_standalone", directory=a.dir, build_on_run=False)
    b2.prefs.devices.cpp_standalone.openmp_threads = a.threads
    b2.prefs.logging.file_log = False
    b2.prefs.logging.console_log_level = "WARNING"
    b2.defaultclock.dt = a.dt_ms * ms

    ns = {
        "C_m": header["C_m_pF"] * pF, "tau_m": header["tau_m_ms"] * ms, "E_L": header["E_L_mV"] * mV,
        "V_th": header["V_th_mV"] * mV, "V_reset": header["V_reset_mV"] * mV,
        "tau_ex": header["tau_syn_ex_ms"] * ms, "tau_in": header["tau_syn_in_ms"] * ms,
    }
    eqs = """
    dv/dt = (E_L - v)/tau_m + (I_ex + I_in + I_e)/C_m : volt (unless refractory)
    dI_ex/dt = -I_ex/tau_ex : amp
    dI_in/dt = -I_in/tau_in : amp
    I_e : amp (constant)
    """
    n = int(header["n"])
    G = b2.NeuronGroup(n, eqs, threshold="v >= V_th", reset="v = V_reset",
                       refractory=header["t_ref_ms"] * ms, method="exact", namespace=ns, name="net")
    G.v = arr["v0"] * mV
    G.I_e = np.asarray(header["group_I_e_pA"])[arr["group"]] * pA
    synapses = []
    for port, w in (("ex", header["w_ex_pA"]), ("in", header["w_in_pA"])):
        S = b2.Synapses(G, G, "w : amp (constant)", on_pre=f"I_{port}_post += w", name=f"recurrent_{port}")
        S.connect(i=arr[port + "_source"].astype("int32"), j=arr[port + "_target"].astype("int32"))
        S.w = w * pA
        S.delay = arr[port + "_delay"] * ms
        synapses.append(S)
    mon = b2.SpikeMonitor(G, record=bool(a.spikes_out), name="spikes")
    net = b2.Network(G, *synapses, mon)
    net.run(a.t_ms * ms, namespace={})

    t_build = time.perf_counter()
    b2.device.build(directory=a.dir, compile=True, run=False, with_output=False)
    build_s = time.perf_counter() - t_build
    compile_s = sum(b2.device.timers["compile"].get(k) or 0.0 for k in ("clean", "make"))

    # Run the binary ourselves: wall time and its own peak RSS (wait4).
    os.makedirs(os.path.join(a.dir, "results"), exist_ok=True)
    t0 = time.perf_counter()
    with open(os.path.join(a.dir, "results", "stdout.txt"), "w") as out:
        proc = subprocess.Popen(["./main"], cwd=a.dir, stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)
    binary_s = time.perf_counter() - t0
    if status != 0:
        sys.stderr.write(open(os.path.join(a.dir, "results", "stdout.txt")).read())
        raise SystemExit(f"bench_brian2: the generated binary failed (status {status})")
    with open(os.path.join(a.dir, "results", "last_run_info.txt")) as f:
        run_s, completed = (float(x) for x in f.read().split())
    b2.get_device().has_been_run = True
    spikes = int(mon.num_spikes)
    if a.spikes_out:
        ids, times = np.asarray(mon.i[:], dtype=float), np.asarray(mon.t[:] / ms, dtype=float)
        order = np.lexsort((ids, times))
        np.save(a.spikes_out, np.stack([ids[order], times[order]], axis=1))
    outdeg = sum(np.bincount(arr[p + "_source"], minlength=n) for p in ("ex", "in"))
    deliveries = int(np.dot(np.asarray(mon.count, dtype=np.int64), outdeg))  # spikes emitted x out-degree
    n_syn = int(header["n_synapses"])
    print(json.dumps({
        "simulator": "brian2", "brian2_version": b2.__version__, "net": a.net, "n": n, "synapses": n_syn,
        "t_ms": a.t_ms, "dt_ms": a.dt_ms, "run_s": run_s, "completed": completed, "binary_s": binary_s,
        "codegen_s": build_s - compile_s, "compile_s": compile_s,
        "setup_s": t_build - t_setup, "spikes": spikes, "rate_hz": spikes / (n * a.t_ms * 1e-3),
        "deliveries_emitted": deliveries,
        "peak_rss_mb": usage.ru_maxrss / 1024.0, "threads": max(a.threads, 1),
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
