"""tools/delaysim_h5.py on synthetic files in the DESIGN.md layout, on files
missing groups, and (when the CLI is built) on a real delaysim run."""
import os
import subprocess
import sys

import numpy as np
import pytest

import delaysim_h5
from conftest import write_seed_like


def test_root_attributes(seed_file):
    run = delaysim_h5.load(seed_file)
    assert run.completed is True
    assert run.seed == 42
    assert run.t_stop_ms == 100.0
    assert run.version == "0.1.0"
    assert run.config_toml.startswith("[simulation]")


def test_spikes_frame(seed_file):
    run = delaysim_h5.load(seed_file)
    df = run.spikes
    assert list(df.columns) == ["population", "node_id", "time_ms"]
    assert len(df) == 8
    assert df["time_ms"].is_monotonic_increasing
    assert run.spike_populations == ["N", "SG1", "SG2"]
    n = run.spikes_of("N")
    assert n["time_ms"].tolist() == [10.0, 20.0, 30.0]
    assert n["node_id"].tolist() == [0, 1, 0]
    assert run.spikes_of("N", 1)["time_ms"].tolist() == [20.0]
    assert set(run.spikes_by_population()) == {"N", "SG1", "SG2"}


def test_traces(seed_file):
    run = delaysim_h5.load(seed_file)
    assert set(run.traces) == {("N", "v"), ("N", "vth"), ("N", "s1"), ("N", "s2")}
    tr = run.traces[("N", "v")]
    assert tr.data.shape == (1000, 2)
    assert tr.node_ids.tolist() == [0, 1]
    assert tr.units == "1"
    np.testing.assert_allclose(tr.node(1), np.sin(tr.time / 10 + 1))
    tidy = run.trace_frame("N", "s2")
    assert list(tidy.columns) == ["population", "variable", "node_id", "time_ms", "value"]
    assert len(tidy) == 2000
    assert (tidy.loc[tidy["node_id"] == 1, "value"] == 1.0).all()
    assert len(run.trace_frame()) == 4 * 2000


def test_synapses_and_plasticity(seed_file):
    run = delaysim_h5.load(seed_file)
    s = run.synapses[("sg2_n", "delay")]
    assert s.units == "ms"
    assert s.data.shape == (1000, 2)
    assert s.target_node_id.tolist() == [0, 1]
    assert s.data[-1].tolist() == [3.0, 4.0]
    sf = run.synapse_frame(variable="delay")
    assert len(sf) == 2000 and set(sf["projection"]) == {"sg2_n"}
    ev = run.plasticity
    assert list(ev.columns) == ["time_ms", "synapse_id", "variable", "old", "new", "rule", "projection"]
    assert len(ev) == 3
    assert ev["variable"].tolist() == ["delay"] * 3  # str, not bytes
    assert ev["rule"].tolist() == ["rival_shift"] * 3
    assert ev["new"].tolist() == [1.0, 2.0, 3.0]
    steps = run.delay_steps("sg2_n")
    t, v = steps[0]
    assert t.tolist() == [0.0, 25.0, 50.0, 75.0, 100.0]
    assert v.tolist() == [0.0, 1.0, 2.0, 3.0, 3.0]
    assert run.delay_steps("fixed") == {}


def test_incomplete_run_and_missing_groups(sparse_file, empty_file, tmp_path):
    run = delaysim_h5.load(sparse_file)
    assert run.completed is None and run.seed is None and run.t_stop_ms is None
    assert run.spikes_of("N1")["time_ms"].tolist() == [5.0, 7.0]
    tr = run.traces[("N1", "v")]
    assert tr.data.shape == (10, 1) and tr.node_ids.tolist() == [0]
    assert run.synapses == {} and run.plasticity.empty
    assert run.synapse_frame().empty and run.trace_frame("nope").empty
    e = delaysim_h5.load(empty_file)
    assert e.completed is False
    assert e.spikes.empty and e.traces == {} and e.plasticity.empty
    z = delaysim_h5.load(write_seed_like(tmp_path / "z.h5", spikes=False, completed=False))
    assert z.completed is False and z.spikes_of("N").empty


def test_summary_cli(seed_file, sparse_file, tmp_path):
    tool = os.path.join(os.path.dirname(delaysim_h5.__file__), "delaysim_h5.py")
    out = subprocess.run([sys.executable, tool, seed_file], capture_output=True, text=True, check=True).stdout
    assert "completed=True" in out and "seed=42" in out
    assert "N: 3 spikes from 2 nodes" in out
    assert "N/v [1]: 1000 samples x 2 nodes" in out
    assert "sg2_n/delay: 3 changes by rival_shift" in out
    subprocess.run([sys.executable, tool, sparse_file], capture_output=True, check=True)
    bad = subprocess.run([sys.executable, tool, str(tmp_path / "missing.h5")], capture_output=True, text=True)
    assert bad.returncode == 2 and "error" in bad.stderr


@pytest.mark.skipif(not os.path.exists(os.environ.get("DELAYSIM_BINARY", "/nonexistent")),
                    reason="delaysim binary not built")
def test_round_trip_with_the_cli(tmp_path):
    """config -> delaysim run -> HDF5 -> loader (every config in configs/)."""
    src = os.environ["DELAYSIM_SOURCE_DIR"]
    configs = sorted(f for f in os.listdir(os.path.join(src, "configs")) if f.endswith(".toml"))
    if not configs:
        pytest.skip("no configs yet")
    for name in configs:
        out = tmp_path / (name[:-5] + ".h5")
        subprocess.run([os.environ["DELAYSIM_BINARY"], "run", os.path.join(src, "configs", name), "-o", str(out),
                        "--quiet"], check=True, timeout=600)
        run = delaysim_h5.load(out)
        assert run.completed is True, name
        assert run.config_toml, name
        for tr in run.traces.values():
            assert tr.data.shape == (len(tr.time), len(tr.node_ids)), name


def test_repr_is_the_summary(seed_file):
    run = delaysim_h5.load(seed_file)
    text = repr(run)
    assert text.startswith(seed_file) and "completed=True" in text and "N: 3 spikes from 2 nodes" in text
    assert "sg2_n/delay: 3 changes by rival_shift" in text


def test_one_time_column_name(seed_file):
    run = delaysim_h5.load(seed_file)
    for df in (run.spikes, run.plasticity, run.trace_frame(), run.synapse_frame()):
        assert "time_ms" in df.columns and "time" not in df.columns


def test_a_file_rewritten_after_loading_is_detected(tmp_path):
    """A Run loaded before a re-run must not mix its metadata with the new data."""
    path = tmp_path / "run.h5"
    write_seed_like(path, t_stop=100.0)
    run = delaysim_h5.load(path)
    assert not run.stale
    write_seed_like(path, t_stop=50.0)  # the same path, rewritten (as a new run would)
    assert run.stale
    with pytest.raises(delaysim_h5.StaleFileError, match="rewritten after it was loaded"):
        run.traces[("N", "v")].data
    assert "rewritten since it was loaded" in repr(run)
    fresh = delaysim_h5.load(path)
    assert fresh.traces[("N", "v")].data.shape == (500, 2)


def test_the_package_module_is_the_same_code():
    """tools/delaysim_h5.py is a shim over tools/python/delaysim/h5.py."""
    assert delaysim_h5.Run.__module__ == "delaysim_h5_impl"
    assert delaysim_h5.load.__code__.co_filename.endswith(os.path.join("python", "delaysim", "h5.py"))
