"""ds.Network: a model built in code with the model file's keys.

The network is written out as a TOML model file (Network.to_toml()) and loaded
through the CLI's own loader, so a network built here gets exactly the checks,
defaults and error messages of a file: a bad key or value raises
ds.ConfigError located in that text ("<ds.Network>:LINE:COL: error: ...").
Python rules (objects with hook methods) are kept aside and attached after
loading, after the rules given by name, in the order they were added.
"""
from . import _toml

_UNSET = object()
# The look-ahead of an open-ended simulation (27.8 hours of model time): spike
# predictions and root searches run up to it in every chunk, as in one run.
OPEN_END_MS = 1e8


class Network:
    """Populations, projections, rules and record settings (see configs/README.md
    for every key). `simulation` keys (inflight, batching, superposition, ...) may
    be given here; seed and t_stop_ms are given to ds.Simulation."""

    def __init__(self, **simulation):
        self.simulation = dict(simulation)
        self.populations = []
        self.projections = []
        self.rules = []          # [[plasticity]] tables
        self.python_rules = []   # (object, [projection names], name)
        self.record_options = {}
        self.traces = []
        self.synapses = []

    # --- the model ---------------------------------------------------------------
    def add_population(self, name, model, size=1, params=None, initial=None):
        t = {"name": name, "model": model, "size": size}
        if params:
            t["params"] = dict(params)
        if initial:
            t["initial"] = dict(initial)
        self.populations.append(t)
        return self

    def add_projection(self, name, source, target, port, connect="all_to_all", weight=1.0, delay_ms=1.0, **keys):
        """keys: the other [[projection]] keys (delay_min_ms, delay_max_ms, bounds,
        inflight, pairs, probability, indegree, autapses, connect_seed)."""
        t = {"name": name, "source": source, "target": target, "port": port, "connect": connect,
             "weight": weight, "delay_ms": delay_ms}
        t.update(keys)
        self.projections.append(t)
        return self

    def add_rule(self, rule, projections, params=None, name=None):
        """rule: a registered rule's name (ds.rules()), or a Python rule object
        (a class with on_pre_spike / on_delivered / on_post_spike / on_inhibited;
        see delaysim.Simulation.add_rule). projections: a name or a list of names."""
        if isinstance(projections, str):
            projections = [projections]
        if isinstance(rule, str):
            t = {"rule": rule, "projections": list(projections)}
            if params:
                t["params"] = dict(params)
            self.rules.append(t)
        else:
            if params:
                raise ValueError("a Python rule takes its parameters in its constructor, not params=")
            self.python_rules.append((rule, list(projections), name))
        return self

    # --- what is recorded (the [record] tables) ----------------------------------
    def record(self, interval_ms=_UNSET, spikes=_UNSET):
        """interval_ms: sampling interval of traces and synapse samples (default 0.1);
        spikes: population names whose spikes go to the file (default all)."""
        if interval_ms is not _UNSET:
            self.record_options["interval_ms"] = interval_ms
        if spikes is not _UNSET:
            self.record_options["spikes"] = list(spikes)
        return self

    def record_traces(self, population, variables=None, nodes=None):
        t = {"population": population}
        if variables is not None:
            t["variables"] = list(variables)
        if nodes is not None:
            t["nodes"] = list(nodes)
        self.traces.append(t)
        return self

    def record_synapses(self, projection, variables=None, synapses=None):
        t = {"projection": projection}
        if variables is not None:
            t["variables"] = list(variables)
        if synapses is not None:
            t["synapses"] = list(synapses)
        self.synapses.append(t)
        return self

    # --- as a model file ----------------------------------------------------------
    def to_toml(self, seed=0, t_stop_ms=None):
        """The model file of this network. Without t_stop_ms the run is open-ended:
        OPEN_END_MS is written as t_stop_ms, the look-ahead of every run (runs
        beyond it stay correct, but are no longer bit-identical to one run)."""
        lines = ["# written by delaysim.Network", "[simulation]"]
        sim = {"t_stop_ms": float(t_stop_ms) if t_stop_ms is not None else OPEN_END_MS, "seed": seed}
        sim.update(self.simulation)
        lines += [f"{_toml.key(k)} = {_toml.value(v)}" for k, v in sim.items()]
        record = dict(self.record_options)
        if t_stop_ms is None and "t_stop_ms" not in self.simulation:
            # The output estimate would judge the open end as the run's length; the
            # file grows only as far as sim.run goes.
            record.setdefault("max_output_gb", float("inf"))
        if record:
            lines += ["", "[record]"] + [f"{k} = {_toml.value(v)}" for k, v in record.items()]
        for header, tables in (("record.traces", self.traces), ("record.synapses", self.synapses),
                               ("population", self.populations), ("projection", self.projections),
                               ("plasticity", self.rules)):
            for t in tables:
                lines += ["", f"[[{header}]]"] + [f"{_toml.key(k)} = {_toml.value(v)}" for k, v in t.items()]
        return "\n".join(lines) + "\n"

    def __repr__(self):
        return (f"<delaysim.Network: {len(self.populations)} populations, {len(self.projections)} projections, "
                f"{len(self.rules) + len(self.python_rules)} rules>")
