"""Tests of tools/compare_runs.py on synthetic delaysim-layout files made with h5py.

Run: /usr/bin/python3 -m pytest tests/tools/test_compare_runs.py
"""
import json
import os
import subprocess
import sys

import h5py
import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TOOL = os.path.join(ROOT, "tools", "compare_runs.py")
sys.path.insert(0, os.path.join(ROOT, "tools"))
import compare_runs  # noqa: E402

N1 = np.array([10.0, 33.5, 57.25, 80.0, 101.125])
N2_IDS = np.array([0, 1, 0, 2, 1], dtype=np.uint64)
N2_T = np.array([5.0, 7.0, 15.0, 20.0, 30.0])


def write_run(path, spikes, traces=None, completed=True, t_stop=120.0):
    """spikes: {pop: (node_ids, times)}; traces: {(pop, var): (time, node_ids, data)}."""
    with h5py.File(path, "w") as f:
        f.attrs["delaysim_version"] = "test"
        f.attrs["completed"] = np.bool_(completed)
        f.attrs["t_stop_ms"] = t_stop
        f.attrs["seed"] = np.uint64(0)
        f.attrs["config_toml"] = ""
        g = f.create_group("spikes")
        for pop, (ids, t) in spikes.items():
            t = np.asarray(t, dtype=float)
            ids = np.asarray(ids, dtype=np.uint64)
            o = np.argsort(t, kind="stable")
            gp = g.create_group(pop)
            gp.attrs["sorting"] = "by_time"
            gp.create_dataset("timestamps", data=t[o]).attrs["units"] = "ms"
            gp.create_dataset("node_ids", data=ids[o])
        for (pop, var), (t, ids, data) in (traces or {}).items():
            gv = f.require_group(f"traces/{pop}/{var}")
            gv.create_dataset("time", data=np.asarray(t, dtype=float))
            gv.create_dataset("node_ids", data=np.asarray(ids, dtype=np.uint64))
            gv.create_dataset("data", data=np.asarray(data, dtype=float))
    return str(path)


def base_traces(offset=0.0, times=None):
    t = np.arange(0, 100) * 0.1 if times is None else times
    data = np.stack([np.sin(t), np.cos(t)], axis=1) + offset
    return {("N1", "v"): (t, [0, 1], data)}


def run_tool(*args):
    p = subprocess.run([sys.executable, TOOL, *map(str, args)], capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


def spikes(n1=N1, n2=(N2_IDS, N2_T)):
    return {"N1": (np.zeros(len(n1), dtype=np.uint64), n1), "N2": n2}


def test_identical_files_pass(tmp_path):
    a = write_run(tmp_path / "a.h5", spikes(), base_traces())
    b = write_run(tmp_path / "b.h5", spikes(), base_traces())
    rc, out, err = run_tool(a, b, "--max-dt", 0, "--max-early", 0, "--max-count-diff", 0, "--max-trace-diff", 0)
    assert rc == 0, out + err
    assert "OK" in out
    rc, out, _ = run_tool(a, b, "--json", "--max-dt", 0)
    r = json.loads(out)
    assert r["ok"] and r["violations"] == []
    for pop, n in (("N1", 5), ("N2", 5)):
        p = r["populations"][pop]
        assert p["count_a"] == p["count_b"] == p["matched"] == n
        assert p["unmatched_a"] == p["unmatched_b"] == 0
        assert p["max_abs_dt"] == 0.0 and p["mean_abs_dt"] == 0.0
    assert r["traces"]["N1/v"]["max_abs_diff"] == 0.0
    assert r["traces"]["N1/v"]["common_samples"] == 100


def test_shifted_spike_fails_beyond_tolerance(tmp_path):
    shifted = N1.copy()
    shifted[2] += 0.3  # B later by 0.3 ms
    a = write_run(tmp_path / "a.h5", spikes())
    b = write_run(tmp_path / "b.h5", spikes(n1=shifted))
    rc, out, _ = run_tool(a, b, "--max-dt", 0.2)
    assert rc == 1
    assert "FAIL" in out and "N1" in out
    rc, out, _ = run_tool(a, b, "--max-dt", 0.5)
    assert rc == 0, out
    r = json.loads(run_tool(a, b, "--json")[1])["populations"]["N1"]
    assert r["max_abs_dt"] == pytest.approx(0.3)
    assert r["mean_abs_dt"] == pytest.approx(0.3 / 5)
    assert r["max_early"] == pytest.approx(0.0)  # B never earlier


def test_early_spike_checked_by_max_early(tmp_path):
    early = N1.copy()
    early[1] -= 0.01  # B earlier by 0.01 ms
    a = write_run(tmp_path / "a.h5", spikes())
    b = write_run(tmp_path / "b.h5", spikes(n1=early))
    rc, out, _ = run_tool(a, b, "--max-early", 1e-6, "--max-dt", 0.2)
    assert rc == 1 and "earlier" in out
    r = json.loads(run_tool(a, b, "--json")[1])["populations"]["N1"]
    assert r["max_early"] == pytest.approx(0.01)
    # a late spike alone passes --max-early
    late = N1.copy()
    late[1] += 0.01
    b2 = write_run(tmp_path / "b2.h5", spikes(n1=late))
    rc, out, _ = run_tool(a, b2, "--max-early", 1e-6, "--max-dt", 0.2)
    assert rc == 0, out


def test_missing_spikes_reported_unmatched(tmp_path):
    fewer = np.delete(N1, 2)  # B misses the spike at 57.25
    a = write_run(tmp_path / "a.h5", spikes())
    b = write_run(tmp_path / "b.h5", spikes(n1=fewer + 0.05))
    rc, out, _ = run_tool(a, b, "--json")
    assert rc == 0  # no tolerance given
    r = json.loads(out)["populations"]["N1"]
    assert r["count_diff"] == -1
    assert r["matched"] == 4 and r["unmatched_a"] == 1 and r["unmatched_b"] == 0
    assert r["max_abs_dt"] == pytest.approx(0.05)  # the others are paired with their own spikes
    assert r["unmatched_examples"] == [["A", 0, 57.25]]
    rc, out, _ = run_tool(a, b)
    assert "unmatched: N1 node 0: spike of A at 57.25 ms" in out
    rc, _, _ = run_tool(a, b, "--max-count-diff", 0)
    assert rc == 1
    rc, _, _ = run_tool(a, b, "--max-count-diff", 1)
    assert rc == 0
    # --max-dt implies no unmatched spikes beyond the allowed count difference
    rc, out, _ = run_tool(a, b, "--max-dt", 0.1)
    assert rc == 1 and "unmatched" in out
    rc, out, _ = run_tool(a, b, "--max-dt", 0.1, "--max-count-diff", 1)
    assert rc == 0, out


def test_spike_moved_beyond_window_is_not_hidden(tmp_path):
    moved = N1.copy()
    moved[3] += 15.0  # beyond the 10 ms match window: two unmatched spikes, equal counts
    a = write_run(tmp_path / "a.h5", spikes())
    b = write_run(tmp_path / "b.h5", spikes(n1=moved))
    r = json.loads(run_tool(a, b, "--json")[1])["populations"]["N1"]
    assert r["count_diff"] == 0 and r["unmatched_a"] == 1 and r["unmatched_b"] == 1
    rc, _, _ = run_tool(a, b, "--max-dt", 1.0, "--max-count-diff", 0)
    assert rc == 1
    rc, _, _ = run_tool(a, b, "--max-dt", 20.0, "--match-window", 20.0)
    assert rc == 0


def test_nodes_are_matched_separately(tmp_path):
    # same times, swapped node ids: nothing matches
    a = write_run(tmp_path / "a.h5", spikes())
    swapped = np.where(N2_IDS == 0, 1, np.where(N2_IDS == 1, 0, N2_IDS)).astype(np.uint64)
    b = write_run(tmp_path / "b.h5", spikes(n2=(swapped, N2_T)))
    r = json.loads(run_tool(a, b, "--json", "--match-window", 1.0)[1])["populations"]["N2"]
    assert r["count_diff"] == 0
    assert r["matched"] == 1  # only node 2's spike
    assert r["unmatched_a"] == 4 and r["unmatched_b"] == 4


def test_optimal_matching_prefers_more_pairs():
    # greedy nearest-first would pair 10.0 with 10.4 and leave 9.7 and 10.8 apart
    ia, ib, a, b = compare_runs.match_train(np.array([9.7, 10.4]), np.array([10.0, 10.8]), 0.5)
    assert list(zip(ia, ib)) == [(0, 0), (1, 1)]
    # an extra spike in B between two of A's: the closer pairs win
    ia, ib, a, b = compare_runs.match_train(np.array([1.0, 2.0, 3.0]), np.array([1.1, 1.6, 2.05, 3.1]), 1.0)
    assert [(a[i], b[j]) for i, j in zip(ia, ib)] == [(1.0, 1.1), (2.0, 2.05), (3.0, 3.1)]


def test_trace_difference(tmp_path):
    a = write_run(tmp_path / "a.h5", spikes(), base_traces())
    b = write_run(tmp_path / "b.h5", spikes(), base_traces(offset=0.25))
    rc, out, _ = run_tool(a, b, "--max-trace-diff", 0.1)
    assert rc == 1 and "trace N1/v" in out
    rc, _, _ = run_tool(a, b, "--max-trace-diff", 0.3)
    assert rc == 0
    # only common sample times are compared (no interpolation): B sampled every 0.2 ms
    # on the same grid, with garbage in between that must not be seen
    t_b = np.arange(0, 50) * 0.2
    tr = base_traces(times=t_b)
    b2 = write_run(tmp_path / "b2.h5", spikes(), tr)
    r = json.loads(run_tool(a, b2, "--json")[1])["traces"]["N1/v"]
    assert r["common_samples"] == 50
    assert r["max_abs_diff"] < 1e-12


def test_bad_input_exits_2(tmp_path):
    a = write_run(tmp_path / "a.h5", spikes())
    rc, _, err = run_tool(a, tmp_path / "missing.h5")
    assert rc == 2 and "missing.h5" in err and "no such file" in err
    junk = tmp_path / "junk.h5"
    junk.write_text("not hdf5")
    rc, _, err = run_tool(a, junk)
    assert rc == 2 and "HDF5" in err
    with h5py.File(tmp_path / "nospikes.h5", "w") as f:
        f.create_group("traces")
    rc, _, err = run_tool(a, tmp_path / "nospikes.h5")
    assert rc == 2 and "/spikes" in err
    with h5py.File(tmp_path / "broken.h5", "w") as f:
        f.create_dataset("spikes/N1/timestamps", data=[1.0, 2.0])  # node_ids missing
    rc, _, err = run_tool(a, tmp_path / "broken.h5")
    assert rc == 2 and "node_ids" in err
    with h5py.File(tmp_path / "badtrace.h5", "w") as f:
        f.create_dataset("spikes/N1/timestamps", data=[1.0])
        f.create_dataset("spikes/N1/node_ids", data=np.array([0], dtype=np.uint64))
        f.create_dataset("traces/N1/v/time", data=[0.0, 0.1])
        f.create_dataset("traces/N1/v/node_ids", data=np.array([0], dtype=np.uint64))
        f.create_dataset("traces/N1/v/data", data=np.zeros((3, 1)))
    rc, _, err = run_tool(a, tmp_path / "badtrace.h5")
    assert rc == 2 and "shape" in err
    rc, _, err = run_tool(a, a, "--populations", "NOPE")
    assert rc == 2 and "NOPE" in err
    other = write_run(tmp_path / "other.h5", {"X": ([0], [1.0])})
    rc, _, err = run_tool(a, other)
    assert rc == 2 and "both" in err
    rc, _, _ = run_tool(a)  # missing argument
    assert rc == 2


def test_incomplete_run_warns(tmp_path):
    a = write_run(tmp_path / "a.h5", spikes())
    b = write_run(tmp_path / "b.h5", spikes(), completed=False)
    rc, out, _ = run_tool(a, b)
    assert rc == 0 and "completed=false" in out
