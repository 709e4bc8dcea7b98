"""Runaway guards at the CLI (sim/node_core.hpp): the seed's coincidence neuron
with a weight of 1e10 on one input used to stall at t = 3 ms (it spiked every
3.5e-10 ms); now the run stops at once with exit 2, a message that names the
population, node, time and the weight, and an output file closed with
completed=false that keeps everything recorded before."""
import os
import subprocess

import h5py
import pytest


def test_zeno_weight_stops_with_exit_2_and_keeps_the_file(tmp_path):
    binary = os.environ["DELAYSIM_BINARY"]
    config = os.path.join(os.environ["DELAYSIM_SOURCE_DIR"], "configs", "two_neuron_fixed_delays.toml")
    out = tmp_path / "zeno.h5"
    try:
        proc = subprocess.run([binary, "run", config, "-o", str(out), "--quiet",
                               "--set", "projection.sg1_n1.weight=1e10"],
                              capture_output=True, text=True, timeout=120)
    except subprocess.TimeoutExpired:
        pytest.fail("delaysim still runs after 120 s: the runaway guard did not stop it")
    assert proc.returncode == 2, proc.stderr
    err = proc.stderr
    assert "error: population 'N1' (model coincidence), node 0, t = 3 ms" in err
    assert "spiked 1001 times since 3 ms (the limit is 1000 spikes within 0.001 ms)" in err
    assert "'sg1_n1' (port 'a') 1e+10" in err
    assert "vth = 8" in err
    with h5py.File(out, "r") as f:
        assert not bool(f.attrs["completed"])
        # Everything before the stop: the sources' spikes up to 3 ms, N1's 1000
        # spikes at 3 ms (the 1001st was refused), samples up to 3 ms.
        assert list(f["spikes/SG1/timestamps"][:]) == [1.0, 2.0, 3.0]
        n1 = f["spikes/N1/timestamps"][:]
        assert len(n1) == 1000 and n1[0] >= 3.0 and n1[-1] - n1[0] <= 1e-3
        assert f["traces/N1/v/time"][-1] == pytest.approx(3.0)
