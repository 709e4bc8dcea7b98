"""[[record.synapses]] mode = "on_change": the file holds no samples, only the
initial values, and delaysim_h5.synapse_values_at rebuilds from them and the
/plasticity events exactly what a grid recording of the same run sampled."""
import os
import subprocess

import numpy as np
import pytest

import delaysim_h5

BINARY = os.environ.get("DELAYSIM_BINARY", "/nonexistent")


def _run(tmp_path, name, *sets):
    config = os.path.join(os.environ["DELAYSIM_SOURCE_DIR"], "configs", "two_neuron_delay_learning.toml")
    out = tmp_path / (name + ".h5")
    args = [BINARY, "run", config, "-o", str(out), "--quiet", "--set", "simulation.t_stop_ms=400",
            "--set", "record.interval_ms=0.5"]
    for s in sets:
        args += ["--set", s]
    subprocess.run(args, check=True, timeout=300)
    return delaysim_h5.load(out)


@pytest.mark.skipif(not os.path.exists(BINARY), reason="delaysim binary not built")
def test_on_change_equals_the_grid_at_the_grid_times(tmp_path):
    grid = _run(tmp_path, "grid")
    change = _run(tmp_path, "change", "record.synapses.sg2_n1.mode=on_change")
    g, c = grid.synapses[("sg2_n1", "delay")], change.synapses[("sg2_n1", "delay")]
    assert g.mode == "grid" and c.mode == "on_change"
    assert len(c.time) == 0 and c.data.shape == (0, len(c.synapse_ids))
    assert np.array_equal(c.initial, g.data[0])
    assert np.array_equal(c.synapse_ids, g.synapse_ids)
    # The rule moved delays during the run (else the comparison proves little).
    assert len(change.plasticity[change.plasticity["projection"] == "sg2_n1"]) > 10
    assert not np.array_equal(g.data[0], g.data[-1])
    # The other projection keeps its grid.
    assert change.synapses[("sg2_n2", "delay")].mode == "grid"
    assert len(change.synapses[("sg2_n2", "delay")].time) == len(g.time)
    for k in range(0, len(g.time), 7):
        t = float(g.time[k])
        assert np.array_equal(change.synapse_values_at("sg2_n1", "delay", t), g.data[k]), t
        # The grid file's own reconstruction (sample + events) agrees between samples too.
        assert np.array_equal(grid.synapse_values_at("sg2_n1", "delay", t + 0.25),
                              change.synapse_values_at("sg2_n1", "delay", t + 0.25)), t


@pytest.mark.skipif(not os.path.exists(BINARY), reason="delaysim binary not built")
def test_unknown_mode_is_a_located_error(tmp_path):
    config = os.path.join(os.environ["DELAYSIM_SOURCE_DIR"], "configs", "two_neuron_delay_learning.toml")
    r = subprocess.run([BINARY, "validate", config, "--set", "record.synapses.sg2_n1.mode=sometimes"],
                       capture_output=True, text=True)
    assert r.returncode == 2
    assert "unknown mode 'sometimes' (valid: grid, on_change)" in r.stderr
    assert ":1:" in r.stderr  # located in the --set option
