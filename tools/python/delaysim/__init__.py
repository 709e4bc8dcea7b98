"""delaysim from Python: load or build a network, run it in chunks, read and
write delays and weights between chunks, write rules in Python, save the HDF5
file. The API is described in tools/python/README.md.

    import delaysim as ds
    sim = ds.load("configs/two_neuron_delay_learning.toml")
    sim.run(520)                                  # absolute time, ms
    print(sim.projection("sg2_n1").delays)        # numpy copy
    sim.projection("sg2_n1").set_delay(0, 3.0)    # through the bounds, logged in /plasticity
    sim.run(1040); sim.save("out/learn.h5")
    ds.h5.load("out/learn.h5").spikes             # reading files: delaysim.h5
"""
import numpy as np
import pandas as pd

from . import _core
from . import h5
from ._toml import set_option as _set_option
from .network import Network

__version__ = _core.__version__
ConfigError = _core.ConfigError
Synapse = _core.Synapse

__all__ = ["load", "loads", "Network", "Simulation", "Projection", "Population", "ConfigError", "Synapse",
           "models", "rules", "load_plugin", "h5", "__version__"]


def _sets(set):
    """{"simulation.t_stop_ms": 500} or ["simulation.t_stop_ms=500"] -> --set options."""
    if set is None:
        return []
    if isinstance(set, dict):
        return [_set_option(k, v) for k, v in set.items()]
    if isinstance(set, str):
        return [set]
    return [str(s) for s in set]


def load(path, set=None):
    """A Simulation of a model file, through the CLI's loader: the same checks,
    and the same `--set` overrides (set={"key.path": value}). A bad file raises
    ConfigError("FILE:LINE:COL: error: ...")."""
    return Simulation._wrap(_core.load(str(path), _sets(set)))


def loads(text, name="<string>", set=None):
    """Like load(), from the text of a model file; `name` names it in errors."""
    return Simulation._wrap(_core.load_text(text, name, _sets(set)))


def resume(path):
    """A Simulation continuing the checkpoint at `path` (one written by
    sim.checkpoint() or `delaysim run --checkpoint-at`), at its time; run() and
    save() as usual. ConfigError if it cannot resume (another version, a
    changed config or plug-in, a truncated or corrupt file)."""
    return Simulation._wrap(_core.resume(str(path)))


def load_plugin(path):
    """Load a plug-in (a shared library built with delaysim_add_plugin) so that its
    models and rules can be named in model files, loads() and Network; the same
    as `--plugin PATH` on the command line. Returns {"path", "version", "models",
    "rules"}; loading the same file again does nothing. A missing file, a library
    that is not a delaysim plug-in, another delaysim version or a name that is
    already taken raise ConfigError."""
    return _core.load_plugin(str(path))


def models():
    """Neuron models and spike sources, as `delaysim list --json` describes them:
    [{"name", "kind" ("model"|"source"), "doc", "origin", "params" (also as
    "parameters"): [{"name", "unit", "kind" (real|integer|real_list, also as
    "type"), "default" (None if required), "required", "min", "max" (None:
    unbounded), "min_exclusive", "max_exclusive", "range", "doc"}], "ports":
    [{"name", "kind" (input|inhibit), "doc"}], "variables": [{"name", "unit",
    "doc"}], "plugin"}]."""
    return _core.models()


def rules():
    """Plasticity rules, in the shape of models() (kind "rule")."""
    return _core.rules()


class Projection:
    """One projection of a Simulation. delays and weights are numpy float64 copies
    (indices: the projection's stored synapse order, as in the HDF5 file);
    assigning an array, or set_delay/set_weight, writes through the projection's
    bounds (clamp, wrap, or ValueError naming the bound for bounds = "error") and
    logs each change in /plasticity with rule = "user"."""

    def __init__(self, sim, index):
        self._sim, self._q = sim, index
        info = sim._core.projection_info(index)
        self.name, self.source, self.target, self.port = info["name"], info["source"], info["target"], info["port"]
        self.size = info["size"]
        self.delay_min_ms, self.delay_max_ms = info["delay_min_ms"], info["delay_max_ms"]
        self.bounds, self.inflight = info["bounds"], info["inflight"]
        self.source_node_id, self.target_node_id = info["source_node_id"], info["target_node_id"]

    @property
    def delays(self):
        return self._sim._core.delays(self._q)

    @delays.setter
    def delays(self, values):
        self._sim._core.set_delays(self._q, self._values(values))

    @property
    def weights(self):
        return self._sim._core.weights(self._q)

    @weights.setter
    def weights(self, values):
        self._sim._core.set_weights(self._q, self._values(values))

    def _values(self, values):
        """An array of one value per synapse; a scalar means every synapse."""
        a = np.asarray(values, dtype=float)
        return np.full(self.size, float(a)) if a.ndim == 0 else np.ascontiguousarray(a.ravel())

    def set_delay(self, i, d):
        self._sim._core.set_delay(self._q, int(i), float(d))

    def set_weight(self, i, w):
        self._sim._core.set_weight(self._q, int(i), float(w))

    def frame(self):
        """DataFrame: synapse_id, source, target, delay_ms, weight (now)."""
        return pd.DataFrame({"synapse_id": np.arange(self.size), "source": self.source_node_id.astype(np.int64),
                             "target": self.target_node_id.astype(np.int64), "delay_ms": self.delays,
                             "weight": self.weights})

    def __len__(self):
        return self.size

    def __repr__(self):
        return (f"<delaysim.Projection {self.name}: {self.source} -> {self.target}.{self.port}, {self.size} synapses, "
                f"delays in [{self.delay_min_ms:g}, {self.delay_max_ms:g}] ms ({self.bounds}, {self.inflight})>")


class Population:
    """One population of a Simulation; state(var) is a numpy array (one value per
    node) at sim.t."""

    def __init__(self, sim, index):
        self._sim, self._i = sim, index
        info = sim._core.population_info(index)
        self.name, self.model, self.size = info["name"], info["model"], info["size"]
        self.is_source, self.variables = info["is_source"], list(info["variables"])

    def state(self, var):
        return self._sim._core.state(self._i, var)

    def frame(self):
        """DataFrame: one row per node, one column per variable, at sim.t."""
        return pd.DataFrame({v: self.state(v) for v in self.variables})

    def __len__(self):
        return self.size

    def __repr__(self):
        return f"<delaysim.Population {self.name}: {self.size} x {self.model}>"


class Simulation:
    """A simulation held open between calls: run(until_ms) in chunks (the same
    spikes as one run), read and write synapses between chunks, save().

    ds.Simulation(net, seed=0, t_stop_ms=None) builds a Network; without
    t_stop_ms the run is open-ended (save() then calls a file completed when
    the last run() reached its end)."""

    def __init__(self, net, seed=0, t_stop_ms=None):
        if not isinstance(net, Network):
            raise TypeError("ds.Simulation(net) takes a ds.Network; use ds.load(path) for a model file")
        core = _core.load_text(net.to_toml(seed=seed, t_stop_ms=t_stop_ms), "<ds.Network>", [], t_stop_ms is None)
        self._init(core)
        self.network = net
        for rule, projections, name in net.python_rules:
            self.add_rule(rule, projections, name=name)

    @classmethod
    def _wrap(cls, core):
        self = cls.__new__(cls)
        self._init(core)
        self.network = None
        return self

    def _init(self, core):
        self._core = core
        self._projections, self._populations = {}, {}
        self.populations = [core.population_info(i)["name"] for i in range(core.n_populations)]
        self.projections = [core.projection_info(q)["name"] for q in range(core.n_projections)]

    # --- running --------------------------------------------------------------------
    def run(self, until_ms):
        """Simulate up to until_ms (absolute, > t): every event with t < until_ms.
        Returns True when it got there. Ctrl-C stops it at an event boundary and
        raises KeyboardInterrupt (sim.t tells where; everything recorded is kept,
        and it can run on). An exception from a rule propagates with its
        traceback; the simulation can then be read and saved (completed=False),
        not run on."""
        return self._core.run(float(until_ms))

    @property
    def t(self):
        """Current time, ms."""
        return self._core.t

    @property
    def t_stop_ms(self):
        return self._core.t_stop

    @property
    def completed(self):
        """Whether the run reached t_stop_ms without being stopped or failing."""
        return self._core.completed

    @property
    def config_toml(self):
        return self._core.config_toml

    def add_rule(self, rule, projections, name=None):
        """Attach a Python rule before the first run. rule: an object with any of
        on_pre_spike, on_delivered, on_post_spike, on_inhibited (self, syn, t), where
        syn is a ds.Synapse (weight, delay, index, slot, source, target, now,
        set_weight, set_delay) valid during the call; optional attach(self, slot,
        n_synapses), and writes_delays / writes_weights (default True) as the C++
        Rule. Its changes are logged under `name` (default: its class name or
        its `name` attribute)."""
        if isinstance(projections, str):
            projections = [projections]
        if name is None:
            name = getattr(rule, "name", None) or type(rule).__name__
        self._core.add_rule(rule, [self._core.projection_index(p) for p in projections], str(name))

    # --- reading and writing ---------------------------------------------------------
    def projection(self, name):
        if name not in self._projections:
            self._projections[name] = Projection(self, self._core.projection_index(name))
        return self._projections[name]

    def population(self, name):
        if name not in self._populations:
            self._populations[name] = Population(self, self._core.population_index(name))
        return self._populations[name]

    def spikes(self, name=None):
        """DataFrame time_ms, node_id of every spike so far (of one population, or
        of all with a population column), in time order."""
        if name is not None:
            t, n = self._core.spikes(self._core.population_index(name))
            return pd.DataFrame({"time_ms": t, "node_id": n.astype(np.int64)})
        frames = []
        for p in self.populations:
            df = self.spikes(p)
            df.insert(0, "population", p)
            frames.append(df)
        df = pd.concat(frames, ignore_index=True)
        return df.sort_values("time_ms", kind="stable").reset_index(drop=True)

    def checkpoint(self, path):
        """Write the whole state at t to the checkpoint file `path`, which
        resume() and `delaysim resume` continue. Only a simulation load()ed from
        a model file; ConfigError naming what cannot be saved (e.g. a Python rule)."""
        try:
            self._core.checkpoint(str(path))
        except ValueError as e:
            if isinstance(e, ConfigError):
                raise
            raise ConfigError(str(e)) from None

    def save(self, path):
        """Write the HDF5 file of the run so far (the documented layout, everything
        the config records); completed says whether t_stop_ms was reached."""
        self._core.save(str(path))

    def __repr__(self):
        state = "completed" if self.completed else ("failed" if self._core.failed else "running")
        return (f"<delaysim.Simulation t={self.t:g} ms of {self.t_stop_ms:g} ms ({state}): "
                f"{len(self.populations)} populations, {len(self.projections)} projections>")
