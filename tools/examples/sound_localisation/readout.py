"""Readouts of the detector layer, calibrated on trials of known class."""
import numpy as np


def counts_per_trial(times, nodes, n_trials, n_detectors, period_ms):
    """counts[k, j]: spikes of detector j during trial k (times in [k P, (k+1) P))."""
    trial = np.floor(np.asarray(times) / period_ms).astype(np.int64)
    ok = (trial >= 0) & (trial < n_trials)
    counts = np.zeros((n_trials, n_detectors))
    np.add.at(counts, (trial[ok], np.asarray(nodes)[ok]), 1)
    return counts


class Decoder:
    """Tuning curves f[c, j] = mean count of detector j in calibration trials of class c."""

    def __init__(self, counts, labels, n_classes, floor=0.01):
        self.tuning = np.stack([counts[labels == c].mean(0) for c in range(n_classes)])
        # a detector never seen firing for a class would make that class impossible
        # after one stray spike: floor the rates (in spikes per trial)
        self.rates = np.maximum(self.tuning, floor)
        # preferred class of each detector: where its mean count peaks
        self.preferred = np.argmax(self.tuning, axis=0)

    def likelihood(self, counts):
        """Maximum likelihood class under independent Poisson counts with the tuning rates."""
        loglik = counts @ np.log(self.rates).T - self.rates.sum(1)[None, :]
        return np.argmax(loglik, axis=1)

    def most_active(self, counts):
        """The preferred class of the detector that fired most (ties: the lower index)."""
        return self.preferred[np.argmax(counts, axis=1)]
