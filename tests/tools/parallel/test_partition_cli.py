"""[[population]] rank through the CLI, in one process (README "Parallel runs",
"Partitioning"; the partitioner itself: tests/sim/test_partition.cpp).

A placement that a zero-delay projection would split across ranks is refused
before the run by `validate` and `run` alike: exit 2, one `FILE:LINE:COL: error:`
line that names the projection, both populations and their ranks and says what
to set, and no output file. A placement that can be honoured is accepted and, in
one process, changes nothing: the file equals the run without it bit for bit.
(Under mpirun: tests/tools/parallel/test_mpi.py.)
"""
import os
import subprocess
import sys

SRC = os.environ.get("DELAYSIM_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", "..", ".."))
BIN = os.environ.get("DELAYSIM_BINARY", os.path.join(SRC, "build", "delaysim"))
GOLDEN = os.path.join(SRC, "configs", "golden_lif_stdp.toml")
sys.path.insert(0, os.path.join(SRC, "tools"))
import compare_runs  # noqa: E402

SPLIT = ["--set", "population.E.rank=0", "--set", "population.I.rank=1"]


def delaysim(*args):
    return subprocess.run([BIN, *args], capture_output=True, text=True, timeout=120)


def test_zero_delay_between_two_ranks_is_refused(tmp_path):
    # The [[projection]] header of 'ei' (the table the message points at).
    with open(GOLDEN) as f:
        lines = f.read().splitlines()
    ei = next(i for i, s in enumerate(lines) if s.strip() == 'name = "ei"')
    header = max(i for i in range(ei) if lines[i].strip() == "[[projection]]") + 1
    expected = (f"{GOLDEN}:{header}:1: error: projection 'ei' (delay 0 ms) joins population 'E' (rank 0) "
                "and 'I' (rank 1): give it delays > 0 (at least 0.01 ms; the ranks' lookahead window is the "
                "smallest), or place both on one rank")
    zero = ["--set", "projection.ei.delay_ms=0"]
    v = delaysim("validate", GOLDEN, *SPLIT, *zero)
    assert v.returncode == 2, v.stderr
    assert v.stderr.strip().splitlines()[-1] == expected, v.stderr
    out = tmp_path / "refused.h5"
    r = delaysim("run", GOLDEN, "-o", str(out), *SPLIT, *zero)
    assert r.returncode == 2, r.stderr
    assert r.stderr.count(expected) == 1, r.stderr
    assert not out.exists()
    # Both on one rank, or a delay > 0: accepted.
    assert delaysim("validate", GOLDEN, "--set", "population.E.rank=1", "--set", "population.I.rank=1",
                    *zero).returncode == 0
    assert delaysim("validate", GOLDEN, *SPLIT, "--set", "projection.ei.delay_ms=0.01").returncode == 0


def test_rank_out_of_range_is_refused_at_the_key():
    r = delaysim("validate", GOLDEN, "--set", "population.I.rank=70000")
    assert r.returncode == 2, r.stderr
    assert r.stderr.strip() == ("--set population.I.rank=70000:1:19: error: population 'I': "
                                "rank must be at most 65535, got 70000"), r.stderr


def test_placement_in_one_process_changes_nothing(tmp_path):
    ref, placed = tmp_path / "ref.h5", tmp_path / "placed.h5"
    a = delaysim("run", GOLDEN, "-o", str(ref), "--quiet")
    assert a.returncode == 0, a.stderr
    # rank 5 does not exist in one process: accepted there (checked under mpirun only).
    b = delaysim("run", GOLDEN, "-o", str(placed), "--quiet", "--set", "population.E.rank=5")
    assert b.returncode == 0, b.stderr
    differences = compare_runs.bit_exact(str(ref), str(placed))
    assert differences == ["/: attribute config_toml differs"]  # it records the --set; nothing else differs
