"""The delaysim model file of the localisation network, written from numpy arrays.

Populations
    L, R   explicit_source, one node per auditory-nerve fibre of the left/right ear
    D      coincidence, K detectors: v integrates gain * s1 * s2, s1 = trace of the
           left ear (port a), s2 = trace of the right ear (port b)
Projections
    l_d, r_d   L -> D port a, R -> D port b, all to all, weight w_in, plastic delays
    d_d        D -> D port inhibit, all to all without autapses (lateral inhibition:
               a spike resets every other detector, a winner-take-all race)
Plasticity
    delay_shift_centred (p["delay_rule"]) on l_d and r_d: each synapse moves its
    arrival onto its detector's spikes, the detector's mean delay conserved. A
    detector then shifts its left-right delay difference towards the interaural
    time differences of the trials it wins: online competitive learning of a
    Jeffress map.
"""


def _floats(xs):
    return "[" + ",".join(f"{x:.6f}" for x in xs) + "]"


def _ints(xs):
    return "[" + ",".join(str(int(x)) for x in xs) + "]"


def _source(name, n, times, ids):
    if len(times) == 0:  # explicit_source needs at least one time: one spike after the end
        times, ids = [0.0], [0]
    return (
        f'[[population]]\nname = "{name}"\nmodel = "explicit_source"\nsize = {n}\n'
        f"params = {{ times_ms = {_floats(times)}, node_ids = {_ints(ids)} }}\n\n"
    )


def config(p, left, right, n_fibres, t_stop_ms, delays=None, weights=None, plastic=True,
           weight_rule=False, record_interval_ms=0.0):
    """TOML text. left/right: (times_ms, fibre) arrays of all trials together.

    delays/weights: None (random initial delays, p["w_in"]) or dicts with arrays
    for l_d and r_d in the engine's stored synapse order (source-major for
    all_to_all, as generated). p: the parameter dictionary of run.py.
    """
    k = p["detectors"]
    out = [
        f"[simulation]\nt_stop_ms = {t_stop_ms}\nseed = {p['seed']}\n\n",
        f'[record]\ninterval_ms = {record_interval_ms}\nspikes = ["D"]\n\n',
        "".join(f'[[record.synapses]]\nprojection = "{q}"\n\n' for q in ("l_d", "r_d") if record_interval_ms > 0),
        _source("L", n_fibres, *left),
        _source("R", n_fibres, *right),
        '[[population]]\nname = "D"\nmodel = "coincidence"\n'
        f"size = {k}\n"
        f"params = {{ tau_ms = {p['tau_ms']}, tau_s1_ms = {p['tau_s_ms']}, tau_s2_ms = {p['tau_s_ms']}, "
        f"tau_th_ms = 1e12, gain = {p['gain']}, th0 = {p['th0']} }}\n\n",
    ]
    lo, hi = p["delay_init_ms"]
    for name, src, port in (("l_d", "L", "a"), ("r_d", "R", "b")):
        d = (f'{{ dist = "uniform", low = {lo}, high = {hi} }}' if delays is None
             else _floats(delays[name]))
        w = p["w_in"] if weights is None else _floats(weights[name])
        out.append(
            f'[[projection]]\nname = "{name}"\nsource = "{src}"\ntarget = "D"\nport = "{port}"\n'
            f"weight = {w}\ndelay_ms = {d}\ndelay_min_ms = 0.0\n"
            f"delay_max_ms = {p['delay_max_ms']}\nbounds = \"clamp\"\n\n"
        )
    out.append(
        '[[projection]]\nname = "d_d"\nsource = "D"\ntarget = "D"\nport = "inhibit"\n'
        "autapses = false\nweight = 1.0\ndelay_ms = 0.0\n\n"
    )
    if plastic:
        out.append(
            f'[[plasticity]]\nrule = "{p["delay_rule"]}"\nprojections = ["l_d", "r_d"]\n'
            f"params = {{ eta = {p['eta']}, target_lag_ms = {p['target_lag_ms']}, "
            f"window_ms = {p['window_ms']}, late_pairs = 1 }}\n\n"
        )
    if weight_rule:
        out.append(
            '[[plasticity]]\nrule = "stdp_weight"\nprojections = ["l_d", "r_d"]\n'
            f"params = {{ tau_plus_ms = {p['stdp_tau_ms']}, tau_minus_ms = {p['stdp_tau_ms']}, "
            f"a_plus = {p['stdp_a_plus']}, a_minus = {p['stdp_a_minus']}, "
            f"w_min = 0.0, w_max = {p['stdp_w_max'] * p['w_in']}, multiplicative = 1 }}\n\n"
        )
    return "".join(out)
