#!/usr/bin/env -S /usr/bin/python3
"""Grid of starts for the settling two-neuron rule (README.md in this folder).

    tools/examples/two_neuron_settling/run.py [--quick] [--seed S] [--seed-rule]

Runs configs/two_neuron_delay_learning_settling.toml once per start (d1, d2) on an
n x n grid over [0, 13) x [0, 13) ms, d = (i + u) * 13 / n with one offset u per axis
drawn from the seed (S = 0 by default); the start is passed with
--set projection.sg2_n1.delay_ms=d1 --set projection.sg2_n2.delay_ms=d2.
A start has settled if both final delays are within 0.1 ms of an aligned value
(1 ms + k x 13 ms: SG1's delay plus whole pattern periods), neither changes in the
last QUIET_MS of the run, and the neurons still fire (>= 10 spikes) in that time, so
that the rule is still being asked. The last line of standard output is one JSON
object: settled_fraction, settle_time_ms (MEDIAN over settled starts of the time of
the last delay change), settle_time_max_ms, grid size, wall time, and with
--seed-rule the same fraction for the seed's loser_delay_shift on the same grid
(bounds [0, 60] ms, same run length). --lag runs the same through the lag chain
(configs/two_neuron_lag_learning_settling.toml: D wraps into [0.5, 13.5), starts
in [0.5, 13.5)).

--quick: a 5 x 5 grid (25 starts; a few seconds). Binary: $DELAYSIM, else
build/delaysim of the repository. Output files go to a temporary directory.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import h5py
import numpy as np

ROOT = Path(__file__).resolve().parents[3]
CONFIG = ROOT / "configs" / "two_neuron_delay_learning_settling.toml"
LAG_CONFIG = ROOT / "configs" / "two_neuron_lag_learning_settling.toml"  # D wraps into [0.5, 13.5)
PERIOD_MS = 13.0  # pattern period
ALIGNED_MS = 1.0  # SG1's delay: P is aligned at 1 + k x 13 ms
TOLERANCE_MS = 0.1
QUIET_MS = 1000.0
SEED_RULE = [  # the seed's rule on the same network, bounds and run length
    "plasticity.loser_delay_align.rule=loser_delay_shift",
    "plasticity.loser_delay_shift.projections=[\"sg2_n1\", \"sg2_n2\"]",
    "plasticity.loser_delay_shift.params={ step_ms = 1.0 }",
]


def binary():
    return os.environ.get("DELAYSIM") or str(ROOT / "build" / "delaysim")


def aligned_distance(d):
    """Distance (ms) from d to the nearest 1 + k x 13 ms."""
    return np.abs((np.asarray(d) - ALIGNED_MS + PERIOD_MS / 2) % PERIOD_MS - PERIOD_MS / 2)


def run_one(d1, d2, out, extra=(), config=CONFIG):
    """Runs one start; returns the HDF5 path."""
    cmd = [binary(), "run", str(config), "-o", str(out), "--quiet",
           "--set", f"projection.sg2_n1.delay_ms={d1!r}", "--set", f"projection.sg2_n2.delay_ms={d2!r}",
           "--set", "record.interval_ms=0"]
    for s in extra:
        cmd += ["--set", s]
    subprocess.run(cmd, check=True)
    return out


def summarise(path, d1, d2):
    """Final delays, time of the last change, settled or not, for one run's file."""
    with h5py.File(path, "r") as f:
        t_stop = float(f.attrs["t_stop_ms"])
        final, last = [], 0.0
        for q, d0 in (("sg2_n1", d1), ("sg2_n2", d2)):
            ev = f[f"plasticity/{q}/events"]
            times, new = ev["time"][:], ev["new"][:]
            final.append(float(new[-1]) if len(new) else float(d0))
            if len(times):
                last = max(last, float(times[-1]))
        late_spikes = sum(int(np.sum(f[f"spikes/{p}/timestamps"][:] >= t_stop - QUIET_MS)) for p in ("N1", "N2"))
    dist = aligned_distance(final)
    settled = bool(np.all(dist <= TOLERANCE_MS) and last <= t_stop - QUIET_MS and late_spikes >= 10)
    return {"d0": [d1, d2], "final": final, "distance": dist.tolist(), "last_change_ms": last,
            "late_spikes": late_spikes, "settled": settled}


def grid(n, seed, low=0.0):
    u = np.random.default_rng(seed).uniform(0.0, 1.0, size=2)
    axis = lambda k: [low + (i + u[k]) * PERIOD_MS / n for i in range(n)]
    return [(a, b) for a in axis(0) for b in axis(1)]


def run_grid(starts, tmp, extra=(), config=CONFIG):
    rows = []
    for k, (d1, d2) in enumerate(starts):
        rows.append(summarise(run_one(d1, d2, Path(tmp) / f"start_{k}.h5", extra, config), d1, d2))
    return rows


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="5 x 5 grid")
    ap.add_argument("--seed", type=int, default=0, help="seed of the grid offsets (default 0)")
    ap.add_argument("--n", type=int, default=None, help="grid points per axis (default 16, --quick 5)")
    ap.add_argument("--seed-rule", action="store_true", help="also run the seed's rule on the same grid")
    ap.add_argument("--lag", action="store_true",
                    help="through the lag chain (two_neuron_lag_learning_settling.toml; starts in [0.5, 13.5))")
    ap.add_argument("--rows", type=Path, default=None, help="write every start's result to this JSON file")
    a = ap.parse_args(argv)
    n = a.n or (5 if a.quick else 16)
    starts = grid(n, a.seed, 0.5 if a.lag else 0.0)
    config = LAG_CONFIG if a.lag else CONFIG
    t0 = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="two_neuron_settling_") as tmp:
        rows = run_grid(starts, tmp, config=config)
        wall = time.monotonic() - t0
        seed_rows = run_grid(starts, tmp, SEED_RULE, config) if a.seed_rule else None
    settled = [r for r in rows if r["settled"]]
    times = [r["last_change_ms"] for r in settled]
    for r in rows:
        if not r["settled"]:
            print(f"not settled: start {r['d0']} -> {r['final']} (last change {r['last_change_ms']:.1f} ms)")
    result = {
        "settled_fraction": len(settled) / len(rows),
        "settle_time_ms": float(np.median(times)) if times else None,
        "settle_time_max_ms": float(np.max(times)) if times else None,
        "max_final_distance_ms": float(max(max(r["distance"]) for r in rows)),
        "grid_starts": len(rows),
        "grid_n": n,
        "seed": a.seed,
        "model": "coincidence_lag" if a.lag else "coincidence",
        "wall_time_s": round(wall, 2),
    }
    if seed_rows is not None:
        result["seed_rule_settled_fraction"] = sum(r["settled"] for r in seed_rows) / len(seed_rows)
        result["seed_rule_max_final_distance_ms"] = float(max(max(r["distance"]) for r in seed_rows))
    if a.rows:
        a.rows.write_text(json.dumps({"rule": rows, "seed_rule": seed_rows}, indent=1))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
