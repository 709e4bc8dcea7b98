"""CTest example_two_neuron_settling: run.py --quick (25 grid starts) must settle.

The full run (16 x 16 starts) settles every start (README.md); the quick grid must
reach 0.95, i.e. at most one of its 25 starts may fail. Binary: $DELAYSIM.
"""
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def run_quick(*args):
    t0 = time.monotonic()
    p = subprocess.run([sys.executable, str(HERE / "run.py"), "--quick", *args], check=True,
                       capture_output=True, text=True, env=os.environ)
    return json.loads(p.stdout.strip().splitlines()[-1]), time.monotonic() - t0


def test_quick_grid_settles():
    result, wall = run_quick()
    assert result["grid_starts"] >= 20
    assert result["settled_fraction"] >= 0.95, result
    assert result["max_final_distance_ms"] <= 0.1
    assert 0.0 < result["settle_time_ms"] <= result["settle_time_max_ms"] <= 4200.0
    assert wall < 60.0, f"--quick took {wall:.1f} s"


def test_other_seed_other_starts():
    a, _ = run_quick("--seed", "11")
    b, _ = run_quick("--seed", "0")
    assert a["seed"] == 11 and a["settled_fraction"] >= 0.95, a
    assert a["settle_time_ms"] != b["settle_time_ms"]  # a different grid really ran
