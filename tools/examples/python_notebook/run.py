#!/usr/bin/python3
"""Execute seed_concept.ipynb headless (nbconvert) and print its metrics as the
last line (one JSON object). The notebook is small: --quick runs the same.

    /usr/bin/python3 tools/examples/python_notebook/run.py [--quick] [--seed S] [--figure PNG]

The package comes from PYTHONPATH when set, else build/python. --seed is
accepted for the worked-example interface; the network has no random parts.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--figure", help="also write the figure to this PNG")
    args = ap.parse_args()
    env = dict(os.environ)
    env.setdefault("PYTHONPATH", os.path.join(ROOT, "build", "python"))
    env.setdefault("DELAYSIM_SOURCE_DIR", ROOT)
    with tempfile.TemporaryDirectory(prefix="delaysim_nb_") as tmp:
        env["DELAYSIM_NOTEBOOK_METRICS"] = os.path.join(tmp, "metrics.json")
        env.setdefault("MPLCONFIGDIR", tmp)
        if args.figure:
            env["DELAYSIM_NOTEBOOK_FIGURE"] = os.path.abspath(args.figure)
        subprocess.run([sys.executable, "-m", "nbconvert", "--to", "notebook", "--execute",
                        "--ExecutePreprocessor.timeout=600", "--output-dir", tmp,
                        os.path.join(HERE, "seed_concept.ipynb")], env=env, check=True)
        with open(env["DELAYSIM_NOTEBOOK_METRICS"]) as f:
            metrics = json.load(f)
    print(json.dumps(metrics))


if __name__ == "__main__":
    main()
