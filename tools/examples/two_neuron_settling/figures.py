#!/usr/bin/env -S /usr/bin/python3
"""Figures of README.md in this folder, from delaysim runs (binary: $DELAYSIM, else
build/delaysim):

    tools/examples/two_neuron_settling/figures.py [-o DIR]    # default: this folder

seed_rule.png  the seed's loser_delay_shift, exactly simulated: SG2 -> N1 delay for
               clamp bounds 14, 20 and 60 ms; and the membrane states around the
               first two inhibitions (the winner's head start).
settling.png   loser_delay_align: both delays from the seed's start, the delays of an
               8 x 8 grid of starts, and the lag chain's D from the seed's lag start.
"""
import argparse
import subprocess
import tempfile
from pathlib import Path

import h5py
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import run as example  # noqa: E402  (this folder's run.py)

ROOT = example.ROOT
SEED_CONFIG = ROOT / "configs" / "two_neuron_delay_learning.toml"


def delaysim(config, out, sets=()):
    cmd = [example.binary(), "run", str(config), "-o", str(out), "--quiet"]
    for s in sets:
        cmd += ["--set", s]
    subprocess.run(cmd, check=True)
    return h5py.File(out, "r")


def steps(f, q, d0, t_stop):
    """Delay of projection q's synapse 0 as a step function (t, d)."""
    ev = f[f"plasticity/{q}/events"]
    t = np.concatenate([[1e-3], ev["time"][:], [t_stop]])  # starts after 0: log time axes
    d = np.concatenate([[d0], ev["new"][:], [ev["new"][-1] if len(ev["new"]) else d0]])
    return t, d


def seed_figure(tmp, out):
    fig, ax = plt.subplots(1, 2, figsize=(10, 3.6), dpi=90)
    for bound, style in ((14, "-"), (20, "--"), (60, ":")):
        sets = [f"projection.sg2_n1.delay_max_ms={bound}", f"projection.sg2_n2.delay_max_ms={bound}"]
        with delaysim(SEED_CONFIG, Path(tmp) / f"seed_{bound}.h5", sets) as f:
            t, d = steps(f, "sg2_n1", 0.0, 1040.0)
            n1 = len(f["spikes/N1/timestamps"])
            ax[0].step(t, d, where="post", ls=style, label=f"d1, clamp [0, {bound}] ms (N1 fires {n1}x)")
            if bound == 60:
                t2, d2 = steps(f, "sg2_n2", 1.0, 1040.0)
                ax[0].step(t2, d2, where="post", color="k", lw=1, label="d2 (N2 always wins: never moves)")
    for k in range(5):
        ax[0].axhline(1 + 13 * k, color="0.8", lw=0.8, zorder=0)
    ax[0].set(xlabel="time (ms)", ylabel="SG2 delay (ms)", title="seed rule: N1's delay climbs past alignment")
    ax[0].legend(fontsize=7, loc="upper left")
    with delaysim(SEED_CONFIG, Path(tmp) / "seed_traces.h5", ["projection.sg2_n1.delay_max_ms=60"]) as f:
        tt = f["traces/N1/v/time"][:]
        sel = (tt >= 10) & (tt <= 40)
        for p, c in (("N1", "C0"), ("N2", "C3")):
            ax[1].plot(tt[sel], f[f"traces/{p}/v/data"][:, 0][sel], color=c, label=f"v of {p}")
        ax[1].plot(tt[sel], f["traces/N1/vth/data"][:, 0][sel], color="0.5", ls="--", label="threshold (both)")
        for ts in f["spikes/N2/timestamps"][:]:
            if 10 <= ts <= 40:
                ax[1].axvline(ts, color="C3", lw=0.8, ls=":")
    ax[1].annotate("N2 fires, N1 inhibited:\nd1 0 -> 1 ms (aligned)", (17.3, 7.5), (19.5, 7.6), fontsize=7,
                   arrowprops=dict(arrowstyle="->", lw=0.6))
    ax[1].annotate("N1 missed the coincidence at 18 ms\n(its SG2 spike of 17 ms used the old delay 0)",
                   (19, 0.5), (21, 1.5), fontsize=7, arrowprops=dict(arrowstyle="->", lw=0.6))
    ax[1].annotate("N2 wins on its head start: d1 -> 2 ms", (35.1, 5.4), (22, 6.3), fontsize=7,
                   arrowprops=dict(arrowstyle="->", lw=0.6))
    ax[1].set(xlabel="time (ms)", ylabel="state", title="the winner's head start (clamp 60 ms)")
    ax[1].legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    fig.savefig(out)
    plt.close(fig)


def settling_figure(tmp, out):
    fig, ax = plt.subplots(1, 3, figsize=(13, 3.6), dpi=90)
    with delaysim(example.CONFIG, Path(tmp) / "settle_seed.h5") as f:
        for q, d0, c in (("sg2_n1", 0.0, "C0"), ("sg2_n2", 1.0, "C3")):
            t, d = steps(f, q, d0, 300.0)
            ax[0].step(t, d, where="post", color=c, marker=".", ms=4, label=q)
    ax[0].set(xlim=(0, 300), xlabel="time (ms)", ylabel="SG2 delay (ms)",
              title="loser_delay_align from the seed's start")
    ax[0].axhline(1.0, color="0.8", lw=0.8, zorder=0)
    ax[0].legend(fontsize=7)
    starts = example.grid(8, 0)
    for k, (d1, d2) in enumerate(starts):
        with delaysim(example.CONFIG, Path(tmp) / f"g{k}.h5",
                      [f"projection.sg2_n1.delay_ms={d1!r}", f"projection.sg2_n2.delay_ms={d2!r}",
                       "record.interval_ms=0"]) as f:
            for q, d0, c in (("sg2_n1", d1, "C0"), ("sg2_n2", d2, "C3")):
                t, d = steps(f, q, d0, 5200.0)
                ax[1].step(t, d, where="post", color=c, lw=0.5, alpha=0.5)
    for k in range(2):
        ax[1].axhline(1 + 13 * k, color="k", lw=0.6, ls=":")
    ax[1].set(xscale="log", xlim=(1, 5200), xlabel="time (ms, log)", ylabel="SG2 delay (ms)",
              title=f"{len(starts)} grid starts (d1 blue, d2 red): all end at 1 or 14 ms")
    with delaysim(example.LAG_CONFIG, Path(tmp) / "lag.h5") as f:
        for q, d0, c in (("sg2_n1", 2.0, "C0"), ("sg2_n2", 4.0, "C3")):
            t, d = steps(f, q, d0, 3000.0)
            ax[2].step(t, d, where="post", color=c, marker=".", ms=4, label=f"D of {q}")
    ax[2].axhline(1.0, color="0.8", lw=0.8, zorder=0)
    ax[2].set(xlim=(0, 1200), xlabel="time (ms)", ylabel="lag chain mean delay D (ms)",
              title="through the lag chain (D wraps in [0.5, 13.5))")
    ax[2].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out)
    plt.close(fig)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-o", "--outdir", type=Path, default=Path(__file__).resolve().parent)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="two_neuron_settling_fig_") as tmp:
        seed_figure(tmp, a.outdir / "seed_rule.png")
        settling_figure(tmp, a.outdir / "settling.png")


if __name__ == "__main__":
    main()
