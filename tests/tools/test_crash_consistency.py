"""Crash consistency of the recorder (sim/recorder.hpp), with the real binary:
SIGKILL of a running `delaysim run` leaves a file that h5py opens, with
completed=false and everything up to the last flush; a file size limit
(`ulimit -f`, the stand-in for a full disk) ends the run with exit 1, a message
that says so and a readable file; an output that cannot be created says why.
Also the run-time refusal of bounds = "error", which only `run` can see."""
import os
import resource
import signal
import subprocess
import time

import h5py
import numpy as np
import pytest

from long_run import BINARY, start, write_config


def check_consistent(f, interval=1.0, aligned=True):
    """What a flush leaves: completed=false, every dataset readable, times in
    order on the sampling grid. `aligned`: time and data (spike times and ids)
    have the same length; after SIGKILL a block written after the last flush
    may have reached one of them (HDF5 writes its metadata when its cache
    evicts it), so there they may differ by up to a block."""
    assert not bool(f.attrs["completed"])
    t = f["spikes/L/timestamps"][:]
    ids = f["spikes/L/node_ids"][:]
    times = f["traces/L/V_m/time"][:]
    data = f["traces/L/V_m/data"][:]
    assert data.shape[1] == 20
    if aligned:
        assert len(t) == len(ids)
        assert data.shape[0] == len(times)
    else:
        assert abs(len(t) - len(ids)) <= 16384 and abs(data.shape[0] - len(times)) <= 16384
    n = min(len(times), data.shape[0])
    assert (np.diff(t[:min(len(t), len(ids))]) >= 0).all()
    assert np.all(np.isfinite(data[:n]))
    assert np.allclose(np.diff(times[:n]), interval)
    return t, times


def test_sigkill_leaves_a_readable_file_up_to_the_last_flush(tmp_path):
    cfg = write_config(tmp_path, flush=0.2)
    out = tmp_path / "killed.h5"
    proc = start(cfg, out, "--quiet")
    time.sleep(3.0)  # about 15 flushes
    assert proc.poll() is None, proc.stderr.read().decode()
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    with h5py.File(out, "r") as f:
        t, times = check_consistent(f, aligned=False)
        # A flush writes every dataset: spikes and samples end within the last
        # few ms of each other (the buffers are written together).
        assert len(times) > 100 and len(t) > 100
        assert abs(times[-1] - t[-1]) < 50.0
        assert f.attrs["t_stop_ms"] == 1e8


def test_flush_interval_bounds_what_a_kill_loses(tmp_path):
    """With a long flush interval nothing after the file's creation is flushed
    within 2 s except whole blocks: the short interval keeps more."""
    kept = {}
    for flush in (0.1, 1e6):
        cfg = write_config(tmp_path, interval=1.0, flush=flush)
        out = tmp_path / f"killed_{flush}.h5"
        proc = start(cfg, out, "--quiet")
        time.sleep(2.0)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        with h5py.File(out, "r") as f:
            _, times = check_consistent(f, aligned=False)
            kept[flush] = len(times)
    assert kept[0.1] > kept[1e6]


def limit_file_size(nbytes):
    def set_limit():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # the write then fails with EFBIG
        resource.setrlimit(resource.RLIMIT_FSIZE, (nbytes, nbytes))
    return set_limit


def test_full_disk_ends_the_run_with_exit_1_and_a_readable_file(tmp_path):
    # 0.05 ms sampling of 20 neurons: about 3 MB per second of simulated time.
    cfg = write_config(tmp_path, interval=0.05, flush=1.0)
    out = tmp_path / "full.h5"
    limit = 40_000_000
    proc = subprocess.run([BINARY, "run", str(cfg), "-o", str(out), "--quiet"], capture_output=True, text=True,
                          preexec_fn=limit_file_size(limit), timeout=600)
    assert proc.returncode == 1, proc.stderr
    assert "file size limit" in proc.stderr and "ulimit -f" in proc.stderr, proc.stderr
    assert "completed = false" in proc.stderr
    assert "internal error" not in proc.stderr and "H5" not in proc.stderr, proc.stderr
    size = os.path.getsize(out)
    assert 0.5 * limit < size <= limit
    with h5py.File(out, "r") as f:
        _, times = check_consistent(f, interval=0.05)  # closed cleanly: aligned
        # Most of the file is data (3 variables x 20 neurons x 8 B per sample);
        # the rest of the limit was the reserve for closing it.
        assert len(times) * 3 * 20 * 8 > 0.4 * limit
        assert len(f["traces/L/I_ex/time"]) == len(times)


def test_a_write_that_fails_anyway_is_exit_1_with_the_os_reason(tmp_path):
    """The path behind the space check (another process filled the disk): with
    the check switched off, the write fails with EFBIG; the run still ends with
    exit 1 and the OS reason, not a crash or a raw HDF5 message."""
    cfg = write_config(tmp_path, interval=0.05, flush=1.0)
    out = tmp_path / "full.h5"
    env = dict(os.environ, DELAYSIM_TEST_NO_SPACE_GUARD="1")
    proc = subprocess.run([BINARY, "run", str(cfg), "-o", str(out), "--quiet"], capture_output=True, text=True,
                          preexec_fn=limit_file_size(10_000_000), timeout=600, env=env)
    assert proc.returncode == 1, proc.stderr
    assert "File too large (the file size limit, ulimit -f, was reached)" in proc.stderr, proc.stderr
    assert "H5" not in proc.stderr and "internal error" not in proc.stderr, proc.stderr


def run(args, **kw):
    return subprocess.run([BINARY] + args, capture_output=True, text=True, timeout=120, **kw)


SMALL = """
[simulation]
t_stop_ms = 20.0
[[population]]
name = "SG"
model = "pattern_source"
params = { pattern_ms = [1.0], period_ms = 5.0, repeats = 4 }
"""


def test_uncreatable_output_says_why(tmp_path):
    cfg = tmp_path / "small.toml"
    cfg.write_text(SMALL)
    (tmp_path / "adir").mkdir()
    r = run(["run", str(cfg), "-o", str(tmp_path / "adir")])
    assert r.returncode == 2 and "is a directory" in r.stderr, r.stderr
    (tmp_path / "afile").write_text("x")
    r = run(["run", str(cfg), "-o", str(tmp_path / "afile" / "x.h5")])
    assert r.returncode == 2 and "error:" in r.stderr and "H5Fcreate" not in r.stderr, r.stderr
    if os.geteuid() != 0:  # root may write anywhere
        ro = tmp_path / "ro"
        ro.mkdir()
        ro.chmod(0o500)
        r = run(["run", str(cfg), "-o", str(ro / "x.h5")])
        assert r.returncode == 2 and "not writable" in r.stderr, r.stderr
    # Another process holds the file open (HDF5's file lock).
    held = tmp_path / "held.h5"
    with h5py.File(held, "w") as f:
        f.attrs["x"] = 1
        r = run(["run", str(cfg), "-o", str(held)])
    assert r.returncode == 2, r.stderr
    assert "another process has the file open" in r.stderr and "H5Fcreate" not in r.stderr, r.stderr


BOUNDS = """
[simulation]
t_stop_ms = 100.0
[[population]]
name = "SG"
model = "pattern_source"
params = { pattern_ms = [0.0], period_ms = 10.0, repeats = 10 }
[[population]]
name = "N"
model = "coincidence"
[[projection]]
name = "sg_n"
source = "SG"
target = "N"
port = "a"
delay_ms = 1.0
delay_max_ms = 10.0
bounds = "error"
[[plasticity]]
rule = "constant_drift"
projections = ["sg_n"]
params = { drift_ms = 3.0 }
"""


def test_bounds_error_at_run_time_names_time_synapse_and_rule(tmp_path):
    cfg = tmp_path / "bounds.toml"
    cfg.write_text(BOUNDS)
    assert run(["validate", str(cfg)]).returncode == 0
    r = run(["run", str(cfg), "-o", str(tmp_path / "b.h5"), "--quiet"])
    assert r.returncode == 2, r.stderr
    assert "projection 'sg_n': at t = 30 ms rule 'constant_drift' set the delay of synapse 0 (node 0 -> 0) " \
           "to 13 ms, outside the bounds [0 ms, 10 ms]" in r.stderr, r.stderr
    with h5py.File(tmp_path / "b.h5", "r") as f:
        assert not bool(f.attrs["completed"])
