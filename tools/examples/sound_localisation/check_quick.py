#!/usr/bin/python3
"""CTest example_sound_localisation: run.py --quick must localise well enough.

The thresholds sit below what the quick run reaches with seeds 0-3 (MAE 3.5-4.2
deg, accuracy 0.375-0.42; README, "Numbers") and the full run (2.7-3.1 deg,
0.47-0.51): held-out mean absolute error <= 6 deg and exact-class accuracy >=
0.25 (chance: 1/36 = 0.028 and an MAE of ~60 deg; the untrained network with the
same readout: 10.3 deg, 0.16). Any extra arguments
go to run.py (e.g. --seed 3).
"""
import json
import subprocess
import sys
from pathlib import Path

MAX_MAE_DEG = 6.0
MIN_ACCURACY = 0.25

out = subprocess.run([sys.executable, str(Path(__file__).with_name("run.py")), "--quick", *sys.argv[1:]],
                     capture_output=True, text=True)
sys.stderr.write(out.stderr)
if out.returncode != 0:
    sys.exit(f"run.py failed with exit code {out.returncode}")
result = json.loads(out.stdout.strip().splitlines()[-1])
print(json.dumps(result))
ok = result["mae_deg"] <= MAX_MAE_DEG and result["accuracy"] >= MIN_ACCURACY
print(f"mae_deg {result['mae_deg']:.2f} (<= {MAX_MAE_DEG}), accuracy {result['accuracy']:.3f} (>= {MIN_ACCURACY}):",
      "ok" if ok else "FAILED")
sys.exit(0 if ok else 1)
