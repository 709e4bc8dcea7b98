"""The seed's binaural input (its `input_signal` functions), in continuous time.

Per trial: a 50 Hz tone lasting 50 ms with a random starting phase phi0; each
auditory-nerve fibre (ANF) of ear e fires as an inhomogeneous Poisson process of
rate

    r_e(t) = 600 Hz * ((1 + sin(2 pi F t + phi0 + e * ipd)) / 2) ** 10,   e = 0, 1

with ipd = the azimuth in radians, one of 36 classes -90, -85, ..., 85 degrees.
The seed draws these spikes on a 1 ms grid (a Bernoulli draw of r dt per bin);
here they are drawn in continuous time (thinning of a 600 Hz Poisson process),
the limit dt -> 0 of the same process, since delaysim's delays are continuous.
An ipd of a degrees shifts ear 1's envelope earlier by a / 360 * 20 ms: the 36
classes span interaural time differences of -5 ... +4.72 ms, 0.278 ms apart.
Every trial has fresh noise and a fresh starting phase.
"""
import numpy as np

F_HZ = 50.0  # tone frequency
DURATION_MS = 50.0  # stimulus duration
RATE_MAX_HZ = 600.0  # peak Poisson rate per fibre
ENVELOPE_POWER = 10  # sharpness of the phase locking
ANG_STEP_DEG = 5
CLASSES_DEG = np.arange(-90, 90, ANG_STEP_DEG)  # 36 classes
N_CLASSES = len(CLASSES_DEG)
ANF_PER_EAR = 100  # fibres per ear with independent noise (the seed's constant)


def itd_ms(azimuth_deg):
    """How much earlier ear 1's envelope peaks than ear 0's, in ms."""
    return np.asarray(azimuth_deg) / 360.0 * 1000.0 / F_HZ


def trial_spikes(rng, azimuth_deg, anf_per_ear=ANF_PER_EAR):
    """One trial: for each ear, (times_ms, fibre) arrays, times in [0, 50) ms."""
    phi0 = 2 * np.pi * rng.random()
    ipd = np.deg2rad(azimuth_deg)
    ears = []
    for e in range(2):
        n = rng.poisson(RATE_MAX_HZ * DURATION_MS / 1000.0 * anf_per_ear)
        t = rng.random(n) * DURATION_MS
        fibre = rng.integers(0, anf_per_ear, n)
        phase = 2 * np.pi * F_HZ * t / 1000.0 + phi0 + e * ipd
        keep = rng.random(n) < (0.5 * (1 + np.sin(phase))) ** ENVELOPE_POWER
        order = np.argsort(t[keep], kind="stable")
        ears.append((t[keep][order], fibre[keep][order]))
    return ears


def balanced_classes(rng, n_trials):
    """n_trials class indices, each class as often as possible, in random order."""
    reps = -(-n_trials // N_CLASSES)
    labels = np.tile(np.arange(N_CLASSES), reps)[:n_trials]
    return rng.permutation(labels)
