"""SIGINT/SIGTERM stop a run cleanly: exit 130, the file is closed with
completed=false, and what was recorded up to the signal is in it."""
import os
import signal
import subprocess
import time

import h5py
import pytest

CONFIG = """
[simulation]
t_stop_ms = 1e9
seed = 3
[record]
interval_ms = 1.0
max_output_gb = inf  # t_stop_ms = 1e9 is never reached: the signal stops it
[[record.traces]]
population = "L"
[[population]]
name = "P"
model = "poisson_source"
size = 50
params = { rate_hz = 200.0 }
[[population]]
name = "L"
model = "lif_exp"
size = 20
[[projection]]
name = "p_l"
source = "P"
target = "L"
port = "ex"
connect = "all_to_all"
weight = 300.0
delay_ms = 1.5
"""


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_signal_stops_run_and_keeps_data(tmp_path, sig):
    binary = os.environ["DELAYSIM_BINARY"]
    cfg = tmp_path / "long.toml"
    cfg.write_text(CONFIG)
    out = tmp_path / "long.h5"
    proc = subprocess.Popen([binary, "run", str(cfg), "-o", str(out)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=True)
    time.sleep(2.0)  # let it record a while
    assert proc.poll() is None, proc.stderr.read().decode()
    proc.send_signal(sig)
    try:
        _, err = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        pytest.fail("delaysim did not stop within 60 s of the signal")
    assert proc.returncode == 130, err.decode()
    with h5py.File(out, "r") as f:
        assert not bool(f.attrs["completed"])
        t = f["spikes/L/timestamps"][:]
        assert len(t) > 100
        assert (t[1:] >= t[:-1]).all()
        data = f["traces/L/V_m/data"]
        times = f["traces/L/V_m/time"][:]
        assert data.shape == (len(times), 20)
        assert len(times) > 10
        # nothing buffered was lost: samples reach up to the last recorded spike
        assert times[-1] >= t[-1] - 1.0
