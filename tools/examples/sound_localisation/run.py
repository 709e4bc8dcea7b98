#!/usr/bin/python3
"""Sound localisation with local delay learning (README.md in this folder).

    run.py [--quick] [--seed S] [--anf N] [--cotrain] [--figure PNG] [--keep DIR]

1. train: K coincidence detectors get both ears through plastic delays, with
   lateral inhibition; delay_shift_centred (optionally with stdp_weight: --cotrain)
   learns a map of interaural time differences from random initial delays;
2. evaluate: the learned network, frozen, hears calibration trials and then
   held-out test trials; the readout is calibrated on the calibration trials
   (mean spike count of each detector per class) and decodes each test trial
   as the class that makes its spike counts most likely (independent Poisson
   counts); also reported: the class of the detector that fired most.

The last line of standard output is one JSON object: mae_deg, accuracy (the
calibrated decoder on held-out trials), the simpler readout's numbers, the
trial counts and the run's parameters. The binary is $DELAYSIM, else
build/delaysim under the repository root.
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

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import network  # noqa: E402
import readout  # noqa: E402
import stimulus  # noqa: E402

REPO = HERE.parents[2]

# Network and rule parameters (units in the key names; see network.py).
PARAMS = dict(
    detectors=36,  # coincidence detectors K
    tau_ms=10.0,  # membrane time constant of v
    tau_s_ms=0.5,  # input traces s1, s2
    gain=1.0,  # v gains gain/tau * s1 * s2
    th0=25.0,  # threshold (constant: tau_th is set to 1e12 ms)
    w_in=1.0,  # input weight with 100 fibres per ear (x 100/anf otherwise; initial one with --cotrain)
    delay_init_ms=(8.0, 12.0),  # initial delays: uniform, independent per synapse
    delay_max_ms=40.0,
    delay_rule="delay_shift_centred",  # or delay_shift_stdp (whose delays drift to the bounds)
    eta=0.05,
    target_lag_ms=0.0,
    window_ms=3.0,
    stdp_tau_ms=2.0,  # stdp_weight, --cotrain only
    stdp_a_plus=0.01,
    stdp_a_minus=0.012,
    stdp_w_max=2.0,  # in units of w_in
)
TRIAL_PERIOD_MS = 150.0  # 50 ms tone + up to 40 ms delay + decay of every state (tau 10 ms)


def binary():
    return os.environ.get("DELAYSIM") or str(REPO / "build" / "delaysim")


def present(rng, labels, anf):
    """All trials one after another, trial k starting at k * TRIAL_PERIOD_MS."""
    ears = ([], [], [], [])
    for k, c in enumerate(labels):
        (tl, fl), (tr, fr) = stimulus.trial_spikes(rng, stimulus.CLASSES_DEG[c], anf)
        for lst, x in zip(ears, (tl + k * TRIAL_PERIOD_MS, fl, tr + k * TRIAL_PERIOD_MS, fr)):
            lst.append(x)
    cat = [np.concatenate(x) for x in ears]
    return (cat[0], cat[1]), (cat[2], cat[3])


def simulate(workdir, tag, text):
    cfg = Path(workdir) / f"{tag}.toml"
    out = Path(workdir) / f"{tag}.h5"
    cfg.write_text(text)
    if not Path(binary()).is_file():
        sys.exit(f"no delaysim binary at {binary()} (set DELAYSIM or build with tools/setup.sh)")
    r = subprocess.run([binary(), "run", str(cfg), "-o", str(out), "--quiet"], capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"delaysim failed ({r.returncode}) on {cfg}:\n{r.stderr}")
    return out


def synapse_samples(h5, variable, row):
    """Sample `row` (0: initial, -1: final) of each synapse of l_d and r_d, in stored order."""
    with h5py.File(h5, "r") as f:
        out = {}
        for q in ("l_d", "r_d"):
            g = f["synapses"][q]
            values = np.empty(len(g["synapse_ids"]))
            values[g["synapse_ids"][()].astype(np.int64)] = g[variable]["data"][row, :]
            out[q] = values
        return out


def detector_spikes(h5):
    with h5py.File(h5, "r") as f:
        g = f["spikes"]["D"]
        return g["timestamps"][()], g["node_ids"][()].astype(np.int64)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="fewer trials (for the test suite)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--anf", type=int, default=stimulus.ANF_PER_EAR, help="fibres per ear (the seed: 100; 1 = one per ear)")
    ap.add_argument("--cotrain", action="store_true", help="learn input weights (stdp_weight) together with the delays")
    ap.add_argument("--no-learning", action="store_true",
                    help="control: no plasticity in the training run (the readout sees the random initial delays)")
    ap.add_argument("--train", type=int, help="training trials (default 1080, quick 216)")
    ap.add_argument("--calib", type=int, help="calibration trials (default 720, quick 216)")
    ap.add_argument("--test", type=int, help="held-out test trials (default 720, quick 144)")
    ap.add_argument("--figure", help="write the learned delay map and the confusion matrix to this PNG")
    ap.add_argument("--keep", help="keep the model files and outputs in this directory")
    ap.add_argument("--param", action="append", default=[], metavar="KEY=VALUE",
                    help="override a network parameter of PARAMS (e.g. th0=60), repeatable")
    args = ap.parse_args(argv)

    n_train = args.train or (216 if args.quick else 1080)
    n_calib = args.calib or (216 if args.quick else 720)
    n_test = args.test or (144 if args.quick else 720)
    # The same drive per ear whatever the number of fibres: weights scale as 1/anf.
    p = dict(PARAMS, seed=args.seed, w_in=PARAMS["w_in"] * stimulus.ANF_PER_EAR / args.anf)
    for kv in args.param:
        key, _, value = kv.partition("=")
        if key not in PARAMS:
            ap.error(f"--param: unknown key {key!r} (known: {', '.join(PARAMS)})")
        p[key] = value if isinstance(PARAMS[key], str) else tuple(float(x) for x in value.split(",")) if isinstance(PARAMS[key], tuple) else type(PARAMS[key])(value)
    rng = np.random.default_rng(args.seed)
    t0 = time.time()

    work = args.keep or tempfile.mkdtemp(prefix="sound_localisation_")
    os.makedirs(work, exist_ok=True)
    try:
        # 1. training: plastic delays (and weights with --cotrain) from random initial values
        labels_train = stimulus.balanced_classes(rng, n_train)
        left, right = present(rng, labels_train, args.anf)
        t_train = n_train * TRIAL_PERIOD_MS
        h5 = simulate(work, "train", network.config(p, left, right, args.anf, t_train, plastic=not args.no_learning,
                                                    weight_rule=args.cotrain, record_interval_ms=t_train - 1.0))
        initial_delays = synapse_samples(h5, "delay", 0)
        delays, weights = synapse_samples(h5, "delay", -1), synapse_samples(h5, "weight", -1)

        # 2. evaluation: frozen network, calibration trials then held-out test trials
        labels_eval = np.concatenate([stimulus.balanced_classes(rng, n_calib), stimulus.balanced_classes(rng, n_test)])
        left, right = present(rng, labels_eval, args.anf)
        h5 = simulate(work, "eval", network.config(p, left, right, args.anf, len(labels_eval) * TRIAL_PERIOD_MS,
                                                   delays=delays, weights=weights, plastic=False))
        times, nodes = detector_spikes(h5)
    finally:
        if not args.keep:
            for f in Path(work).iterdir():
                f.unlink()
            os.rmdir(work)

    counts = readout.counts_per_trial(times, nodes, len(labels_eval), p["detectors"], TRIAL_PERIOD_MS)
    dec = readout.Decoder(counts[:n_calib], labels_eval[:n_calib], stimulus.N_CLASSES)
    truth = labels_eval[n_calib:]
    ml, most = dec.likelihood(counts[n_calib:]), dec.most_active(counts[n_calib:])
    step = stimulus.ANG_STEP_DEG
    result = dict(
        mae_deg=float(np.mean(np.abs(ml - truth)) * step),
        accuracy=float(np.mean(ml == truth)),
        mae_deg_most_active=float(np.mean(np.abs(most - truth)) * step),
        accuracy_most_active=float(np.mean(most == truth)),
        spikes_per_trial=float(counts[n_calib:].sum(1).mean()),
        params={k: p[k] for k in PARAMS},
        anf_per_ear=args.anf, cotrain=args.cotrain, learning=not args.no_learning, seed=args.seed,
        trials=dict(train=n_train, calib=n_calib, test=n_test),
        seconds=round(time.time() - t0, 1),
    )
    if args.figure:
        import figure

        figure.draw(args.figure, p, initial_delays, delays, dec, ml, truth, result)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
