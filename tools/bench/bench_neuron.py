#!/usr/bin/python3
"""Run one benchmark network written with make_network.py --neurons intfire2 in
NEURON 8.2 (Debian python3-neuron) and print one JSON object on stdout.

    bench_neuron.py NET.bin --t-ms T [--spikes-out FILE.npy]

NEURON is the event-driven peer with continuous delays. Each neuron is an
IntFire2 artificial cell,
    taum dm/dt = -m + i,   taus di/dt = -i + ib,   an event of weight w: i += w,
    fire when m >= 1 (the crossing time from IntFire2's Newton iteration), then m = 0,
which is delaysim's lif_exp with the parameters make_network.py writes for
--neurons intfire2 (E_L = V_reset = 0, V_th = 1 mV, t_ref = 0, tau_m/C_m = 1 mV/pA,
tau_syn = taus, I_e = ib). One NetCon per synapse with the file's float64 delay
(NetCon.delay is continuous) and the port's weight (w_ex_pA or w_in_pA), threshold
unused (artificial cells). CVode is active: with artificial cells only, NEURON then
jumps from event to event (no time steps at all).

Initial state: IntFire2's INITIAL block sets m = 0, i = ib and schedules the first
firing for that state. To start from the file's v0 (m in [0, 1)) the script sets m
after h.finitialize and sends every cell one event of weight 0 at t = 0: its
NET_RECEIVE integrates from t0 = 0 (no change), adds 0 to i and moves the pending
firing to the time computed from the new m. Delaysim starts from V_m = v0, I = 0
(the same state).

Reported: run_s = wall time of ParallelContext.psolve(T) only (no cell or NetCon
creation, no initialisation); spikes, rate, events = spikes x out-degree (the
synaptic events NEURON delivers; spikes emitted in the last max-delay ms are
counted whole, as in bench_brian2.py), ns_per_event = run_s / events; build_s
(cells + NetCons), peak RSS of this process.
--spikes-out writes the spikes as a float64 array (S, 2) of (neuron index, time
in ms), sorted by time (np.save), the layout delaysim_bench --spikes-out writes.
"""
import argparse
import json
import os
import resource
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_network  # noqa: E402


def load_neuron():
    # NEURON prints a DISPLAY warning on stdout at import when there is no X
    # server; keep stdout for the one JSON line.
    saved = os.dup(1)
    os.dup2(2, 1)
    try:
        from neuron import h
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)
    return h


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("net")
    ap.add_argument("--t-ms", type=float, default=1000.0)
    ap.add_argument("--spikes-out", help="write (neuron, time ms) float64 pairs here (.npy)")
    a = ap.parse_args(argv)

    header, arr = make_network.read(a.net)
    if header.get("neurons") != "intfire2":
        raise SystemExit(f"bench_neuron: {a.net} was not written with make_network.py --neurons intfire2")
    p = header
    # The mapping of make_network.INTFIRE2 onto IntFire2 (see the docstring).
    if not (p["E_L_mV"] == 0.0 and p["V_reset_mV"] == 0.0 and p["V_th_mV"] == 1.0 and p["t_ref_ms"] == 0.0
            and p["tau_syn_ex_ms"] == p["tau_syn_in_ms"] and p["tau_m_ms"] == p["C_m_pF"]
            and p["tau_syn_ex_ms"] > p["tau_m_ms"]):
        raise SystemExit("bench_neuron: the file's parameters are not an IntFire2 cell")

    t_build = time.perf_counter()
    h = load_neuron()
    pc = h.ParallelContext()
    n = int(p["n"])
    drive = np.asarray(p["group_I_e_pA"], dtype=float)[np.asarray(arr["group"])]
    cells = []
    for j in range(n):
        c = h.IntFire2()
        c.taum = p["tau_m_ms"]
        c.taus = p["tau_syn_ex_ms"]
        c.ib = float(drive[j])
        cells.append(c)
    netcons = []
    for port, w in (("ex", p["w_ex_pA"]), ("in", p["w_in_pA"])):
        src = np.asarray(arr[port + "_source"]).tolist()
        tgt = np.asarray(arr[port + "_target"]).tolist()
        delay = np.asarray(arr[port + "_delay"]).tolist()
        for s, t, d in zip(src, tgt, delay):
            nc = h.NetCon(cells[s], cells[t])
            nc.delay = d
            nc.weight[0] = w
            netcons.append(nc)
    tvec, idvec = h.Vector(), h.Vector()
    recorders = []
    for j, c in enumerate(cells):
        r = h.NetCon(c, None)
        r.record(tvec, idvec, j)
        recorders.append(r)
    kick = [h.NetCon(None, c) for c in cells]  # weight-0 events that restart the firing search
    for k in kick:
        k.weight[0] = 0.0
    v0 = np.asarray(arr["v0"]).tolist()

    cvode = h.CVode()
    cvode.active(1)
    pc.set_maxstep(10)
    h.finitialize()
    for c, m, k in zip(cells, v0, kick):
        c.m = m
        k.event(0.0)
    build_s = time.perf_counter() - t_build

    t0 = time.perf_counter()
    pc.psolve(a.t_ms)
    run_s = time.perf_counter() - t0

    times = np.asarray(tvec, dtype=float)
    ids = np.asarray(idvec, dtype=float)
    spikes = int(times.size)
    outdeg = sum(np.bincount(np.asarray(arr[q + "_source"]), minlength=n) for q in ("ex", "in"))
    counts = np.bincount(ids.astype(np.int64), minlength=n)
    events = int(np.dot(counts.astype(np.int64), outdeg.astype(np.int64)))
    if a.spikes_out:
        order = np.lexsort((ids, times))
        np.save(a.spikes_out, np.stack([ids[order], times[order]], axis=1))
    print(json.dumps({
        "simulator": "neuron", "neuron_version": h.nrnversion(5), "net": a.net, "n": n,
        "synapses": int(p["n_synapses"]), "t_ms": a.t_ms, "run_s": run_s, "build_s": build_s,
        "spikes": spikes, "rate_hz": spikes / (n * a.t_ms * 1e-3), "events": events,
        "ns_per_event": run_s * 1e9 / events if events else 0.0,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
