"""Threads give the one-thread run's output bit for bit (README "Parallel runs").

Every config in configs/, the golden config and a 1e5-synapse plastic network
(plastic_1e5.toml: a delay rule and a weight rule, sampled traces) run with
--threads 1, 2 and 4, each file compared with tools/compare_runs.py --bit-exact.
DELAYSIM_PARALLEL_GRAIN=1 splits every node phase among the threads, however
few nodes it has (the default keeps small phases on one thread), so that these
small networks take the parallel path in every slice.
"""
import glob
import os
import subprocess
import sys
import tomllib

import pytest

SRC = os.environ.get("DELAYSIM_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", "..", ".."))
BIN = os.environ.get("DELAYSIM_BINARY", os.path.join(SRC, "build", "delaysim"))
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(SRC, "tools"))
import compare_runs  # noqa: E402

# Long seed configs are cut short (the check is per slice, not per second).
MAX_T_STOP_MS = 1000.0
CONFIGS = sorted(glob.glob(os.path.join(SRC, "configs", "*.toml"))) + [os.path.join(HERE, "plastic_1e5.toml")]


def run(config, out, threads, extra=()):
    env = dict(os.environ, DELAYSIM_PARALLEL_GRAIN="1")
    with open(config, "rb") as f:
        t_stop = tomllib.load(f)["simulation"]["t_stop_ms"]
    cut = ["--set", f"simulation.t_stop_ms={MAX_T_STOP_MS}"] if t_stop > MAX_T_STOP_MS else []
    p = subprocess.run([BIN, "run", config, "-o", str(out), "--threads", str(threads), *cut, *extra],
                       env=env, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    return p.stderr


@pytest.mark.parametrize("config", CONFIGS, ids=os.path.basename)
def test_threads_bit_identical(config, tmp_path):
    ref = tmp_path / "t1.h5"
    run(config, ref, 1)
    for n in (2, 4):
        out = tmp_path / f"t{n}.h5"
        err = run(config, out, n)
        assert compare_runs.bit_exact(str(ref), str(out)) == [], f"--threads {n}"
        # Where something is batched, the threads were used (else a note says why).
        assert f"ran on {n} threads" in err or "note:" in err, err


def test_plastic_network_uses_threads(tmp_path):
    err = run(os.path.join(HERE, "plastic_1e5.toml"), tmp_path / "t.h5", 3)
    assert "ran on 3 threads" in err, err


def test_golden_with_threads(tmp_path):
    """The golden run with 4 threads against the golden file, at the golden test's tolerance."""
    out = tmp_path / "g.h5"
    run(os.path.join(SRC, "configs", "golden_lif_stdp.toml"), out, 4)
    golden = os.path.join(SRC, "tests", "data", "golden_lif_stdp.h5")
    r = compare_runs.compare_files(golden, str(out), None, 1.0)
    assert compare_runs.check(r, 1e-9, None, 0, 0, None) == []


def test_bit_exact_detects_a_difference(tmp_path):
    """The comparison can fail: another seed, and one spike time moved by one ulp."""
    cfg = os.path.join(SRC, "configs", "golden_lif_stdp.toml")
    a, b = tmp_path / "a.h5", tmp_path / "b.h5"
    run(cfg, a, 1)
    run(cfg, b, 2, ["--set", "simulation.seed=1"])
    assert compare_runs.bit_exact(str(a), str(b))
    import h5py
    import numpy as np
    run(cfg, b, 2)
    with h5py.File(b, "r+") as f:
        ts = f["spikes/E/timestamps"]
        ts[0] = np.nextafter(ts[0], np.inf)
    assert compare_runs.bit_exact(str(a), str(b)) == ["spikes/E/timestamps: values differ"]


def test_threads_option_checked(tmp_path):
    p = subprocess.run([BIN, "validate", os.path.join(SRC, "configs", "golden_lif_stdp.toml"), "--threads", "-1"],
                       capture_output=True, text=True)
    assert p.returncode == 2 and "error" in p.stderr, p.stderr
    p = subprocess.run([BIN, "validate", os.path.join(SRC, "configs", "golden_lif_stdp.toml"), "--threads", "0"],
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stderr


def test_mpirun_refused_without_mpi(tmp_path):
    """Under mpirun -np 2 (its environment), a build without MPI ranks refuses and writes nothing."""
    if os.environ.get("DELAYSIM_MPIRUN"):
        pytest.skip("this build has MPI ranks (tests/tools/parallel/test_mpi.py)")
    out = tmp_path / "m.h5"
    env = dict(os.environ, OMPI_COMM_WORLD_SIZE="2", OMPI_COMM_WORLD_RANK="0")
    p = subprocess.run([BIN, "run", os.path.join(SRC, "configs", "golden_lif_stdp.toml"), "-o", str(out)],
                       env=env, capture_output=True, text=True)
    assert p.returncode == 2 and "MPI" in p.stderr and "--threads" in p.stderr, p.stderr
    assert not out.exists()
