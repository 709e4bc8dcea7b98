"""Tests of tools/brian2_reference.py and tools/brian2_convergence.py (Brian2's numpy
target: no compilation, a few seconds each). The agreement test at dt = 0.001 ms
with cpp_standalone belongs to the integration test; here the delaysim binary, when
it is built (DELAYSIM_BINARY), is only checked for equal spike counts at dt = 0.1.
"""
import json
import os
import subprocess
import sys

import h5py
import numpy as np
import pytest

pytest.importorskip("brian2")

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TOOLS = os.path.join(ROOT, "tools")
REF = os.path.join(TOOLS, "brian2_reference.py")
CONV = os.path.join(TOOLS, "brian2_convergence.py")
CMP = os.path.join(TOOLS, "compare_runs.py")
SEED_CONFIG = os.path.join(ROOT, "configs", "two_neuron_fixed_delays.toml")
sys.path.insert(0, TOOLS)
import brian2_reference  # noqa: E402


def run(*args):
    p = subprocess.run([sys.executable, *map(str, args)], capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


def brian(config, out, *extra):
    return run(REF, config, "-o", out, "--target", "numpy", "--quiet", *extra)


LIF_CONFIG = """
[simulation]
t_stop_ms = 100.0
seed = 3

[record]
interval_ms = 0.5

[[record.traces]]
population = "E"
variables = ["V_m", "I_ex"]
nodes = [0, 2]

[[population]]
name = "in"
model = "explicit_source"
size = 3
params = { times_ms = [10.0, 10.0, 12.34, 50.0, 50.02], node_ids = [0, 0, 1, 2, 2] }

[[population]]
name = "pat"
model = "pattern_source"
size = 2
params = { pattern_ms = [0.5, 3.25], period_ms = 5.0, repeats = 10, start_ms = 20.0 }

[[population]]
name = "E"
model = "lif_exp"
size = 4
params = { I_e_pA = 300.0 }
initial = { V_m = [-65.0, -60.0, -55.0, -52.0] }

[[projection]]
name = "in_E"
source = "in"
target = "E"
port = "ex"
connect = "pairs"
pairs = [[0, 0], [1, 1], [2, 2], [2, 3]]
weight = [2000.0, 1500.0, 800.0, 900.0]
delay_ms = [1.0, 1.37, 0.5, 2.25]

[[projection]]
name = "pat_E"
source = "pat"
target = "E"
port = "ex"
weight = 400.0
delay_ms = 1.5

[[projection]]
name = "E_E"
source = "E"
target = "E"
port = "in"
connect = "one_to_one"
weight = -200.0
delay_ms = 0.8
"""

RANDOM_CONFIG = """
[simulation]
t_stop_ms = 50.0

[[population]]
name = "src"
model = "explicit_source"
size = 4
params = { times_ms = [1.0, 5.0] }

[[population]]
name = "E"
model = "lif_exp"
size = 3

[[projection]]
name = "src_E"
source = "src"
target = "E"
port = "ex"
connect = "fixed_probability"
probability = 0.5
weight = { dist = "uniform", low = 1000.0, high = 3000.0 }
delay_ms = { dist = "uniform", low = 0.5, high = 2.0 }
"""


@pytest.fixture(scope="module")
def seed_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("b2") / "seed_dt0.1.h5"
    rc, _, err = brian(SEED_CONFIG, out, "--dt", "0.1")
    assert rc == 0, err
    return str(out)


def test_seed_network_physics(seed_run):
    # Brian2 on the seed's fixed-delay network at dt = 0.1 ms (known result).
    with h5py.File(seed_run, "r") as f:
        n1 = f["spikes/N1/timestamps"][:]
        assert len(n1) == 44
        assert len(f["spikes/N2/timestamps"]) == 0
        assert n1[-1] == pytest.approx(1036.6, abs=1e-9)
        assert len(f["spikes/SG1/timestamps"]) == 560


def test_seed_output_layout(seed_run):
    with h5py.File(seed_run, "r") as f:
        assert f.attrs["delaysim_version"].startswith("brian2-2.5.1 dt=0.1")
        assert bool(f.attrs["completed"])
        assert f.attrs["t_stop_ms"] == 1040.0
        assert int(f.attrs["seed"]) == 0
        assert "[[projection]]" in f.attrs["config_toml"]
        g = f["spikes/N1"]
        assert g.attrs["sorting"] == "by_time"
        assert g["timestamps"].attrs["units"] == "ms"
        assert g["node_ids"].dtype == np.uint64
        assert np.all(np.diff(g["timestamps"][:]) >= 0)
        for var in ("v", "vth", "s1", "s2", "p"):
            tr = f[f"traces/N1/{var}"]
            assert tr["data"].shape == (10400, 1)
            assert tr["time"].shape == (10400,)
            assert list(tr["node_ids"][:]) == [0]
        t = f["traces/N1/s1/time"][:]
        assert t[0] == 0.0 and t[-1] == pytest.approx(1039.9)
        # sampled before the events at t (delaysim's convention): SG1 spikes at 1 ms,
        # delay 1 ms, so s1 jumps at 2 ms and the sample at 2.0 still shows 0
        s1 = f["traces/N1/s1/data"][:, 0]
        assert s1[20] == 0.0 and s1[21] == pytest.approx(np.exp(-0.1 / 0.5), rel=1e-4)  # rk4
        assert f["traces/N1/vth/data"][0, 0] == pytest.approx(8.0 * np.exp(-0.1 / 50))  # one step in (see --align-initial)
        syn = f["synapses/sg2_n1"]
        assert syn["delay/data"][0, 0] == 2.0 and syn["weight/data"][0, 0] == 1.0


def test_loader_reads_brian2_output(seed_run):
    delaysim_h5 = pytest.importorskip("delaysim_h5")
    r = delaysim_h5.load(seed_run)
    assert r.completed is True
    assert "N1" in r.spike_populations


def test_compare_with_itself(seed_run):
    rc, out, err = run(CMP, seed_run, seed_run, "--max-dt", 0, "--max-count-diff", 0, "--max-trace-diff", 0)
    assert rc == 0, out + err


def test_lif_sources_and_connectivity(tmp_path):
    cfg = tmp_path / "lif.toml"
    cfg.write_text(LIF_CONFIG)
    out = tmp_path / "lif.h5"
    rc, _, err = brian(cfg, out, "--dt", "0.1")
    assert rc == 0, err
    with h5py.File(out, "r") as f:
        # the two spikes of node 0 at 10 ms are both kept
        assert list(f["spikes/in/node_ids"][:]) == [0, 0, 1, 2, 2]
        assert np.allclose(f["spikes/in/timestamps"][:], [10.0, 10.0, 12.3, 50.0, 50.0])
        assert len(f["spikes/pat/timestamps"]) == 40
        assert len(f["spikes/E/timestamps"]) > 0
        v = f["traces/E/V_m/data"][:]
        assert v.shape == (200, 2)
        # without --align-initial the sample at 0 is one step into the free evolution
        assert v[0, 0] == pytest.approx(-65.0, abs=0.2) and v[0, 1] == pytest.approx(-55.0, abs=0.2)
        assert list(f["traces/E/I_ex/node_ids"][:]) == [0, 2]
        assert list(f["synapses/in_E/delay/data"][0]) == [1.0, 1.37, 0.5, 2.25]
        assert list(f["synapses/pat_E/source_node_id"][:]) == [0, 0, 0, 0, 1, 1, 1, 1]
    # --align-initial starts from the exact state at -dt: V_m(0) is the initial value
    out2 = tmp_path / "lif_aligned.h5"
    rc, _, err = brian(cfg, out2, "--dt", "0.1", "--align-initial")
    assert rc == 0, err
    with h5py.File(out2, "r") as f:
        assert f["traces/E/V_m/data"][0, 1] == pytest.approx(-55.0, abs=1e-9)


def test_random_connectivity_needs_synapses_file(tmp_path):
    cfg = tmp_path / "rand.toml"
    cfg.write_text(RANDOM_CONFIG)
    rc, _, err = brian(cfg, tmp_path / "o.h5")
    assert rc == 2 and "--synapses-from" in err and "src_E" in err
    syn = tmp_path / "ds.h5"
    with h5py.File(syn, "w") as f:
        g = f.create_group("synapses/src_E")
        g["source_node_id"] = np.array([0, 1, 3], dtype=np.uint64)
        g["target_node_id"] = np.array([2, 0, 2], dtype=np.uint64)
        g["delay/time"] = np.array([0.0, 0.1])
        g["delay/data"] = np.array([[1.5, 0.7, 1.9], [9.0, 9.0, 9.0]])
        g["weight/time"] = np.array([0.0])
        g["weight/data"] = np.array([[2500.0, 1200.0, 2000.0]])
    out = tmp_path / "o.h5"
    rc, _, err = brian(cfg, out, "--synapses-from", syn)
    assert rc == 0, err
    with h5py.File(out, "r") as f:
        g = f["synapses/src_E"]
        assert list(g["target_node_id"][:]) == [2, 0, 2]
        assert list(g["delay/data"][0]) == [1.5, 0.7, 1.9]
        assert g.attrs["origin"] == "file"


def test_replay_source_spikes(tmp_path):
    cfg = tmp_path / "poisson.toml"
    cfg.write_text(RANDOM_CONFIG.replace('model = "explicit_source"', 'model = "poisson_source"')
                   .replace("times_ms = [1.0, 5.0]", "rate_hz = 50.0")
                   .replace('connect = "fixed_probability"\nprobability = 0.5\n', "")
                   .replace('{ dist = "uniform", low = 1000.0, high = 3000.0 }', "2000.0")
                   .replace('{ dist = "uniform", low = 0.5, high = 2.0 }', "1.0"))
    ds = tmp_path / "ds.h5"
    times = np.array([1.0, 3.333, 3.36, 7.5])
    with h5py.File(ds, "w") as f:
        f["spikes/src/timestamps"] = times
        f["spikes/src/node_ids"] = np.array([0, 2, 2, 3], dtype=np.uint64)
    out = tmp_path / "o.h5"
    rc, _, err = brian(cfg, out, "--source-spikes", ds)
    assert rc == 0, err
    with h5py.File(out, "r") as f:
        # dt 0.1: bins floor(t/dt + 1e-3); 3.333 and 3.36 share a bin and both survive
        assert np.allclose(f["spikes/src/timestamps"][:], [1.0, 3.3, 3.3, 7.5])
        assert list(f["spikes/src/node_ids"][:]) == [0, 2, 2, 3]


def test_grid_layers():
    layers = brian2_reference.grid_layers([0, 0, 0, 1], [1.0, 1.02, 1.05, 1.0], 0.1)
    assert len(layers) == 3
    assert [list(ids) for ids, _ in layers] == [[0, 1], [0], [0]]
    assert all(list(b) == [10] * len(b) for _, b in layers)


def test_bad_input(tmp_path):
    rc, _, err = brian(tmp_path / "missing.toml", tmp_path / "o.h5")
    assert rc == 2 and "no such file" in err
    bad = tmp_path / "bad.toml"
    bad.write_text(LIF_CONFIG.replace('model = "lif_exp"', 'model = "hh"'))
    rc, _, err = brian(bad, tmp_path / "o.h5")
    assert rc == 2 and "'hh'" in err and "lif_exp" in err
    bad.write_text(LIF_CONFIG.replace('port = "in"', 'port = "gaba"'))
    rc, _, err = brian(bad, tmp_path / "o.h5")
    assert rc == 2 and "gaba" in err
    bad.write_text("[simulation\n")
    rc, _, err = brian(bad, tmp_path / "o.h5")
    assert rc == 2
    rc, _, err = brian(SEED_CONFIG, tmp_path / "nodir" / "o.h5")
    assert rc == 2 and "does not exist" in err


def test_convergence_script(tmp_path, seed_run):
    # against a Brian2 file standing in for delaysim: same dt gives zero deviation
    rc, out, err = run(CONV, SEED_CONFIG, "--delaysim", seed_run, "--dts", "0.1", "--target", "numpy", "--markdown")
    assert rc == 0, err
    assert out.startswith("# tools/brian2_convergence.py ")
    row = [line for line in out.splitlines() if line.startswith("| 0.1 | N1 |")]
    assert row and row[0].split("|")[3].strip() == "44" and row[0].split("|")[5].strip() == "0"
    rc, out, err = run(CONV, SEED_CONFIG, "--dts", "0.1", "--target", "numpy", "--json")
    assert rc == 0, err
    rows = json.loads(out)["rows"]
    assert rows[0]["n_brian2"] == 44 and rows[0]["last_brian2"] == pytest.approx(1036.6)


@pytest.mark.skipif(not os.path.isfile(os.environ.get("DELAYSIM_BINARY", "")), reason="delaysim not built")
def test_same_counts_as_delaysim(tmp_path, seed_run):
    ds = tmp_path / "ds.h5"
    p = subprocess.run([os.environ["DELAYSIM_BINARY"], "run", SEED_CONFIG, "-o", str(ds), "--quiet"],
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    rc, out, err = run(CMP, ds, seed_run, "--populations", "N1", "N2", "--max-count-diff", "0",
                       "--match-window", "20")
    assert rc == 0, out + err
