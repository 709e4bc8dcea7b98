"""Shared helpers for the delaysim package tests: the CLI as reference, the
arrays of an output file, the seed network built in code."""
import os
import subprocess

import h5py
import numpy as np
import pytest

SRC = os.environ.get("DELAYSIM_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", "..", ".."))
BINARY = os.environ.get("DELAYSIM_BINARY", os.path.join(SRC, "build", "delaysim"))
CONFIGS = sorted(os.path.join(SRC, "configs", f) for f in os.listdir(os.path.join(SRC, "configs"))
                 if f.endswith(".toml"))
SEED = os.path.join(SRC, "configs", "two_neuron_delay_learning.toml")


def cli_run(config, out, *args):
    subprocess.run([BINARY, "run", config, "-o", str(out), "--quiet", *args], check=True, timeout=600)
    return str(out)


def arrays(path):
    """Every dataset of a delaysim file by its path, plus the root attributes
    (without the config text): what 'the same file' means here."""
    out = {}
    with h5py.File(path, "r") as f:
        def visit(name, obj):
            if isinstance(obj, h5py.Dataset):
                out[name] = obj[()]
        f.visititems(visit)
        out["@attrs"] = {k: v for k, v in f.attrs.items() if k != "config_toml"}
    return out


def assert_same_file(a, b, skip=()):
    """Equal to the bit: every dataset (spikes, traces, synapse samples,
    plasticity events) and the root attributes."""
    A, B = arrays(a), arrays(b)
    keys = sorted(k for k in set(A) | set(B) if not any(k.startswith(s) for s in skip))
    for k in keys:
        assert k in A and k in B, f"{k} only in {'the first' if k in A else 'the second'} file"
        if k == "@attrs":
            assert {x: np.asarray(v).tolist() for x, v in A[k].items()} == \
                   {x: np.asarray(v).tolist() for x, v in B[k].items()}
        else:
            assert A[k].dtype == B[k].dtype and A[k].shape == B[k].shape, k
            assert np.array_equal(A[k], B[k]) if A[k].dtype.kind in "OSU" else \
                np.array_equal(A[k].view(np.uint8), B[k].view(np.uint8)), k


def seed_network(ds, rule=True):
    """configs/two_neuron_delay_learning.toml written in code."""
    net = ds.Network()
    pattern = {"pattern_ms": [1, 2, 3, 4, 6, 8, 9], "period_ms": 13.0, "repeats": 80}
    neuron = {"tau_ms": 1000.0, "tau_s1_ms": 0.5, "tau_s2_ms": 0.5, "tau_th_ms": 50.0, "gain": 2000.0, "th0": 8.0}
    net.record(interval_ms=0.1)
    net.record_traces("N1").record_traces("N2")
    net.record_synapses("sg2_n1", ["delay"]).record_synapses("sg2_n2", ["delay"])
    net.add_population("SG1", "pattern_source", params=pattern)
    net.add_population("SG2", "pattern_source", params=pattern)
    net.add_population("N1", "coincidence", params=neuron)
    net.add_population("N2", "coincidence", params=neuron)
    net.add_projection("sg1_n1", "SG1", "N1", "a", delay_ms=1.0)
    net.add_projection("sg1_n2", "SG1", "N2", "a", delay_ms=1.0)
    bounds = dict(delay_min_ms=0.0, delay_max_ms=14.0, bounds="clamp")
    net.add_projection("sg2_n1", "SG2", "N1", "b", delay_ms=0.0, **bounds)
    net.add_projection("sg2_n2", "SG2", "N2", "b", delay_ms=1.0, **bounds)
    net.add_projection("n1_inhibits_n2", "N1", "N2", "inhibit", delay_ms=0.0)
    net.add_projection("n2_inhibits_n1", "N2", "N1", "inhibit", delay_ms=0.0)
    if rule:
        net.add_rule("loser_delay_shift", ["sg2_n1", "sg2_n2"], params={"step_ms": 1.0})
    return net


@pytest.fixture(scope="session")
def ds():
    import delaysim
    return delaysim
