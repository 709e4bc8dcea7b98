#!/usr/bin/python3
"""CTest example_pattern_alignment: run.py --quick on a few seeds, metrics against thresholds.

The thresholds sit below what the full run reaches on every seed tried (README.md):
aligned_fraction 1.0 and accuracy >= 0.96 at 960 presentations."""
import json
import subprocess
import sys
from pathlib import Path

THRESHOLDS = {"aligned_fraction": 0.9, "accuracy": 0.9}
SEEDS = [0, 7]


def main():
    run = Path(__file__).resolve().parent / "run.py"
    failed = False
    for seed in SEEDS:
        out = subprocess.run([sys.executable, str(run), "--quick", "--seed", str(seed)], check=True,
                             capture_output=True, text=True).stdout
        metrics = json.loads(out.strip().splitlines()[-1])
        print(f"seed {seed}: {json.dumps(metrics)}")
        for key, low in THRESHOLDS.items():
            if not metrics[key] >= low:
                print(f"FAIL seed {seed}: {key} = {metrics[key]} < {low}")
                failed = True
        if not metrics["presentations"] < 38 * 500:
            print(f"FAIL seed {seed}: {metrics['presentations']} presentations, not fewer than the seed's 19000")
            failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
