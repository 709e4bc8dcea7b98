"""The README's figure: the learned delay map, the tuning curves and the confusion matrix."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import stimulus  # noqa: E402


def preferred_itd_ms(delays, k):
    """Per detector: the ITD (ear 1 leading, ms) at which both ears' mean arrivals coincide."""
    left = delays["l_d"].reshape(-1, k)  # all_to_all, source-major: [fibre, detector]
    right = delays["r_d"].reshape(-1, k)
    # ear 1 (right) leads by itd: t_R = t_L - itd; they coincide when t_L + d_L = t_R + d_R
    return right.mean(0) - left.mean(0)


def draw(path, p, initial, final, dec, predicted, truth, result):
    k = p["detectors"]
    itd0, itd1 = preferred_itd_ms(initial, k), preferred_itd_ms(final, k)
    # spread of the left-ear delays onto each detector: coherent when small
    spread0 = initial["l_d"].reshape(-1, k).std(0)
    spread1 = final["l_d"].reshape(-1, k).std(0)
    order = np.argsort(itd1)
    fig, ax = plt.subplots(1, 3, figsize=(12, 3.6), dpi=80)

    ax[0].errorbar(np.arange(k), itd0[order], yerr=spread0[order], fmt=".", color="0.6", label="initial")
    ax[0].errorbar(np.arange(k), itd1[order], yerr=spread1[order], fmt=".", color="C0", label="learned")
    lo, hi = stimulus.itd_ms(stimulus.CLASSES_DEG[[0, -1]])
    ax[0].axhspan(min(lo, hi), max(lo, hi), color="C1", alpha=0.1, label="stimulus ITDs")
    ax[0].set(xlabel="detector (sorted)", ylabel="preferred ITD (ms)", title="delay map: mean d_R - d_L (bar: sd)")
    ax[0].legend(fontsize=7, loc="upper left")

    tuning = dec.tuning[:, order].T
    im = ax[1].imshow(tuning, aspect="auto", origin="lower", cmap="viridis",
                      extent=[stimulus.CLASSES_DEG[0] - 2.5, stimulus.CLASSES_DEG[-1] + 2.5, -0.5, k - 0.5])
    ax[1].set(xlabel="azimuth (deg)", ylabel="detector (sorted)", title="mean spikes per trial (calibration)")
    fig.colorbar(im, ax=ax[1], fraction=0.046)

    n = stimulus.N_CLASSES
    conf = np.zeros((n, n))
    np.add.at(conf, (truth, predicted), 1)
    conf /= np.maximum(conf.sum(1, keepdims=True), 1)
    ext = [stimulus.CLASSES_DEG[0] - 2.5, stimulus.CLASSES_DEG[-1] + 2.5] * 2
    ax[2].imshow(conf.T, origin="lower", cmap="Greys", extent=ext)
    ax[2].set(xlabel="true azimuth (deg)", ylabel="decoded azimuth (deg)",
              title=f"held-out: MAE {result['mae_deg']:.1f} deg, acc {100 * result['accuracy']:.0f} %")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
