"""SIGINT/SIGTERM stop a run cleanly: exit 130, the file is closed with
completed=false, and what was recorded up to the signal is in it."""
import signal
import subprocess
import time

import h5py
import pytest

from long_run import start, write_config


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_signal_stops_run_and_keeps_data(tmp_path, sig):
    out = tmp_path / "long.h5"
    proc = start(write_config(tmp_path), out)
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
