#!/usr/bin/python3
"""The seed's toy delay-alignment task, learned with a local delay rule in delaysim.

20 classes; each presentation carries one 20 ms binary pattern (p = 0.3 per 1 ms bin,
the same for every class, as in the seed) on a reference line R and, shifted by the
class's offsets r_A, r_B (whole ms in [0, 20)), on two lines A and B. Each class has
a detector whose A and B delays are learned by `delay_mean_shift` so that A and B
arrive together with R; then the learned delays are frozen and fresh noisy
presentations are classified by which detector fires most. README.md has the
details. The last line of standard output is one JSON object with the metrics.

    run.py [--quick] [--seed S] [--p-drop P] [--jitter-ms J] [--workdir DIR] [--figure PNG]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import h5py
import numpy as np

ROOT = Path(__file__).resolve().parent.parent.parent.parent  # tools/examples/<name>/run.py

# Task (the seed's values).
N_CLASSES = 20
PATTERN_BINS = 20  # ms, one bin per ms
P_ONE = 0.3
MAX_SHIFT = 20  # shifts are whole ms in [0, MAX_SHIFT)
# Noise of every presentation, training and test: each spike is dropped with
# probability --p-drop and the others are jittered by a Gaussian of --jitter-ms.
NOISE = {"p_drop": 0.05, "jitter_ms": 0.1}
# Timing: one presentation per PERIOD_MS; its spikes are emitted in
# [t0, t0 + 40 ms) and arrive before t0 + 80 ms, so each presentation is over
# (rule pairs complete, detectors back at rest) before the next one starts.
PERIOD_MS = 120.0
T_OFFSET_MS = 5.0  # keeps jittered times >= 0
D_REF_MS = 20.0  # fixed delay of R; aligning delays D_REF - r lie in (0, 20]
DELAY_MAX_MS = 40.0
# Learning: coarse to fine (the seed proposes decaying its TAU likewise). sigma 8 ms
# makes the smoothed correlation single-peaked (global search); 3 ms stops the kicks
# that a dropped spike gives the wide kernel's mean (in a burst that lost a spike,
# pairs a pattern interval apart pull the delay off); 1 ms makes the peak sharp; the
# small final eta averages the burst-to-burst noise of dropped and jittered spikes.
PHASES = [  # name, sigma_ms, window_ms, eta
    ("coarse", 8.0, 24.0, 0.5),
    ("middle", 3.0, 9.0, 0.5),
    ("fine", 1.0, 3.0, 0.5),
    ("polish", 1.0, 3.0, 0.1),
]
GAP_MS = 70.0  # >= DELAY_MAX_MS + the widest window: a burst's pairs are complete
# Detector: a fast lif_exp that fires only when R, A and B coincide: three
# coincident PSPs peak at COINCIDENCE x threshold distance, two at 2/3 of that.
TAU_M_MS, TAU_SYN_MS, C_M_PF, THETA_MV = 0.5, 0.1, 250.0, 15.0
COINCIDENCE = 1.3


def make_task(seed):
    rng = np.random.default_rng(seed)
    pattern = np.zeros(0)
    while pattern.size == 0:  # a pattern without spikes carries no task
        pattern = np.flatnonzero(rng.random(PATTERN_BINS) < P_ONE).astype(float)
    # Distinct (r_A, r_B) per class: two classes with both shifts equal could not be
    # told apart by any detector (the seed draws them independently).
    pairs = rng.choice(MAX_SHIFT * MAX_SHIFT, size=N_CLASSES, replace=False)
    shifts = np.stack([pairs // MAX_SHIFT, pairs % MAX_SHIFT], axis=1).astype(float)
    return rng, pattern, shifts


def noisy(rng, times):
    kept = times[rng.random(times.size) >= NOISE["p_drop"]]
    return kept + rng.normal(0.0, NOISE["jitter_ms"], kept.size)


def schedule(rng, per_class):
    """Class of each presentation: per_class rounds, each a random order of all classes."""
    return np.concatenate([rng.permutation(N_CLASSES) for _ in range(per_class)])


def stimuli(rng, pattern, shifts, classes, per_class_lines):
    """Spike times and node ids of R, A, B for the presentations `classes`.

    per_class_lines: node c of each source carries class c (training); otherwise
    one node per source carries every presentation (test)."""
    out = {name: ([], []) for name in "RAB"}
    for i, c in enumerate(classes):
        t0 = T_OFFSET_MS + i * PERIOD_MS
        node = c if per_class_lines else 0
        for name, shift in (("R", 0.0), ("A", shifts[c, 0]), ("B", shifts[c, 1])):
            t = t0 + shift + noisy(rng, pattern)
            out[name][0].extend(t)
            out[name][1].extend([node] * t.size)
    return out


def toml_list(xs, fmt="{:.17g}"):
    return "[" + ", ".join(fmt.format(x) for x in xs) + "]"


def source(name, size, times, ids):
    order = np.argsort(times, kind="stable")
    t = np.asarray(times)[order]
    n = np.asarray(ids)[order]
    return (f'[[population]]\nname = "{name}"\nmodel = "explicit_source"\nsize = {size}\n'
            f"params = {{ times_ms = {toml_list(t)}, node_ids = {toml_list(n, '{:d}')} }}\n\n")


def detector_weight():
    """Weight (pA) at which COINCIDENCE/3 of the threshold distance is one PSP's peak."""
    a, b = 1.0 / TAU_M_MS, 1.0 / TAU_SYN_MS
    t_peak = np.log(b / a) / (b - a)
    psp_per_pA = (np.exp(-a * t_peak) - np.exp(-b * t_peak)) / (C_M_PF * (b - a))  # mV per pA
    return COINCIDENCE * THETA_MV / 3.0 / psp_per_pA


DETECTOR = (f'[[population]]\nname = "det"\nmodel = "lif_exp"\nsize = {N_CLASSES}\n'
            f"params = {{ tau_m_ms = {TAU_M_MS}, tau_syn_ex_ms = {TAU_SYN_MS}, C_m_pF = {C_M_PF}, "
            f"E_L_mV = -65.0, V_th_mV = {-65.0 + THETA_MV}, V_reset_mV = -65.0, t_ref_ms = 0.5 }}\n\n")


def training_model(stim, t_stop, d_a, d_b, phase):
    _, sigma, window, eta = phase
    w = detector_weight()
    text = f"[simulation]\nt_stop_ms = {t_stop}\n\n[record]\ninterval_ms = 0\nspikes = []\n\n"
    for name in "RAB":
        text += source(name, N_CLASSES, *stim[name])
    text += DETECTOR
    pairs = toml_list([[c, c] for c in range(N_CLASSES)], "{}")
    text += (f'[[projection]]\nname = "ref"\nsource = "R"\ntarget = "det"\nport = "ex"\n'
             f"connect = \"pairs\"\npairs = {pairs}\nweight = {w}\ndelay_ms = {D_REF_MS}\n\n")
    for name, d in (("A", d_a), ("B", d_b)):
        text += (f'[[projection]]\nname = "{name.lower()}"\nsource = "{name}"\ntarget = "det"\nport = "ex"\n'
                 f"connect = \"pairs\"\npairs = {pairs}\nweight = {w}\ndelay_ms = {toml_list(d)}\n"
                 f'delay_min_ms = 0.0\ndelay_max_ms = {DELAY_MAX_MS}\nbounds = "clamp"\ninflight = "retime"\n\n')
    text += (f'[[plasticity]]\nrule = "delay_mean_shift"\nprojections = ["ref", "a", "b"]\n'
             f"params = {{ eta = {eta}, sigma_ms = {sigma}, window_ms = {window}, gap_ms = {GAP_MS} }}\n")
    return text


def test_model(stim, t_stop, d_a, d_b):
    # all_to_all from one node: synapse c goes to detector c (generation order).
    w = detector_weight()
    text = f"[simulation]\nt_stop_ms = {t_stop}\n\n[record]\ninterval_ms = 0\nspikes = [\"det\"]\n\n"
    for name in "RAB":
        text += source(name, 1, *stim[name])
    text += DETECTOR
    for name, d in (("R", [D_REF_MS] * N_CLASSES), ("A", d_a), ("B", d_b)):
        text += (f'[[projection]]\nname = "{name.lower()}"\nsource = "{name}"\ntarget = "det"\nport = "ex"\n'
                 f"weight = {w}\ndelay_ms = {toml_list(d)}\ndelay_max_ms = {DELAY_MAX_MS}\n\n")
    return text


def delaysim(model_path, out_path):
    binary = os.environ.get("DELAYSIM") or str(ROOT / "build" / "delaysim")
    subprocess.run([binary, "run", str(model_path), "-o", str(out_path), "--quiet"], check=True,
                   stdout=subprocess.DEVNULL)


def learned_delays(h5, projection, initial):
    """Final delay per class and the (time, class, delay) history, from /plasticity events."""
    # The store is sorted by source node (configs/README.md), so with the pairs
    # (c, c) synapse c belongs to class c.
    tgt = np.arange(N_CLASSES)
    d = np.asarray(initial, dtype=float).copy()
    hist = []
    g = h5.get(f"plasticity/{projection}/events")
    if g is not None:
        for t, s, new in zip(g["time"][:], g["synapse_id"][:], g["new"][:]):
            d[tgt[s]] = new
            hist.append((t, tgt[s], new))
    return d, hist


def classify(h5, n_presentations):
    """Per presentation the detector with most spikes (ties: the earliest first spike); -1 if none."""
    sp = h5.get("spikes/det")
    times = sp["timestamps"][:] if sp is not None else np.zeros(0)
    nodes = sp["node_ids"][:] if sp is not None else np.zeros(0, dtype=int)
    win = np.floor((times - T_OFFSET_MS) / PERIOD_MS).astype(int)
    out = np.full(n_presentations, -1)
    for i in range(n_presentations):
        sel = win == i
        if not sel.any():
            continue
        counts = np.bincount(nodes[sel].astype(int), minlength=N_CLASSES)
        best = np.flatnonzero(counts == counts.max())
        first = [times[sel][nodes[sel] == b].min() for b in best]
        out[i] = best[int(np.argmin(first))]
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="fewer presentations (for the test suite)")
    ap.add_argument("--seed", type=int, default=0, help="task seed (pattern, shifts, noise, initial delays)")
    ap.add_argument("--workdir", help="keep model and HDF5 files here (default: a temporary directory)")
    ap.add_argument("--figure", help="write the figure (PNG) here")
    ap.add_argument("--p-drop", type=float, default=NOISE["p_drop"], help="probability that a spike is dropped")
    ap.add_argument("--jitter-ms", type=float, default=NOISE["jitter_ms"], help="s.d. of the spike-time jitter (ms)")
    args = ap.parse_args()
    NOISE.update(p_drop=args.p_drop, jitter_ms=args.jitter_ms)
    per_class = [20, 6, 6, 10] if args.quick else [20, 6, 6, 20]  # presentations per class per phase
    n_test = 5 if args.quick else 25  # test presentations per class

    rng, pattern, shifts = make_task(args.seed)
    # Initial delays uniform over the range of the answers (the seed draws them likewise).
    d = {"a": rng.uniform(0.0, MAX_SHIFT, N_CLASSES), "b": rng.uniform(0.0, MAX_SHIFT, N_CLASSES)}
    d0 = {k: v.copy() for k, v in d.items()}
    tmp = None if args.workdir else tempfile.TemporaryDirectory()
    work = Path(args.workdir or tmp.name)
    work.mkdir(parents=True, exist_ok=True)

    history = []  # (presentation index, class, line, delay)
    done = 0
    for phase, n in zip(PHASES, per_class):
        classes = schedule(rng, n)
        stim = stimuli(rng, pattern, shifts, classes, per_class_lines=True)
        # One more spike per A/B line after the last presentation applies its shift.
        t_flush = T_OFFSET_MS + classes.size * PERIOD_MS
        for name in "AB":
            stim[name][0].extend([t_flush] * N_CLASSES)
            stim[name][1].extend(range(N_CLASSES))
        model = work / f"train_{phase[0]}.toml"
        model.write_text(training_model(stim, t_flush + 1.0, d["a"], d["b"], phase))
        delaysim(model, work / f"train_{phase[0]}.h5")
        with h5py.File(work / f"train_{phase[0]}.h5", "r") as h5:
            for line in "ab":
                d[line], hist = learned_delays(h5, line, d[line])
                # A change at the first spike of presentation k comes from presentation k-1.
                history += [(done + int((t - T_OFFSET_MS) // PERIOD_MS), c, line, v) for t, c, v in hist]
        done += classes.size

    learned = np.stack([D_REF_MS - d["a"], D_REF_MS - d["b"]], axis=1)
    err = learned - shifts
    aligned = np.all(np.abs(err) <= 0.5, axis=1)

    classes = schedule(rng, n_test)
    stim = stimuli(rng, pattern, shifts, classes, per_class_lines=False)
    model = work / "test.toml"
    model.write_text(test_model(stim, T_OFFSET_MS + classes.size * PERIOD_MS, d["a"], d["b"]))
    delaysim(model, work / "test.h5")
    with h5py.File(work / "test.h5", "r") as h5:
        predicted = classify(h5, classes.size)
    accuracy = float(np.mean(predicted == classes))
    # The same presentations with the exact aligning delays: what this detector and
    # this noise allow at best.
    model = work / "test_true_delays.toml"
    true_d = D_REF_MS - shifts
    model.write_text(test_model(stim, T_OFFSET_MS + classes.size * PERIOD_MS, true_d[:, 0], true_d[:, 1]))
    delaysim(model, work / "test_true_delays.h5")
    with h5py.File(work / "test_true_delays.h5", "r") as h5:
        accuracy_true = float(np.mean(classify(h5, classes.size) == classes))

    if args.figure:
        plot(args.figure, shifts, learned, d0, history, per_class, args.seed)
    result = {
        "aligned_fraction": float(aligned.mean()),
        "accuracy": accuracy,
        "accuracy_true_delays": accuracy_true,
        "presentations": int(done),
        "presentations_per_class": int(sum(per_class)),
        "test_presentations": int(classes.size),
        "no_response_fraction": float(np.mean(predicted < 0)),
        "max_shift_error_ms": float(np.abs(err).max()),
        "mean_abs_shift_error_ms": float(np.abs(err).mean()),
        "pattern_spikes": int(pattern.size),
        "seed": args.seed,
        "quick": args.quick,
        "p_drop": NOISE["p_drop"],
        "jitter_ms": NOISE["jitter_ms"],
        "seed_notebook": {"epochs": 38, "batch": 500, "presentations": 38 * 500, "loss": 0.0},
    }
    if tmp:
        tmp.cleanup()
    print(json.dumps(result))


def plot(path, shifts, learned, d0, history, per_class, seed):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (a1, a2) = plt.subplots(1, 2, figsize=(9, 3.6), dpi=80)
    for k, (line, m) in enumerate((("A", "o"), ("B", "s"))):
        a1.plot(shifts[:, k], learned[:, k], m, mfc="none", label=f"line {line}")
    a1.plot([0, MAX_SHIFT], [0, MAX_SHIFT], "k:", lw=0.8)
    a1.set(xlabel="true shift r (ms)", ylabel="learned shift 20 ms - d (ms)",
           title=f"after {N_CLASSES * sum(per_class)} presentations")
    a1.legend(loc="upper left", fontsize=8)
    for line, col in (("a", "C0"), ("b", "C1")):
        for c in range(N_CLASSES):
            k = 0 if line == "a" else 1
            pts = [(0, D_REF_MS - d0[line][c] - shifts[c, k])]
            pts += [(i, D_REF_MS - v - shifts[c, k]) for i, cc, ll, v in history if cc == c and ll == line]
            x, y = zip(*pts)
            a2.step(x, y, where="post", color=col, lw=0.6, alpha=0.7)
    for edge in np.cumsum(per_class)[:-1] * N_CLASSES:
        a2.axvline(edge, color="k", lw=0.8, ls="--")
    a2.axhspan(-0.5, 0.5, color="0.85", zorder=0)
    a2.set(xlabel="presentation", ylabel="learned - true shift (ms; grey: within 0.5)",
           title=" | ".join(f"{name} ({sigma:g}, {eta:g})" for name, sigma, _, eta in PHASES), ylim=(-20, 20))
    # Linear within +-0.5 ms (the aligned band), logarithmic beyond: both the search
    # and the final precision show.
    a2.set_yscale("symlog", linthresh=0.5)
    a2.set_yticks([-10, -1, 0, 1, 10])
    a2.set_yticklabels(["-10", "-1", "0", "1", "10"])
    a2.title.set_fontsize(9)
    fig.suptitle(f"pattern_alignment, seed {seed}: delay_mean_shift, 20 classes", fontsize=10)
    fig.tight_layout()
    fig.savefig(path)


if __name__ == "__main__":
    sys.exit(main())
