#!/usr/bin/python3
"""Generate one benchmark network, deterministically (numpy, seeded).

N exact LIF neurons (delaysim model lif_exp, Brian2 method='exact'), fixed
in-degree K: 80 % of each neuron's inputs come from the excitatory neurons
(indices [0, N_E)) onto port "ex" with weight J, 20 % from the inhibitory
neurons ([N_E, N)) onto port "in" with weight -g*J. Per-synapse delays are
uniform in [0.1, 10] ms and continuous (float64; Brian2 rounds them to dt).
The drive is a constant current I_e per neuron (no events), one value per drive
group; initial V_m uniform in [V_reset, V_th). J scales as J0 * 100 / K so that the mean recurrent input does
not depend on K.

File format (read by bench_delaysim.cpp and bench_brian2.py), little endian:
    8 bytes   magic b"DSBENCH1"
    8 bytes   uint64 header length H
    H bytes   JSON header: a flat object of numbers (and a few strings);
              "arrays" lists the arrays in file order as "name:dtype:count"
    arrays    raw, in the listed order, each starting at an 8-byte boundary
Arrays: ex_source, ex_target (uint32), ex_delay (float64),
        in_source, in_target (uint32), in_delay (float64), v0 (float64, N),
        group (uint32, N: drive group of each neuron; header group_I_e_pA).
Weights are per port (header keys w_ex_pA, w_in_pA): the store holds them per
synapse anyway.

    make_network.py --n 10000 --k 1000 --regime normal -o net.bin
"""
import argparse
import json
import sys

import numpy as np

MAGIC = b"DSBENCH1"

# Neuron parameters (lif_exp names and units). tau_syn != tau_m is required.
NEURON = {
    "C_m_pF": 250.0,
    "tau_m_ms": 10.0,
    "E_L_mV": -65.0,
    "V_th_mV": -50.0,
    "V_reset_mV": -65.0,
    "t_ref_ms": 2.0,
    "tau_syn_ex_ms": 2.0,
    "tau_syn_in_ms": 2.0,
}

# Drive and coupling per regime, tuned so that both simulators land in range
# (see RESULTS.md). J0: excitatory PSC amplitude at K = 100 (J = J0 * 100 / K);
# g: relative inhibition; drive: constant currents I_e (pA) and the fraction of
# neurons that gets each (neurons are assigned at random). lif_exp has one I_e
# per population, so delaysim builds one population per drive group.
# A homogeneous network with constant drive is either silent (I_e below rheobase,
# 375 pA here) or fires at >= ~10 Hz; the sparse regime therefore drives a few
# neurons above rheobase and leaves the rest below it.
REGIMES = {
    "normal": {"J0_pA": 100.0, "g": 8.0, "I_e_pA": [420.0], "fraction": [1.0]},  # 10-20 Hz
    "sparse": {"J0_pA": 100.0, "g": 8.0, "I_e_pA": [200.0, 420.0], "fraction": [0.97, 0.03]},  # ~1 Hz
}
# Per in-degree overrides of the drive (a larger K with J ~ 1/K has weaker
# fluctuations, so it needs more drive for the same rate).
K_DRIVE = {("normal", 1000): [560.0]}

# The NEURON peer (bench_neuron.py): NEURON's IntFire2 artificial cell,
#   taum dm/dt = -m + i,  taus di/dt = -i + ib,  i += w per event,  fire when m >= 1, then m = 0,
# is lif_exp with E_L = V_reset = 0 mV, V_th = 1 mV, t_ref = 0, tau_m/C_m = 1 mV/pA,
# tau_syn_ex = tau_syn_in = taus and I_e = ib (m in mV, i - ib in pA). IntFire2
# needs taus > taum. --neurons intfire2 writes these parameters instead of NEURON
# above; its regimes set ib and the coupling (weights in units of the threshold).
INTFIRE2 = {
    "C_m_pF": 10.0,
    "tau_m_ms": 10.0,
    "E_L_mV": 0.0,
    "V_th_mV": 1.0,
    "V_reset_mV": 0.0,
    "t_ref_ms": 0.0,
    "tau_syn_ex_ms": 20.0,
    "tau_syn_in_ms": 20.0,
}
INTFIRE2_REGIMES = {
    "normal": {"J0_pA": 0.04, "g": 8.0, "I_e_pA": [1.2], "fraction": [1.0]},  # ~13 Hz at N = 1e3, K = 100
}

DELAY_MIN_MS, DELAY_MAX_MS = 0.1, 10.0


def build(n, k, regime, seed, j0=None, g=None, i_e=None, fraction=None, v0_max=None, delay_ms=None,
          neurons="lif_exp"):
    neuron = INTFIRE2 if neurons == "intfire2" else NEURON
    if neurons == "intfire2":
        rp = dict(INTFIRE2_REGIMES[regime])
    else:
        rp = dict(REGIMES[regime])
        rp["I_e_pA"] = K_DRIVE.get((regime, k), rp["I_e_pA"])
    for key, val in (("J0_pA", j0), ("g", g), ("I_e_pA", i_e), ("fraction", fraction), ("v0_max_mV", v0_max)):
        if val is not None:
            rp[key] = val
    if len(rp["I_e_pA"]) != len(rp["fraction"]):
        raise ValueError("need one fraction per drive current")
    rng = np.random.default_rng(seed)
    n_e = int(round(0.8 * n))
    k_e = int(round(0.8 * k))
    k_i = k - k_e
    J = rp["J0_pA"] * 100.0 / k
    arrays = {}
    for port, lo, hi, kk in (("ex", 0, n_e, k_e), ("in", n_e, n, k_i)):
        tgt = np.repeat(np.arange(n, dtype=np.uint32), kk)
        src = rng.integers(lo, hi, size=n * kk, dtype=np.int64)
        # No autapses: move a self-connection to the next neuron of the same group.
        self_conn = src == tgt
        src[self_conn] = lo + (src[self_conn] - lo + 1) % (hi - lo)
        delay = rng.uniform(DELAY_MIN_MS, DELAY_MAX_MS, size=n * kk)
        if delay_ms is not None:  # one delay for all (drawn anyway: same connectivity stream)
            delay[:] = delay_ms
        arrays[port + "_source"] = src.astype(np.uint32)
        arrays[port + "_target"] = tgt
        arrays[port + "_delay"] = delay.astype(np.float64)
    arrays["v0"] = rng.uniform(neuron["V_reset_mV"], rp.get("v0_max_mV", neuron["V_th_mV"]), size=n)
    frac = np.asarray(rp["fraction"], dtype=float)
    arrays["group"] = rng.choice(len(frac), size=n, p=frac / frac.sum()).astype(np.uint32)
    header = {
        "format": "DSBENCH1",
        "seed": seed,
        "regime": regime,
        "neurons": neurons,
        "n": n,
        "k": k,
        "n_e": n_e,
        "k_e": k_e,
        "k_i": k_i,
        "n_synapses": n * k,
        "w_ex_pA": J,
        "w_in_pA": -rp["g"] * J,
        "g": rp["g"],
        "J0_pA": rp["J0_pA"],
        "n_groups": len(frac),
        "group_I_e_pA": [float(x) for x in rp["I_e_pA"]],
        "delay_min_ms": DELAY_MIN_MS if delay_ms is None else delay_ms,
        "delay_max_ms": DELAY_MAX_MS if delay_ms is None else max(delay_ms, DELAY_MAX_MS),
    }
    header.update(neuron)
    return header, arrays


ORDER = ["ex_source", "ex_target", "ex_delay", "in_source", "in_target", "in_delay", "v0", "group"]


def write(path, header, arrays):
    header = dict(header)
    header["arrays"] = [f"{name}:{arrays[name].dtype.str[1:]}:{arrays[name].size}" for name in ORDER]
    text = json.dumps(header).encode()
    text += b" " * (-(len(text) + 16) % 8)  # arrays start 8-byte aligned
    with open(path, "wb") as f:
        f.write(MAGIC)
        f.write(np.uint64(len(text)).tobytes())
        f.write(text)
        for name in ORDER:
            a = np.ascontiguousarray(arrays[name])
            assert a.dtype.byteorder in "<=|"
            f.write(a.tobytes())
            f.write(b"\0" * (-a.nbytes % 8))


def read(path):
    """Header dict and arrays (memory-mapped) of a network file."""
    with open(path, "rb") as f:
        if f.read(8) != MAGIC:
            raise ValueError(f"{path}: not a DSBENCH1 file")
        hlen = int(np.frombuffer(f.read(8), dtype="<u8")[0])
        header = json.loads(f.read(hlen).decode())
    offset = 16 + hlen
    arrays = {}
    for spec in header["arrays"]:
        name, dtype, count = spec.split(":")
        count = int(count)
        arrays[name] = np.memmap(path, dtype="<" + dtype, mode="r", offset=offset, shape=(count,))
        nbytes = count * np.dtype(dtype).itemsize
        offset += nbytes + (-nbytes % 8)
    return header, arrays


def floats(text):
    return None if text is None else [float(x) for x in text.split(",")]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, required=True)
    ap.add_argument("--k", type=int, required=True)
    ap.add_argument("--regime", choices=sorted(REGIMES), default="normal")
    ap.add_argument("--seed", type=int, default=12345)
    ap.add_argument("--j0", type=float, help="override J0_pA (tuning)")
    ap.add_argument("--g", type=float, help="override g (tuning)")
    ap.add_argument("--ie", help="override the drive currents, comma-separated pA (tuning)")
    ap.add_argument("--frac", help="override the drive fractions, comma-separated (tuning)")
    ap.add_argument("--v0-max", type=float, help="override the upper end of initial V_m (tuning)")
    ap.add_argument("--delay-ms", type=float,
                    help="one delay for every synapse (e.g. 0.1, or 0: zero-delay network) instead of uniform [0.1, 10]")
    ap.add_argument("--neurons", choices=("lif_exp", "intfire2"), default="lif_exp",
                    help="neuron parameters: the lif_exp benchmark cell, or NEURON's IntFire2 as lif_exp (bench_neuron.py)")
    ap.add_argument("-o", "--output", required=True)
    a = ap.parse_args(argv)
    if a.k < 5 or a.n < 10:
        ap.error("need n >= 10 and k >= 5")
    if a.delay_ms is not None and not 0.0 <= a.delay_ms <= DELAY_MAX_MS:
        ap.error(f"--delay-ms must be in [0, {DELAY_MAX_MS}]")
    if a.neurons == "intfire2" and a.regime not in INTFIRE2_REGIMES:
        ap.error(f"--neurons intfire2 knows the regimes {sorted(INTFIRE2_REGIMES)}")
    header, arrays = build(a.n, a.k, a.regime, a.seed, a.j0, a.g, floats(a.ie), floats(a.frac), a.v0_max,
                           a.delay_ms, a.neurons)
    write(a.output, header, arrays)
    print(json.dumps({"file": a.output, "n": a.n, "k": a.k, "regime": a.regime,
                      "synapses": header["n_synapses"]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
