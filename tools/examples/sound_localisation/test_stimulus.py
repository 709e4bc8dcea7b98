"""The stimulus against closed forms (CTest example_sound_localisation_stimulus).

- Mean rate: averaged over the phase, ((1 + sin)/2)^10 has mean C(20, 10) / 2^20
  (the mean of cos^20 of a uniform phase), so a fibre fires 600 Hz x 0.1762 =
  105.7 Hz on average: 5.29 spikes per 50 ms trial.
- Timing: ear 1's envelope leads ear 0's by itd_ms(azimuth) = azimuth/360 x 20 ms;
  the mean phase of each ear's spikes relative to the tone's start recovers it.
"""
import math

import numpy as np

import stimulus


def test_mean_rate_matches_the_closed_form():
    rng = np.random.default_rng(1)
    n_trials, anf = 400, 100
    counts = [len(stimulus.trial_spikes(rng, 0.0, anf)[e][0]) for _ in range(n_trials) for e in (0, 1)]
    expected = 600.0 * math.comb(20, 10) / 2**20 * 0.050 * anf  # spikes per ear and trial
    # Poisson: the mean of 800 counts of ~529 has sd sqrt(529 / 800) = 0.8
    assert abs(np.mean(counts) - expected) < 4 * math.sqrt(expected / len(counts))


def test_ear_1_leads_by_the_itd():
    rng = np.random.default_rng(2)
    for az in (-90, -45, 0, 30, 85):
        lead = []
        for _ in range(50):
            # the phase offset phi0 is random per trial: recover it from ear 0's spikes
            # (circular mean of 2 pi F t), then ear 1's lead from its own circular mean
            (t0, _), (t1, _) = stimulus.trial_spikes(rng, az, 100)
            w = 2 * np.pi * stimulus.F_HZ / 1000.0
            m0 = np.angle(np.exp(1j * w * t0).sum())
            m1 = np.angle(np.exp(1j * w * t1).sum())
            lead.append(np.angle(np.exp(1j * (m0 - m1))) / w)
        assert abs(np.mean(lead) - stimulus.itd_ms(az)) < 0.05, az


def test_classes_and_balance():
    assert stimulus.N_CLASSES == 36
    assert stimulus.CLASSES_DEG[0] == -90 and stimulus.CLASSES_DEG[-1] == 85
    labels = stimulus.balanced_classes(np.random.default_rng(0), 72)
    assert np.all(np.bincount(labels, minlength=36) == 2)
