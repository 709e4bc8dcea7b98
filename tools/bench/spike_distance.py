#!/usr/bin/python3
"""Spike-time distance between two runs of the same network (the accuracy columns
of run.sh --accuracy): REF (delaysim, exact spike times) against OTHER (e.g.
Brian2 at some dt), both written by --spikes-out as float64 (S, 2) arrays of
(neuron index, time in ms). Prints one JSON object.

    spike_distance.py REF.npy OTHER.npy [--window-ms 20 ...] [--match-ms 1]

Matching: for every spike of REF in [0, W) ms, the nearest spike of the same
neuron in OTHER (any time, so that a spike just past W still matches); |dt| is
that distance. Per window W: the number of REF and OTHER spikes in [0, W), the
fraction of REF spikes matched within --match-ms (1 ms), and the median and 95th
percentile of |dt| over the matched ones (the unmatched are counted by the
fraction instead: one missed spike would otherwise decide the percentile).

Why an early window: the networks are chaotic, so any difference, e.g. Brian2's
delays rounded to dt and its threshold checked on the grid, grows until the two
runs are unrelated; only the first tens of ms compare the integrators rather than
the chaos. The first spikes come from the initial V_m and the drive alone, the
next ones from recurrent input after >= 0.1 ms (the smallest delay); with several
windows the growth of the distance with time is visible as well.
"""
import argparse
import json
import sys

import numpy as np


def distances(ref, other, window_ms):
    """|dt| to the nearest same-neuron spike of OTHER for each REF spike in [0, W)."""
    ref = ref[ref[:, 1] < window_ms]
    out = np.full(ref.shape[0], np.inf)
    order = np.lexsort((other[:, 1], other[:, 0]))  # by neuron, then time
    o_id, o_t = other[order, 0], other[order, 1]
    lo = np.searchsorted(o_id, ref[:, 0], side="left")
    hi = np.searchsorted(o_id, ref[:, 0], side="right")
    for k in np.nonzero(hi > lo)[0]:
        times = o_t[lo[k]:hi[k]]
        j = np.searchsorted(times, ref[k, 1])
        best = np.inf
        if j < times.size:
            best = times[j] - ref[k, 1]
        if j > 0:
            best = min(best, ref[k, 1] - times[j - 1])
        out[k] = best
    return out


def summary(ref, other, window_ms, match_ms):
    d = distances(ref, other, window_ms)
    m = d[d <= match_ms]
    return {
        "window_ms": window_ms, "ref_spikes": int(d.size), "other_spikes": int(np.sum(other[:, 1] < window_ms)),
        "matched_fraction": float(m.size / d.size) if d.size else float("nan"),
        "median_abs_dt_ms": float(np.median(m)) if m.size else float("nan"),
        "p95_abs_dt_ms": float(np.percentile(m, 95)) if m.size else float("nan"),
    }


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("ref")
    ap.add_argument("other")
    ap.add_argument("--window-ms", type=float, nargs="+", default=[20.0])
    ap.add_argument("--match-ms", type=float, default=1.0)
    a = ap.parse_args(argv)
    ref, other = np.load(a.ref), np.load(a.other)
    for x, name in ((ref, a.ref), (other, a.other)):
        if x.ndim != 2 or x.shape[1] != 2:
            raise SystemExit(f"spike_distance: {name}: expected an (S, 2) array of (neuron, time)")
    print(json.dumps({"ref": a.ref, "other": a.other, "match_ms": a.match_ms,
                      "windows": [summary(ref, other, w, a.match_ms) for w in a.window_ms]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
