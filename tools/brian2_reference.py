#!/usr/bin/env python3
"""Run a delaysim config in Brian2 and write the result in delaysim's HDF5 layout.

    tools/brian2_reference.py CONFIG.toml -o OUT.h5 [--dt 0.1]
        [--target cpp_standalone|numpy|cython] [--build-dir DIR]
        [--synapses-from DELAYSIM.h5] [--source-spikes DELAYSIM.h5] [--quiet]

The Brian2 network is the same as delaysim's, up to what a clock-driven
simulator cannot do (see "Known differences" below), so tools/compare_runs.py
can compare the two files.

Supported
  neuron models   coincidence (the seed's neuron), lif_exp
  spike sources   pattern_source, explicit_source, poisson_source
                  (Brian2's own PoissonGroup, statistically equal only; pass
                  --source-spikes DELAYSIM.h5 to replay delaysim's recorded
                  source spikes instead, which then applies to every source
                  population recorded in that file)
  connectivity    all_to_all (source-major order), one_to_one, pairs; weight and
                  delay_ms as number or list (one per synapse, in that order).
                  Random connectivity or random weight/delay distributions need
                  --synapses-from DELAYSIM.h5: the realised synapses are read from
                  /synapses/<projection>/ (source_node_id, target_node_id and the
                  first sample of delay/data and weight/data). Projections found
                  in that file always use it, whatever their connect rule.

Integration
  lif_exp       method='exact' (linear), refractoriness with V clamped at
                V_reset while the currents keep decaying.
  coincidence   dv/dt contains gain*s1*s2, which is not linear in the state, so
                Brian2's 'exact' cannot be used: rk4, as in the seed notebook.
                Its local error is O(dt^5) and negligible against the grid
                detection error below.

Time conventions (Brian2's default schedule is kept: in each step the state is
updated, then thresholds are checked, then synaptic effects are applied, then
resets). Read this way, the state Brian2 checks at the step labelled t is the
state just before the synaptic effects and resets due at t (the left limit
x(t-)); spikes are labelled t. delaysim samples a trace at t "before the events
at t", i.e. x(t-) too, so traces are recorded with
StateMonitor(when='before_thresholds'): after the update that reaches t, before
anything happens at t. (Brian2's default when='start' would show x((t-dt)+),
one step earlier.)

Known differences from delaysim (all vanish as dt -> 0)
  * a threshold crossing is detected at the first grid point at or after it:
    spikes are late by up to dt (errors accumulate along a run);
  * synaptic delays are rounded to the nearest multiple of dt;
  * source spike times are put on the grid as Brian2's SpikeGeneratorGroup does
    (bin = floor(t/dt + 1e-3), i.e. rounded down); two spikes of one node in one
    bin are kept (replayed by a second generator layer), not dropped;
  * the initial state is the state Brian2 integrates from in its first step,
    so free dynamics (e.g. a decaying threshold vth) start one dt early
    relative to delaysim. --align-initial removes this by starting Brian2 from
    the exact free solution at t = -dt (off by default: default Brian2
    behaviour is what the reference shows);
  * refractoriness (lif_exp) is counted in whole steps from the grid spike time.

Output: /spikes/<pop>/timestamps (ms) + node_ids, /traces/<pop>/<var>/time,
node_ids, data[n_samples, n_nodes], /synapses/<projection>/ source_node_id,
target_node_id, delay/{time,data}, weight/{time,data} (one sample at t = 0,
the values given to Brian2 before its rounding); root attributes
delaysim_version = "brian2-<version> dt=<dt> target=<target>", completed,
seed, t_stop_ms, config_toml, brian2_dt_ms.

Exit codes: 0 success, 2 bad input (config, options, files), 1 internal error.
"""
import argparse
import os
import shutil
import sys
import tempfile
import time
import tomllib
import warnings

import numpy as np

# Debian's pythran (imported by Brian2 through scipy) warns about numpy aliases on import.
warnings.filterwarnings("ignore", category=FutureWarning, module="pythran")

SOURCE_MODELS = ("pattern_source", "explicit_source", "poisson_source")
# The models whose equations are written out below; their parameter defaults,
# ports and variables come from `delaysim list --json`, so they cannot drift
# from delaysim's own.
SUPPORTED_MODELS = ("coincidence", "lif_exp")


def delaysim_binary():
    """$DELAYSIM_BINARY, else build/delaysim of this checkout, else delaysim on PATH."""
    if os.environ.get("DELAYSIM_BINARY"):
        return os.environ["DELAYSIM_BINARY"]
    local = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "build", "delaysim")
    return local if os.path.isfile(local) else (shutil.which("delaysim") or local)


_catalogue = None


def catalogue():
    """{model: {"defaults": {param: value}, "ports": [...], "variables": [...]}} of the
    supported models, read once from `delaysim list --json`."""
    global _catalogue
    if _catalogue is None:
        import json
        import subprocess
        binary = delaysim_binary()
        try:
            out = subprocess.run([binary, "list", "--json"], capture_output=True, text=True, check=True).stdout
        except (OSError, subprocess.CalledProcessError) as e:
            raise BadInput(f"cannot read the model catalogue from '{binary} list --json' ({e}); build delaysim "
                           f"or set DELAYSIM_BINARY")
        models = {m["name"]: m for m in json.loads(out)["models"]}
        _catalogue = {name: {"defaults": {p["name"]: float(p["default"]) for p in models[name]["parameters"]},
                             "ports": [p["name"] for p in models[name]["ports"]],
                             "variables": [v["name"] for v in models[name]["variables"]]}
                      for name in SUPPORTED_MODELS}
    return _catalogue


class _Catalogue(dict):
    """A read-only view {model: catalogue()[model][field]}, filled on first use."""

    def __init__(self, field):
        super().__init__()
        self.field = field

    def _fill(self):
        if not dict.__len__(self):
            self.update({m: c[self.field] for m, c in catalogue().items()})

    def __getitem__(self, k):
        self._fill()
        return dict.__getitem__(self, k)

    def __contains__(self, k):
        self._fill()
        return dict.__contains__(self, k)

    def __iter__(self):
        self._fill()
        return dict.__iter__(self)

    def __len__(self):
        self._fill()
        return dict.__len__(self)


MODEL_VARIABLES = _Catalogue("variables")
MODEL_PORTS = _Catalogue("ports")
MODEL_DEFAULTS = _Catalogue("defaults")


class BadInput(Exception):
    """A problem with the config, the options or an input file (exit code 2)."""


def params_of(pop, defaults):
    p = dict(defaults)
    given = pop.get("params", {}) or {}
    unknown = set(given) - set(defaults)
    if unknown:
        raise BadInput(f"population '{pop['name']}': unknown parameter(s) {sorted(unknown)} for model "
                       f"'{pop['model']}' (known: {sorted(defaults)})")
    p.update(given)
    return p


# ---------------------------------------------------------------------------
# Source spike trains
# ---------------------------------------------------------------------------

def source_spikes(pop, t_stop_ms):
    """(node_ids, times_ms) of a deterministic source, or None for poisson."""
    model, size, name = pop["model"], int(pop.get("size", 1)), pop["name"]
    p = pop.get("params", {}) or {}
    if model == "pattern_source":
        try:
            pattern = np.sort(np.asarray(p["pattern_ms"], dtype=float))
            period = float(p["period_ms"])
        except KeyError as e:
            raise BadInput(f"population '{name}': pattern_source needs parameter {e}")
        repeats = int(p.get("repeats", 1))
        start = float(p.get("start_ms", 0.0))
        k = np.arange(repeats, dtype=float)
        times = (start + k[:, None] * period + pattern[None, :]).ravel()
        times = times[times < t_stop_ms]
        ids = np.repeat(np.arange(size), len(times))
        return ids, np.tile(times, size)
    if model == "explicit_source":
        if "times_ms" not in p:
            raise BadInput(f"population '{name}': explicit_source needs parameter times_ms")
        times = np.asarray(p["times_ms"], dtype=float)
        if "node_ids" in p:
            ids = np.asarray(p["node_ids"], dtype=np.int64)
            if len(ids) != len(times):
                raise BadInput(f"population '{name}': node_ids and times_ms differ in length")
            if len(ids) and (ids.min() < 0 or ids.max() >= size):
                raise BadInput(f"population '{name}': node_ids outside [0, {size})")
        else:
            ids = np.repeat(np.arange(size), len(times))
            times = np.tile(times, size)
        keep = times < t_stop_ms
        return ids[keep], times[keep]
    if model == "poisson_source":
        return None
    raise BadInput(f"population '{name}': unsupported source model '{model}'")


def grid_layers(ids, times_ms, dt_ms):
    """Put spikes on Brian2's grid (bin = floor(t/dt + 1e-3), as SpikeGeneratorGroup
    does) and split them into layers so that no node spikes twice in one bin of a
    layer (Brian2 refuses that). Returns a list of (ids, bins)."""
    ids = np.asarray(ids, dtype=np.int64)
    bins = np.floor(np.asarray(times_ms, dtype=float) / dt_ms + 1e-3).astype(np.int64)
    order = np.lexsort((bins, ids))
    ids, bins = ids[order], bins[order]
    layer = np.zeros(len(ids), dtype=np.int64)
    if len(ids):
        same = np.r_[False, (np.diff(ids) == 0) & (np.diff(bins) == 0)]
        # running count within runs of equal (id, bin)
        run_start = np.maximum.accumulate(np.where(~same, np.arange(len(ids)), 0))
        layer = np.arange(len(ids)) - run_start
    layers = []
    for L in range(int(layer.max()) + 1 if len(ids) else 1):
        sel = layer == L
        o = np.argsort(bins[sel], kind="stable")
        layers.append((ids[sel][o], bins[sel][o]))
    return layers


def read_h5_spikes(path, pop):
    import h5py
    with h5py.File(path, "r") as f:
        g = f.get(f"spikes/{pop}")
        if g is None:
            return None
        return np.asarray(g["node_ids"][:], dtype=np.int64), np.asarray(g["timestamps"][:], dtype=float)


# ---------------------------------------------------------------------------
# Synapses
# ---------------------------------------------------------------------------

def expand_values(val, n, what, proj_name):
    if isinstance(val, (int, float)) and not isinstance(val, bool):
        return np.full(n, float(val))
    if isinstance(val, list):
        if len(val) != n:
            raise BadInput(f"projection '{proj_name}': {what} list has {len(val)} entries for {n} synapses")
        return np.asarray(val, dtype=float)
    if isinstance(val, dict):
        raise BadInput(f"projection '{proj_name}': {what} is a random distribution; run delaysim with "
                       f"[[record.synapses]] projection = \"{proj_name}\" and pass --synapses-from DELAYSIM.h5")
    raise BadInput(f"projection '{proj_name}': bad {what} value {val!r}")


def synapses_from_file(path, name):
    import h5py
    with h5py.File(path, "r") as f:
        g = f.get(f"synapses/{name}")
        if g is None:
            return None
        src = np.asarray(g["source_node_id"][:], dtype=np.int64)
        tgt = np.asarray(g["target_node_id"][:], dtype=np.int64)
        if "synapse_ids" in g:
            sid = np.asarray(g["synapse_ids"][:])
            if sid.shape != src.shape or np.any(sid != np.arange(len(sid))):
                raise BadInput(f"{path}: /synapses/{name} holds only some of the projection's synapses; "
                               f"record all of them ([[record.synapses]] without 'synapses')")
        out = {"source": src, "target": tgt}
        for var in ("delay", "weight"):
            if var in g and "data" in g[var] and g[var]["data"].shape[0] > 0:
                d = np.asarray(g[var]["data"][0], dtype=float)
                if d.shape != src.shape:
                    raise BadInput(f"{path}: /synapses/{name}/{var}/data has {d.shape[0]} columns for "
                                   f"{src.shape[0]} synapses (were only some synapses recorded?)")
                out[var] = d
        return out


def realise_synapses(proj, sizes, syn_file):
    name = proj["name"]
    ns, nt = sizes[proj["source"]], sizes[proj["target"]]
    from_file = synapses_from_file(syn_file, name) if syn_file else None
    if from_file is not None:
        src, tgt = from_file["source"], from_file["target"]
        n = len(src)
        w = from_file.get("weight")
        if w is None:
            w = expand_values(proj.get("weight", 1.0), n, "weight", name)
        d = from_file.get("delay")
        if d is None:
            if "delay_ms" not in proj:
                raise BadInput(f"projection '{name}': delay_ms is required")
            d = expand_values(proj["delay_ms"], n, "delay_ms", name)
        return src, tgt, w, d, "file"
    connect = proj.get("connect", "all_to_all")
    if connect == "all_to_all":
        src = np.repeat(np.arange(ns), nt)
        tgt = np.tile(np.arange(nt), ns)
    elif connect == "one_to_one":
        if ns != nt:
            raise BadInput(f"projection '{name}': one_to_one needs equal sizes ({ns} != {nt})")
        src = tgt = np.arange(ns)
    elif connect == "pairs":
        pairs = np.asarray(proj.get("pairs", []), dtype=np.int64).reshape(-1, 2)
        src, tgt = pairs[:, 0], pairs[:, 1]
    elif connect in ("fixed_probability", "fixed_indegree"):
        raise BadInput(f"projection '{name}': connect = \"{connect}\" is random; run delaysim with "
                       f"[[record.synapses]] projection = \"{name}\" and pass --synapses-from DELAYSIM.h5")
    else:
        raise BadInput(f"projection '{name}': unknown connect rule '{connect}'")
    if len(src) and (src.max() >= ns or tgt.max() >= nt or src.min() < 0 or tgt.min() < 0):
        raise BadInput(f"projection '{name}': node index out of range")
    n = len(src)
    w = expand_values(proj.get("weight", 1.0), n, "weight", name)
    if "delay_ms" not in proj:
        raise BadInput(f"projection '{name}': delay_ms is required")
    d = expand_values(proj["delay_ms"], n, "delay_ms", name)
    return src, tgt, w, d, "config"


# ---------------------------------------------------------------------------
# Initial state
# ---------------------------------------------------------------------------

def initial_values(pop, size):
    init = dict(pop.get("initial", {}) or {})
    out = {}
    for var, val in init.items():
        arr = np.asarray(val, dtype=float)
        if arr.ndim == 0:
            arr = np.full(size, float(arr))
        elif arr.shape != (size,):
            raise BadInput(f"population '{pop['name']}': initial.{var} must be a number or {size} numbers")
        out[var] = arr
    return out


def back_evolve(model, p, state, dt_ms):
    """Exact free (input-free) solution at t = -dt from the state at t = 0."""
    x = -dt_ms
    if model == "coincidence":
        v, s1, s2, vth = state["v"], state["s1"], state["s2"], state["vth"]
        tau, lp = p["tau_ms"], 1.0 / p["tau_s1_ms"] + 1.0 / p["tau_s2_ms"]
        k = p["gain"] / tau * (s1 * s2) / (1.0 / tau - lp)
        return dict(v=(v - k) * np.exp(-x / tau) + k * np.exp(-lp * x), s1=s1 * np.exp(-x / p["tau_s1_ms"]),
                    s2=s2 * np.exp(-x / p["tau_s2_ms"]), vth=vth * np.exp(-x / p["tau_th_ms"]))
    # lif_exp (not refractory at t = 0)
    V, ie, ii = state["V_m"], state["I_ex"], state["I_in"]
    tm, C = p["tau_m_ms"], p["C_m_pF"]
    v_inf = p["E_L_mV"] + p["I_e_pA"] * tm / C
    k_ex = (ie / C) / (1.0 / tm - 1.0 / p["tau_syn_ex_ms"])
    k_in = (ii / C) / (1.0 / tm - 1.0 / p["tau_syn_in_ms"])
    e_ex, e_in = np.exp(-x / p["tau_syn_ex_ms"]), np.exp(-x / p["tau_syn_in_ms"])
    return dict(V_m=v_inf + (V - v_inf - k_ex - k_in) * np.exp(-x / tm) + k_ex * e_ex + k_in * e_in,
                I_ex=ie * e_ex, I_in=ii * e_in)


# ---------------------------------------------------------------------------
# Build and run
# ---------------------------------------------------------------------------

def run(config_path, out_path, dt_ms=0.1, target="cpp_standalone", build_dir=None, synapses_from=None,
        source_spikes_from=None, align_initial=False, quiet=False):
    """Build the network of config_path in Brian2, run it, write out_path.
    Returns a dict with timing and spike counts."""
    for f in (config_path, synapses_from, source_spikes_from):
        if f is not None and not os.path.isfile(f):
            raise BadInput(f"{f}: no such file")
    with open(config_path, "rb") as fh:
        raw = fh.read()
    try:
        cfg = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise BadInput(f"{config_path}: {e}")
    if not dt_ms > 0:
        raise BadInput("--dt must be > 0")
    simcfg = cfg.get("simulation", {})
    if "t_stop_ms" not in simcfg:
        raise BadInput(f"{config_path}: [simulation] t_stop_ms is required")
    t_stop = float(simcfg["t_stop_ms"])
    seed = int(simcfg.get("seed", 0))
    pops = cfg.get("population", [])
    projs = cfg.get("projection", [])
    if cfg.get("plasticity"):
        print("brian2_reference: warning: [[plasticity]] is ignored (Brian2 cannot change delays during a run)",
              file=sys.stderr)
    by_name = {}
    for pop in pops:
        if "name" not in pop or "model" not in pop:
            raise BadInput(f"{config_path}: every [[population]] needs name and model")
        if pop["model"] not in SOURCE_MODELS and pop["model"] not in MODEL_VARIABLES:
            raise BadInput(f"population '{pop['name']}': model '{pop['model']}' is not supported by the Brian2 "
                           f"reference (supported: {', '.join(list(MODEL_VARIABLES) + list(SOURCE_MODELS))})")
        by_name[pop["name"]] = pop
    sizes = {n: int(p.get("size", 1)) for n, p in by_name.items()}
    rec = cfg.get("record", {})
    interval = float(rec.get("interval_ms", 0.1))
    spike_pops = rec.get("spikes", list(by_name))
    for n in spike_pops:
        if n not in by_name:
            raise BadInput(f"[record] spikes: unknown population '{n}'")

    # Realise the synapses and the source trains first (pure numpy; errors before Brian2 starts).
    syn = []
    for proj in projs:
        for key in ("name", "source", "target", "port"):
            if key not in proj:
                raise BadInput(f"{config_path}: every [[projection]] needs {key}")
        for key in ("source", "target"):
            if proj[key] not in by_name:
                raise BadInput(f"projection '{proj['name']}': unknown population '{proj[key]}'")
        tmodel = by_name[proj["target"]]["model"]
        if tmodel not in MODEL_PORTS:
            raise BadInput(f"projection '{proj['name']}': target '{proj['target']}' is not a neuron model")
        if proj["port"] not in MODEL_PORTS[tmodel]:
            raise BadInput(f"projection '{proj['name']}': model '{tmodel}' has no port '{proj['port']}' "
                           f"(ports: {', '.join(MODEL_PORTS[tmodel])})")
        src, tgt, w, d, origin = realise_synapses(proj, sizes, synapses_from)
        if np.any(d < 0):
            raise BadInput(f"projection '{proj['name']}': negative delay")
        syn.append((proj, src, tgt, w, d, origin))
    trains = {}
    for pop in pops:
        if pop["model"] not in SOURCE_MODELS:
            continue
        replay = read_h5_spikes(source_spikes_from, pop["name"]) if source_spikes_from else None
        if replay is not None:
            trains[pop["name"]] = ("replay", replay)
        else:
            s = source_spikes(pop, t_stop)
            if s is None:
                print(f"brian2_reference: warning: '{pop['name']}' is a poisson_source: Brian2 draws its own spikes "
                      f"(pass --source-spikes DELAYSIM.h5 for identical input)", file=sys.stderr)
            trains[pop["name"]] = ("config", s)

    import brian2 as b2
    from brian2 import ms, pA, pF, mV, Hz
    b2.BrianLogger.suppress_name("method_choice")
    own_build_dir = False
    if target == "cpp_standalone":
        if build_dir is None:
            build_dir = tempfile.mkdtemp(prefix="brian2_delaysim_")
            own_build_dir = True
        b2.prefs.devices.cpp_standalone.extra_make_args_unix = ["-j2"]
        b2.set_device("cpp_standalone", directory=build_dir, build_on_run=True, with_output=not quiet)
    elif target in ("numpy", "cython"):
        b2.prefs.codegen.target = target
    else:
        raise BadInput(f"--target must be cpp_standalone, numpy or cython, not '{target}'")
    b2.defaultclock.dt = dt_ms * ms
    b2.seed(seed)
    net = b2.Network()

    groups, layers_of, params_of_pop, spike_mons, state_mons = {}, {}, {}, {}, {}
    for pop in pops:
        name, model, size = pop["name"], pop["model"], sizes[pop["name"]]
        if model in SOURCE_MODELS:
            kind, s = trains[name]
            if s is None:
                rate = float((pop.get("params", {}) or {}).get("rate_hz", 0.0))
                g = b2.PoissonGroup(size, rates=rate * Hz, name=f"src_{name}")
                layers_of[name] = [g]
            else:
                ids, times = s
                layers_of[name] = []
                for L, (lid, lbin) in enumerate(grid_layers(ids, times, dt_ms)):
                    g = b2.SpikeGeneratorGroup(size, lid, lbin * dt_ms * ms, name=f"src_{name}_{L}")
                    layers_of[name].append(g)
            for g in layers_of[name]:
                net.add(g)
            continue
        init = initial_values(pop, size)
        if model == "coincidence":
            p = params_of(pop, MODEL_DEFAULTS["coincidence"])
            eqs = """
            dv/dt = (-v + gain*s1*s2) / tau : 1
            ds1/dt = -s1 / tau_s1 : 1
            ds2/dt = -s2 / tau_s2 : 1
            dvth/dt = -vth / tau_th : 1
            p = s1*s2 : 1
            """
            ns = dict(tau=p["tau_ms"] * ms, tau_s1=p["tau_s1_ms"] * ms, tau_s2=p["tau_s2_ms"] * ms,
                      tau_th=p["tau_th_ms"] * ms, gain=float(p["gain"]), th0=float(p["th0"]))
            g = b2.NeuronGroup(size, eqs, threshold="v >= vth", reset="v = 0\nvth = th0", method="rk4",
                               namespace=ns, name=f"pop_{name}")
            state = dict(v=np.zeros(size), s1=np.zeros(size), s2=np.zeros(size), vth=np.full(size, p["th0"]))
            for k, val in init.items():
                if k not in state:
                    raise BadInput(f"population '{name}': initial.{k}: no such settable variable "
                                   f"(v, vth, s1, s2)")
                state[k] = val
            if align_initial:
                state = back_evolve(model, p, state, dt_ms)
            for k, val in state.items():
                setattr(g, k, val)
        else:  # lif_exp
            p = params_of(pop, MODEL_DEFAULTS["lif_exp"])
            eqs = """
            dV_m/dt = -(V_m - E_L)/tau_m + (I_ex + I_in + I_e)/C_m : volt (unless refractory)
            dI_ex/dt = -I_ex / tau_syn_ex : amp
            dI_in/dt = -I_in / tau_syn_in : amp
            """
            ns = dict(C_m=p["C_m_pF"] * pF, tau_m=p["tau_m_ms"] * ms, E_L=p["E_L_mV"] * mV,
                      V_th=p["V_th_mV"] * mV, V_reset=p["V_reset_mV"] * mV, I_e=p["I_e_pA"] * pA,
                      tau_syn_ex=p["tau_syn_ex_ms"] * ms, tau_syn_in=p["tau_syn_in_ms"] * ms)
            g = b2.NeuronGroup(size, eqs, threshold="V_m >= V_th", reset="V_m = V_reset",
                               refractory=p["t_ref_ms"] * ms, method="exact", namespace=ns, name=f"pop_{name}")
            state = dict(V_m=np.full(size, p["E_L_mV"]), I_ex=np.zeros(size), I_in=np.zeros(size))
            for k, val in init.items():
                if k not in state:
                    raise BadInput(f"population '{name}': initial.{k}: no such variable (V_m, I_ex, I_in)")
                state[k] = val
            if align_initial:
                state = back_evolve(model, p, state, dt_ms)
            g.V_m = state["V_m"] * mV
            g.I_ex = state["I_ex"] * pA
            g.I_in = state["I_in"] * pA
        groups[name] = g
        params_of_pop[name] = p
        net.add(g)
        layers_of[name] = [g]

    syn_objs = []
    for k, (proj, src, tgt, w, d, origin) in enumerate(syn):
        tpop = by_name[proj["target"]]
        tmodel, port = tpop["model"], proj["port"]
        if len(src) == 0:
            continue
        if tmodel == "coincidence":
            model_eq = "w : 1"
            on_pre = {"a": "s1_post += w", "b": "s2_post += w", "inhibit": "v_post = 0\nvth_post = th0"}[port]
            ns = {"th0": float(params_of_pop[proj["target"]]["th0"])}
            wq = w
        else:
            model_eq = "w : amp"
            on_pre = {"ex": "I_ex_post += w", "in": "I_in_post += w"}[port]
            ns = {}
            wq = w * pA
        for L, sg in enumerate(layers_of[proj["source"]]):
            S = b2.Synapses(sg, groups[proj["target"]], model=model_eq, on_pre=on_pre, namespace=ns,
                            name=f"syn_{k}_{L}")
            S.connect(i=src, j=tgt)
            S.w = wq
            S.delay = d * ms
            net.add(S)
            syn_objs.append(S)

    for name in spike_pops:
        spike_mons[name] = []
        for L, g in enumerate(layers_of[name]):
            m = b2.SpikeMonitor(g, name=f"spk_{name}_{L}")
            net.add(m)
            spike_mons[name].append(m)
    rec_interval = interval
    if interval > 0:
        steps = interval / dt_ms
        if abs(steps - round(steps)) > 1e-9 * max(1.0, steps) or round(steps) < 1:
            rec_interval = max(1, round(steps)) * dt_ms
            print(f"brian2_reference: warning: record interval {interval} ms is not a multiple of dt {dt_ms} ms; "
                  f"recording every {rec_interval} ms", file=sys.stderr)
    trace_specs = []
    if rec_interval > 0:
        for spec in rec.get("traces", []):
            name = spec.get("population")
            if name not in by_name:
                raise BadInput(f"[[record.traces]]: unknown population '{name}'")
            model = by_name[name]["model"]
            if model not in MODEL_VARIABLES:
                raise BadInput(f"[[record.traces]]: '{name}' is a spike source and has no variables")
            variables = spec.get("variables", MODEL_VARIABLES[model])
            for v in variables:
                if v not in MODEL_VARIABLES[model]:
                    raise BadInput(f"[[record.traces]] '{name}': unknown variable '{v}' "
                                   f"(model {model}: {', '.join(MODEL_VARIABLES[model])})")
            nodes = np.asarray(spec.get("nodes", list(range(sizes[name]))), dtype=np.int64)
            m = b2.StateMonitor(groups[name], variables, record=nodes, dt=rec_interval * ms,
                                when="before_thresholds",
                                name=f"trace_{name}_{len(trace_specs)}")
            net.add(m)
            trace_specs.append((name, list(variables), nodes, m, model))

    t0 = time.time()
    net.run(t_stop * ms, namespace={})
    wall = time.time() - t0

    # ---- write the HDF5 file in delaysim's layout ----
    import h5py
    units = {"V_m": mV, "I_ex": pA, "I_in": pA}
    counts = {}
    tmp_out = out_path + ".tmp"
    with h5py.File(tmp_out, "w") as f:
        f.attrs["delaysim_version"] = f"brian2-{b2.__version__} dt={dt_ms:g} target={target}"
        f.attrs["config_toml"] = raw.decode("utf-8")
        f.attrs["seed"] = np.uint64(seed)
        f.attrs["t_stop_ms"] = t_stop
        f.attrs["brian2_dt_ms"] = dt_ms
        f.attrs["completed"] = np.bool_(True)
        gs = f.create_group("spikes")
        for name, mons in spike_mons.items():
            ids = np.concatenate([np.asarray(m.i[:], dtype=np.uint64) for m in mons])
            ts = np.concatenate([np.asarray(m.t[:] / ms, dtype=float) for m in mons])
            ts = np.round(ts / dt_ms) * dt_ms  # exact grid labels
            o = np.lexsort((ids, ts))
            g = gs.create_group(name)
            g.attrs["sorting"] = "by_time"
            d = g.create_dataset("timestamps", data=ts[o])
            d.attrs["units"] = "ms"
            g.create_dataset("node_ids", data=ids[o])
            counts[name] = int(len(ts))
        gt = f.create_group("traces")
        for name, variables, nodes, m, model in trace_specs:
            t = np.asarray(m.t[:] / ms, dtype=float)
            tt = np.round(t / rec_interval) * rec_interval
            for v in variables:
                data = getattr(m, v)[:]
                data = np.asarray(data / units[v] if v in units else data, dtype=float).T  # [n_samples, n_nodes]
                gv = gt.require_group(f"{name}/{v}")
                if "time" in gv:
                    raise BadInput(f"[[record.traces]]: variable '{v}' of '{name}' recorded twice")
                gv.create_dataset("time", data=tt)
                gv.create_dataset("node_ids", data=nodes.astype(np.uint64))
                gv.create_dataset("data", data=data)
        gy = f.create_group("synapses")
        for proj, src, tgt, w, d, origin in syn:
            g = gy.create_group(proj["name"])
            g.attrs["origin"] = origin
            g.create_dataset("source_node_id", data=src.astype(np.uint64))
            g.create_dataset("target_node_id", data=tgt.astype(np.uint64))
            for var, val in (("delay", d), ("weight", w)):
                gv = g.create_group(var)
                gv.create_dataset("time", data=np.zeros(1))
                gv.create_dataset("data", data=np.asarray(val, dtype=float)[None, :])
    os.replace(tmp_out, out_path)
    if own_build_dir:
        shutil.rmtree(build_dir, ignore_errors=True)
    if target == "cpp_standalone":
        b2.device.reinit()
        b2.device.activate()
    return {"wall_s": wall, "counts": counts, "build_dir": None if own_build_dir else build_dir}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="\n\n".join(__doc__.split("\n\n")[1:]))
    ap.add_argument("config", help="delaysim TOML config")
    ap.add_argument("-o", "--output", required=True, help="output HDF5 file")
    ap.add_argument("--dt", type=float, default=0.1, help="Brian2 time step in ms (default 0.1)")
    ap.add_argument("--target", default="cpp_standalone", choices=["cpp_standalone", "numpy", "cython"],
                    help="Brian2 code generation target (default cpp_standalone)")
    ap.add_argument("--build-dir", help="cpp_standalone build directory (default: a temporary one, removed)")
    ap.add_argument("--synapses-from", metavar="DELAYSIM.h5",
                    help="take the realised synapses of the projections found in this file's /synapses/")
    ap.add_argument("--source-spikes", metavar="DELAYSIM.h5",
                    help="replay the source populations' spikes recorded in this file's /spikes/")
    ap.add_argument("--align-initial", action="store_true",
                    help="start Brian2 from the exact free state at t=-dt (removes the one-step offset of the "
                         "initial free dynamics)")
    ap.add_argument("--quiet", action="store_true", help="no progress output")
    a = ap.parse_args(argv)
    try:
        outdir = os.path.dirname(os.path.abspath(a.output))
        if not os.path.isdir(outdir):
            raise BadInput(f"{a.output}: directory {outdir} does not exist")
        res = run(a.config, a.output, a.dt, a.target, a.build_dir, a.synapses_from, a.source_spikes,
                  a.align_initial, a.quiet)
    except BadInput as e:
        print(f"brian2_reference: error: {e}", file=sys.stderr)
        return 2
    except OSError as e:
        print(f"brian2_reference: error: {e}", file=sys.stderr)
        return 2
    if not a.quiet:
        counts = ", ".join(f"{k}: {v}" for k, v in res["counts"].items())
        print(f"brian2_reference: dt={a.dt} ms target={a.target} run {res['wall_s']:.2f} s; spikes {counts}; "
              f"wrote {a.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
