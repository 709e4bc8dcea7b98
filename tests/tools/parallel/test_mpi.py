"""MPI ranks give the one-process run's output bit for bit (README "Parallel runs").

Every config in configs/ (long ones cut short) and a 1e5-synapse plastic network
(plastic_1e5.toml: a delay rule and a weight rule, sampled traces) run under
`mpirun -np 2` (and some under -np 3), each file compared with the one-process
run by tools/compare_runs.py --bit-exact; the golden config against its golden
file; the meetings of two_ranks_window.toml (once per lookahead window) counted;
SIGINT to mpirun closes the file with completed = false; an error on one rank
between meetings (rank 0's file full, bad input on rank 1 only) ends every rank
within bounded time, the file closed with completed = false. Registered only in a
build with MPI (DELAYSIM_MPIRUN: the mpirun found at configure time).
"""
import glob
import os
import re
import signal
import subprocess
import sys
import time
import tomllib

import pytest

SRC = os.environ.get("DELAYSIM_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", "..", ".."))
BIN = os.environ.get("DELAYSIM_BINARY", os.path.join(SRC, "build", "delaysim"))
MPIRUN = os.environ.get("DELAYSIM_MPIRUN", "mpirun")
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(SRC, "tools"))
import compare_runs  # noqa: E402

MAX_T_STOP_MS = 500.0  # the check is per sub-slice: a short run has thousands of exchanges
CONFIGS = sorted(glob.glob(os.path.join(SRC, "configs", "*.toml"))) + [os.path.join(HERE, "plastic_1e5.toml")]
GOLDEN = os.path.join(SRC, "configs", "golden_lif_stdp.toml")
WINDOW = os.path.join(SRC, "configs", "two_ranks_window.toml")
# --oversubscribe: more ranks than cores must work; as root (CI) OpenMPI wants --allow-run-as-root.
MPI_ARGS = ["--oversubscribe", "--allow-run-as-root", "--mca", "btl", "self,vader"]


def cut(config):
    with open(config, "rb") as f:
        t_stop = tomllib.load(f)["simulation"]["t_stop_ms"]
    return ["--set", f"simulation.t_stop_ms={MAX_T_STOP_MS}"] if t_stop > MAX_T_STOP_MS else []


def run(config, out, ranks, extra=()):
    cmd = [BIN, "run", config, "-o", str(out), *cut(config), *extra]
    if ranks > 1:
        cmd = [MPIRUN, "-np", str(ranks), *MPI_ARGS, *cmd]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stdout + p.stderr
    return p.stderr


@pytest.mark.parametrize("config", CONFIGS, ids=os.path.basename)
def test_ranks_bit_identical(config, tmp_path):
    ref, out = tmp_path / "r1.h5", tmp_path / "r2.h5"
    run(config, ref, 1)
    err = run(config, out, 2)
    assert compare_runs.bit_exact(str(ref), str(out)) == [], "mpirun -np 2"
    assert "done:" in err and err.count("done:") == 1, err  # rank 0 alone reports
    assert not list(tmp_path.glob("*.tmp")), "the other ranks' scratch files are removed"


@pytest.mark.parametrize("config", [GOLDEN, os.path.join(HERE, "plastic_1e5.toml")], ids=os.path.basename)
def test_three_ranks(config, tmp_path):
    ref, out = tmp_path / "r1.h5", tmp_path / "r3.h5"
    run(config, ref, 1)
    err = run(config, out, 3)
    assert compare_runs.bit_exact(str(ref), str(out)) == [], "mpirun -np 3"
    assert "split among 3 MPI ranks" in err, err


def test_golden_with_ranks(tmp_path):
    """mpirun -np 2 of the golden config against the golden file, at the golden test's tolerance."""
    out = tmp_path / "g.h5"
    run(GOLDEN, out, 2)
    golden = os.path.join(SRC, "tests", "data", "golden_lif_stdp.h5")
    r = compare_runs.compare_files(golden, str(out), None, 1.0)
    assert compare_runs.check(r, 1e-9, None, 0, 0, None) == []


def test_checkpoint_refused_with_ranks(tmp_path):
    cmd = [MPIRUN, "-np", "2", *MPI_ARGS, BIN, "run", GOLDEN, "-o", str(tmp_path / "c.h5"),
           "--checkpoint-at", "100", "--checkpoint-dir", str(tmp_path / "ck")]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert p.returncode != 0 and "not supported with MPI ranks" in p.stderr, p.stderr
    assert p.stderr.count("not supported with MPI ranks") == 1, p.stderr  # printed once
    assert not (tmp_path / "c.h5").exists()


@pytest.mark.parametrize("config", [os.path.join(HERE, "plastic_1e5.toml"), WINDOW], ids=os.path.basename)
def test_sigint_closes_file_incomplete(config, tmp_path):
    """SIGINT to mpirun: every rank stops at the same exchange (per sub-slice; per window in
    two_ranks_window.toml), rank 0 closes the file with completed = false."""
    import h5py
    out = tmp_path / "s.h5"
    cmd = [MPIRUN, "-np", "2", *MPI_ARGS, BIN, "run", config, "-o", str(out),
           "--set", "simulation.t_stop_ms=1000000"]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 30
    while time.time() < deadline and not out.exists():
        time.sleep(0.1)
    time.sleep(1.0)
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=60)
    assert "completed = false" in err, err
    with h5py.File(out, "r") as f:
        assert not bool(f.attrs["completed"])


@pytest.mark.parametrize("config,pop,proj", [("golden", "I", "ei"), ("window", "B", "b_b")])
def test_error_on_one_rank_stops_all(tmp_path, config, pop, proj):
    """A runaway node owned by rank 1 alone (golden: population I, the last batched nodes;
    window: B, inside a window, where rank 1 skips the rest of its window) stops every rank at
    the next exchange with exit 2, its message printed once (by rank 0), the file closed with
    completed = false, as in one process."""
    import h5py
    cfg = {"golden": GOLDEN, "window": WINDOW}[config]
    bad = ["--set", f"population.{pop}.params.t_ref_ms=0", "--set", f"projection.{proj}.weight=1e12"]
    one = subprocess.run([BIN, "run", cfg, "-o", str(tmp_path / "e1.h5"), *bad],
                         capture_output=True, text=True, timeout=60)
    assert one.returncode == 2 and "spiked 1001 times" in one.stderr, one.stderr
    cmd = [MPIRUN, "-np", "2", *MPI_ARGS, BIN, "run", cfg, "-o", str(tmp_path / "e2.h5"), *bad]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert p.returncode == 2, p.stdout + p.stderr
    message = [line for line in one.stderr.splitlines() if "error:" in line][0]
    assert (p.stdout + p.stderr).count(message) == 1, p.stdout + p.stderr
    with h5py.File(tmp_path / "e2.h5", "r") as f:
        assert not bool(f.attrs["completed"])
    assert not list(tmp_path.glob("*.tmp"))


@pytest.mark.parametrize("ranks,placement,nodes", [(2, "population.E.rank=1", "nodes: 40 160"),
                                                   (3, "population.I.rank=2", "nodes: 67 67 66")])
def test_user_placement(ranks, placement, nodes, tmp_path):
    """[[population]] rank (sim/partition.hpp): the placed population's nodes on its rank, the
    others filling the ranks to equal counts; the file still equals the one-process run's."""
    ref, out = tmp_path / "r1.h5", tmp_path / "placed.h5"
    extra = ["--set", placement]
    run(GOLDEN, ref, 1, extra)
    err = run(GOLDEN, out, ranks, extra)
    assert compare_runs.bit_exact(str(ref), str(out)) == [], f"mpirun -np {ranks} with {placement}"
    assert f"split among {ranks} MPI ranks ({nodes}); lookahead window" in err, err


def test_placement_beyond_the_ranks_is_refused(tmp_path):
    cmd = [MPIRUN, "-np", "2", *MPI_ARGS, BIN, "run", GOLDEN, "-o", str(tmp_path / "p.h5"),
           "--set", "population.I.rank=2"]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    message = "error: population 'I' has rank = 2, but the run has 2 MPI ranks (0 .. 1)"
    assert p.returncode == 2 and (p.stdout + p.stderr).count(message) == 1, p.stdout + p.stderr
    assert not (tmp_path / "p.h5").exists()


def test_scattered_samples_on_rank_zero(tmp_path):
    """Rank 0 owns every sampled node (it writes the file): 28 traced nodes spread over E scatter
    its blocks into more than the 8 parts a rank keeps (sim/slices_ranks.cpp, rank_parts), so
    parts are joined across other ranks' nodes, which the expansion must skip. Each rank expands
    spikes only onto its own nodes; the file still equals the one-process run's, with 2 and 3 ranks."""
    with open(os.path.join(HERE, "plastic_1e5.toml")) as f:
        text = f.read()
    old = "nodes = [0, 1, 500, 999]"
    assert old in text
    config = tmp_path / "scattered.toml"
    config.write_text(text.replace(old, "nodes = " + str(list(range(3, 1000, 37)))))
    ref = tmp_path / "r1.h5"
    run(str(config), ref, 1)
    for ranks in (2, 3):
        out = tmp_path / f"r{ranks}.h5"
        err = run(str(config), out, ranks)
        assert compare_runs.bit_exact(str(ref), str(out)) == [], f"mpirun -np {ranks}"
        assert f"split among {ranks} MPI ranks" in err, err


def test_threads_with_ranks_refused(tmp_path):
    """Threads inside ranks are not combined yet: --threads 2 under mpirun is refused (exit 2,
    printed once), never silently run on one thread."""
    cmd = [MPIRUN, "-np", "2", *MPI_ARGS, BIN, "run", GOLDEN, "-o", str(tmp_path / "t.h5"), "--threads", "2"]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    message = "threads are not combined with MPI ranks yet"
    assert p.returncode == 2 and (p.stdout + p.stderr).count(message) == 1, p.stdout + p.stderr


def superposed(err):
    """The summary's count of node updates that took a whole slice's inputs at once."""
    for line in err.splitlines():
        if "(superposition)" in line:
            return int(line.split("delaysim: ")[-1].split()[0])
    return 0


@pytest.mark.parametrize("ranks", [2, 3])
def test_superposition_decided_as_one_process(ranks, tmp_path):
    """Every rank superposes the slices one process does (the decision's counts,
    each rank's own, travel in the spike exchange): the same number of superposed
    node updates, and some (else this test would test nothing)."""
    one = superposed(run(GOLDEN, tmp_path / "r1.h5", 1))
    assert one > 0
    assert superposed(run(GOLDEN, tmp_path / "rn.h5", ranks)) == one


def meetings(err):
    """(meetings, the window they were made in, ms) and the slice width h, from `delaysim run`'s stderr."""
    m = re.search(r"the ranks met (\d+) times \(once per ([0-9.e+-]+) ms\)", err)
    h = re.search(r"in slices of ([0-9.e+-]+) ms", err)
    assert m and h, err
    return int(m.group(1)), float(m.group(2)), float(h.group(1))


@pytest.mark.parametrize("ranks", [2, 3])
def test_window_exchange(ranks, tmp_path):
    """two_ranks_window.toml: A on rank 0 and B on rank 1, joined only by delays >= 2 ms (W = 2 ms, 20
    slices): the ranks meet once per window (400 ms / W, plus one at each 100 ms sample), not once per
    0.1 ms sub-slice, and the file still equals the one-process run's (with a weight rule on a_b)."""
    ref, out = tmp_path / "r1.h5", tmp_path / "rw.h5"
    run(WINDOW, ref, 1)
    err = run(WINDOW, out, ranks)
    assert compare_runs.bit_exact(str(ref), str(out)) == [], f"mpirun -np {ranks}"
    n, window, h = meetings(err)
    assert re.search(r"lookahead window 2(\.\d+)? ms \(projection '(a_b|b_a)'\)", err), err
    assert 1.8 < window <= 2.0 and window / h > 15, err
    assert 400 / window <= n <= 400 / window + 4 + 1, err  # (+ the samples at 100, 200, 300 ms, the end)


def test_window_falls_back_per_sub_slice(tmp_path):
    """The same config with superposition on: each slice's decision needs every rank's input counts, so
    the ranks meet once per sub-slice (a note says why), still bit-identical."""
    ref, out = tmp_path / "r1.h5", tmp_path / "rs.h5"
    sup = ["--set", "simulation.superposition=true"]
    run(WINDOW, ref, 1, sup)
    err = run(WINDOW, out, 2, sup)
    assert compare_runs.bit_exact(str(ref), str(out)) == [], "mpirun -np 2, superposed"
    n, window, h = meetings(err)
    assert window == h and n >= 400 / h - 1, err
    assert "meet once per sub-slice, not once per lookahead window" in err and "superposition is on" in err, err


def test_golden_meets_per_sub_slice(tmp_path):
    """The golden config (one exchange per sub-slice: a delay rule on ee, W = h): as many meetings as sub-slices."""
    err = run(GOLDEN, tmp_path / "g.h5", 2)
    n, window, h = meetings(err)
    assert window == h and 400 / h <= n <= 400 / h + 2, err


def run_bounded(cmd, timeout=90):
    """mpirun that must end by itself: on a hang, SIGTERM to mpirun (which ends its ranks), then fail."""
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.terminate()
        try:
            p.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            p.kill()
            p.communicate()
        pytest.fail(f"hang: the ranks did not end within {timeout} s: {cmd}")
    return p.returncode, out + err


def per_rank(args0, args1, limit0=None):
    """mpirun -np 2 with rank 0's and rank 1's own arguments (MPMD); `limit0`: rank 0's file size
    limit in 512-byte blocks (sh's ulimit -f), the stand-in for a disk that fills on rank 0 only (above
    the size of the shared-memory segment MPI_Init writes: SIGXFSZ is ignored only after it)."""
    first = [BIN, *args0]
    if limit0 is not None:
        first = ["sh", "-c", f'ulimit -f {limit0}; exec "$0" "$@"', *first]
    return [MPIRUN, *MPI_ARGS, "-np", "1", *first, ":", "-np", "1", BIN, *args1]


def test_full_disk_on_rank_zero_stops_all(tmp_path):
    """An error between two meetings on one rank only: rank 0's file reaches its size limit
    (the recorder's space check, in the replay's on_spike / on_synapse_change / on_sample),
    while rank 1 is on its way to the next exchange. Every rank ends with exit 1 (an output
    error, as in one process) within bounded time, the message printed once, the file
    readable with completed = false."""
    import h5py
    out = tmp_path / "full.h5"
    args = ["run", os.path.join(HERE, "plastic_1e5.toml"), "-o", str(out), "--quiet",
            "--set", "simulation.t_stop_ms=100000", "--set", "record.interval_ms=0.1"]
    code, text = run_bounded(per_rank(args, args, limit0=80000))
    assert code == 1, text
    assert text.count("file size limit") == 1 and "completed = false" in text, text
    assert "internal error" not in text and "H5" not in text, text
    with h5py.File(out, "r") as f:
        assert not bool(f.attrs["completed"])
    assert not list(tmp_path.glob("*.tmp"))


def test_bad_input_on_rank_one_only_stops_all(tmp_path):
    """Rank 1 fails before its first meeting (its own arguments: bad input there only) while
    rank 0 runs: rank 0 stops at its first exchange with rank 1's message, closes the file with
    completed = false, and every rank exits with 2 within bounded time."""
    import h5py
    out = tmp_path / "b.h5"
    args = ["run", GOLDEN, "-o", str(out)]
    bad = [*args, "--set", "population.I.params.t_ref_ms=-1"]
    one = subprocess.run([BIN, *bad], capture_output=True, text=True, timeout=60)
    assert one.returncode == 2, one.stderr
    message = one.stderr.strip().splitlines()[-1].split("error: ")[-1]
    code, text = run_bounded(per_rank(args, bad))
    assert code == 2, text
    assert text.count("on MPI rank 1: " + message) == 1, text
    with h5py.File(out, "r") as f:
        assert not bool(f.attrs["completed"])
