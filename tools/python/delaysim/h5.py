"""delaysim.h5: read a delaysim HDF5 output file (layout: sim/recorder.hpp and
the README) into numpy/pandas. Pure Python (h5py, numpy, pandas): it does not
need the compiled module (tools/delaysim_h5.py loads this file directly).

One line, one DataFrame:
    ds.h5.load("out/learn.h5").spikes      # population, node_id, time_ms

    import delaysim as ds
    run = ds.h5.load("out/two_neuron_delay_learning.h5")
    run                   # repr: the run's summary (attributes, spikes, traces, synapses, events)
    run.completed, run.seed, run.t_stop_ms, run.config_toml   # root attributes
    run.spikes            # DataFrame: population, node_id, time_ms (sorted by time)
    run.spikes_of("N1")   # same, one population
    run.traces[("N1", "v")].time / .node_ids / .data   # data: [n_samples, n_nodes]
    run.trace_frame()     # tidy: population, variable, node_id, time_ms, value
    run.synapses[("sg2_n1", "delay")]                   # .time, .data, .synapse_ids, ...
    run.synapse_frame()   # tidy: projection, variable, synapse_id, source, target, time_ms, value
    run.plasticity        # DataFrame: time_ms, synapse_id, variable, old, new, rule, projection
    run.delay_steps("sg2_n1")  # delay of each synapse as a step function from events
    run.synapse_values_at("sg2_n1", "delay", 250.0)  # recorded synapses' values at t, either mode

Works on any file in this layout, also on files written by other tools (the
Brian2 reference) that lack groups or attributes: what is missing is empty or
None. Trace and synapse data are read on first access (files may be large);
if the file was rewritten since load() (a new run to the same path), that
access raises StaleFileError instead of mixing old metadata with new data:
load the file again. Every time column is `time_ms` (ms).

    python3 tools/delaysim_h5.py OUT.h5     # prints the summary
"""
import argparse
import io
import os
import sys
from dataclasses import dataclass, field

import h5py
import numpy as np
import pandas as pd

__all__ = ["load", "Run", "Trace", "SynapseSamples", "StaleFileError", "summary"]


class StaleFileError(OSError):
    """The file changed on disk after it was loaded."""


def _stamp(path):
    """What identifies one version of a file: a rewrite changes at least one."""
    st = os.stat(path)
    return (st.st_ino, st.st_size, st.st_mtime_ns)


def _str(x):
    """HDF5 strings arrive as str, bytes or 0-d arrays depending on how they were written."""
    if isinstance(x, np.ndarray) and x.shape == ():
        x = x[()]
    if isinstance(x, (bytes, np.bytes_)):
        return x.decode("utf-8", "replace")
    return None if x is None else str(x)


def _strings(a):
    return np.array([_str(x) for x in a], dtype=object)


def _attr(obj, name, default=None):
    return obj.attrs[name] if name in obj.attrs else default


def _read(group, name, dtype=None, default=None):
    if group is None or name not in group or not isinstance(group[name], h5py.Dataset):
        return default
    a = group[name][()]
    return a if dtype is None else np.asarray(a, dtype=dtype)


def _groups(parent):
    """(name, subgroup) pairs, in name order; nothing if parent is missing."""
    if parent is None:
        return []
    return [(k, v) for k, v in parent.items() if isinstance(v, h5py.Group)]


@dataclass
class _Lazy2D:
    """A [n_samples, n_columns] dataset read on first use (or column by column)."""
    path: str
    name: str
    n_rows: int
    n_columns: int
    stamp: tuple = None
    _cache: np.ndarray = field(default=None, repr=False)

    def read(self, columns=None):
        if self._cache is not None:
            return self._cache if columns is None else self._cache[:, columns]
        if self.stamp is not None and _stamp(self.path) != self.stamp:
            raise StaleFileError(f"{self.path} was rewritten after it was loaded; load it again")
        with h5py.File(self.path, "r") as f:
            ds = f[self.name]
            if ds.ndim == 1:  # a single series written as a vector
                a = ds[()].reshape(-1, 1)
                return a if columns is None else a[:, columns]
            if columns is None:
                self._cache = ds[()]
                return self._cache
            cols = np.atleast_1d(np.asarray(columns, dtype=np.int64))
            order = np.argsort(cols)  # h5py wants increasing indices
            a = np.empty((ds.shape[0], len(cols)), dtype=ds.dtype)
            if len(cols):
                a[:, order] = ds[:, cols[order].tolist()]
            return a if np.ndim(columns) else a[:, 0]


@dataclass
class Trace:
    """Samples of one variable of one population: data[k, j] is node node_ids[j] at time[k] (ms)."""
    population: str
    variable: str
    time: np.ndarray
    node_ids: np.ndarray
    units: str
    _data: _Lazy2D = field(repr=False)

    @property
    def data(self):
        return self._data.read()

    def node(self, node_id):
        """Samples of one node (1-D)."""
        j = int(np.flatnonzero(self.node_ids == node_id)[0])
        return self._data.read(j)


@dataclass
class SynapseSamples:
    """Samples of delay or weight: data[k, j] is synapse synapse_ids[j] at time[k] (ms)."""
    projection: str
    variable: str
    time: np.ndarray
    synapse_ids: np.ndarray
    source_node_id: np.ndarray
    target_node_id: np.ndarray
    units: str
    _data: _Lazy2D = field(repr=False)
    mode: str = "grid"  # "on_change": no samples; initial values + /plasticity events
    initial: np.ndarray = None  # on_change: values at t = 0, one per synapse_ids entry

    @property
    def data(self):
        return self._data.read()


class Run:
    """Everything in one output file; see the module docstring."""

    def __init__(self, path):
        self.path = str(path)
        self.stamp = _stamp(self.path)
        with h5py.File(self.path, "r") as f:
            a = f.attrs
            self.attrs = {k: (_str(v) if isinstance(v, (bytes, str, np.bytes_)) else v) for k, v in a.items()}
            completed = _attr(f, "completed")
            self.completed = None if completed is None else bool(np.asarray(completed))
            seed = _attr(f, "seed")
            self.seed = None if seed is None else int(seed)
            t_stop = _attr(f, "t_stop_ms")
            self.t_stop_ms = None if t_stop is None else float(t_stop)
            self.config_toml = _str(_attr(f, "config_toml"))
            self.version = _str(_attr(f, "delaysim_version"))
            self.spike_populations = [p for p, _ in _groups(f.get("spikes"))]  # also those without spikes
            self.spikes = self._load_spikes(f)
            self.traces = self._load_traces(f)
            self.synapses = self._load_synapses(f)
            self.plasticity = self._load_plasticity(f)

    # --- loading ---------------------------------------------------------------
    @staticmethod
    def _load_spikes(f):
        frames = []
        for pop, g in _groups(f.get("spikes")):
            t = _read(g, "timestamps", float, np.empty(0))
            ids = _read(g, "node_ids", np.uint64, np.zeros(len(t), np.uint64))
            frames.append(pd.DataFrame({"population": pop, "node_id": ids.astype(np.int64), "time_ms": t}))
        if not frames:
            return pd.DataFrame({"population": pd.Series(dtype=object), "node_id": pd.Series(dtype=np.int64),
                                 "time_ms": pd.Series(dtype=float)})
        df = pd.concat(frames, ignore_index=True)
        return df.sort_values("time_ms", kind="stable").reset_index(drop=True)

    def _lazy(self, ds):
        n_cols = ds.shape[1] if ds.ndim == 2 else 1
        return _Lazy2D(self.path, ds.name, ds.shape[0], n_cols, self.stamp)

    def _load_traces(self, f):
        out = {}
        for pop, pg in _groups(f.get("traces")):
            for var, g in _groups(pg):
                if "data" not in g:
                    continue
                lazy = self._lazy(g["data"])
                time = _read(g, "time", float, np.arange(lazy.n_rows, dtype=float))
                ids = _read(g, "node_ids", np.int64, np.arange(lazy.n_columns))
                units = _str(_attr(g["data"], "units", "")) or ""
                out[(pop, var)] = Trace(pop, var, time, ids, units, lazy)
        return out

    def _load_synapses(self, f):
        out = {}
        for proj, pg in _groups(f.get("synapses")):
            for var, g in _groups(pg):
                if "data" not in g:
                    continue
                lazy = self._lazy(g["data"])
                n = lazy.n_columns
                ids = _read(pg, "synapse_ids", np.int64, np.arange(n))
                src = _read(pg, "source_node_id", np.int64, np.full(n, -1))
                tgt = _read(pg, "target_node_id", np.int64, np.full(n, -1))
                time = _read(g, "time", float, np.arange(lazy.n_rows, dtype=float))
                units = _str(_attr(g["data"], "units", "ms" if var == "delay" else "")) or ""
                mode = _str(_attr(g, "mode", "grid")) or "grid"
                initial = _read(g, "initial", float, None)
                out[(proj, var)] = SynapseSamples(proj, var, time, ids, src, tgt, units, lazy, mode, initial)
        return out

    @staticmethod
    def _load_plasticity(f):
        cols = ["time_ms", "synapse_id", "variable", "old", "new", "rule", "projection"]
        frames = []
        for proj, pg in _groups(f.get("plasticity")):
            g = pg.get("events")
            if not isinstance(g, h5py.Group):
                continue
            t = _read(g, "time", float, np.empty(0))
            n = len(t)
            frames.append(pd.DataFrame({
                "time_ms": t,
                "synapse_id": _read(g, "synapse_id", np.int64, np.zeros(n, np.int64)),
                "variable": _strings(_read(g, "variable", None, np.full(n, "delay", dtype=object))),
                "old": _read(g, "old", float, np.full(n, np.nan)),
                "new": _read(g, "new", float, np.full(n, np.nan)),
                "rule": _strings(_read(g, "rule", None, np.full(n, "", dtype=object))),
                "projection": proj,
            }))
        if not frames:
            return pd.DataFrame({c: pd.Series(dtype=float if c in ("time_ms", "old", "new") else object) for c in cols})
        df = pd.concat(frames, ignore_index=True)
        return df.sort_values("time_ms", kind="stable").reset_index(drop=True)

    @property
    def stale(self):
        """True if the file on disk is no longer the one that was loaded."""
        try:
            return _stamp(self.path) != self.stamp
        except OSError:
            return True

    def __repr__(self):
        out = io.StringIO()
        summary(self, out)
        return out.getvalue().rstrip("\n")

    # --- views -------------------------------------------------------------------
    @property
    def populations(self):
        """Population names seen in spikes or traces, in first-seen order."""
        return list(dict.fromkeys(self.spike_populations + [p for p, _ in self.traces]))

    def spikes_of(self, population, node_id=None):
        df = self.spikes[self.spikes["population"] == population]
        if node_id is not None:
            df = df[df["node_id"] == node_id]
        return df.reset_index(drop=True)

    def spikes_by_population(self):
        return {p: self.spikes_of(p) for p in self.spike_populations}

    def trace_frame(self, population=None, variable=None):
        """Tidy traces: one row per (population, variable, node, sample)."""
        frames = []
        for (pop, var), tr in self.traces.items():
            if (population is not None and pop != population) or (variable is not None and var != variable):
                continue
            d = tr.data
            frames.append(pd.DataFrame({
                "population": pop, "variable": var,
                "node_id": np.tile(tr.node_ids, len(tr.time)),
                "time_ms": np.repeat(tr.time, len(tr.node_ids)),
                "value": d.reshape(-1),
            }))
        if not frames:
            return pd.DataFrame(columns=["population", "variable", "node_id", "time_ms", "value"])
        return pd.concat(frames, ignore_index=True)

    def synapse_frame(self, projection=None, variable=None):
        """Tidy synapse samples: one row per (projection, variable, synapse, sample)."""
        frames = []
        for (proj, var), s in self.synapses.items():
            if (projection is not None and proj != projection) or (variable is not None and var != variable):
                continue
            n = len(s.time)
            frames.append(pd.DataFrame({
                "projection": proj, "variable": var,
                "synapse_id": np.tile(s.synapse_ids, n),
                "source": np.tile(s.source_node_id, n), "target": np.tile(s.target_node_id, n),
                "time_ms": np.repeat(s.time, len(s.synapse_ids)),
                "value": s.data.reshape(-1),
            }))
        if not frames:
            return pd.DataFrame(columns=["projection", "variable", "synapse_id", "source", "target", "time_ms", "value"])
        return pd.concat(frames, ignore_index=True)

    def synapse_values_at(self, projection, variable, t):
        """Values of the recorded synapses (order of .synapse_ids) at time t (ms),
        before the events at t, as a grid sample at t holds them: the last
        sample at or before t (on_change: the initial values at 0), then the
        /plasticity events from that sample's time up to, not including, t.
        Exact in both modes (events cover every synapse)."""
        s = self.synapses[(projection, variable)]
        if s.mode == "on_change" or len(s.time) == 0 or s.time[0] > t:
            if s.initial is None:
                raise ValueError(f"{projection}/{variable}: no sample at or before t = {t} ms")
            t0, values = 0.0, np.array(s.initial, dtype=float)
        else:
            k = int(np.searchsorted(s.time, t, side="right")) - 1
            t0, values = float(s.time[k]), np.array(s._data.read()[k], dtype=float)
        ev = self.plasticity
        ev = ev[(ev["projection"] == projection) & (ev["variable"] == variable)
                & (ev["time_ms"] >= t0) & (ev["time_ms"] < t)]
        column = {int(sid): j for j, sid in enumerate(s.synapse_ids)}
        for sid, new in zip(ev["synapse_id"].to_numpy(), ev["new"].to_numpy()):  # in time order
            j = column.get(int(sid))
            if j is not None:
                values[j] = new
        return values

    def delay_steps(self, projection, variable="delay"):
        """{synapse_id: (times, values)} from the plasticity events: the value
        before the first change at t=0, then each new value from its event time,
        extended to t_stop. Use with drawstyle='steps-post'."""
        ev = self.plasticity
        ev = ev[(ev["projection"] == projection) & (ev["variable"] == variable)]
        out = {}
        end = self.t_stop_ms
        for sid, g in ev.groupby("synapse_id", sort=True):
            t = np.concatenate([[0.0], g["time_ms"].to_numpy()])
            v = np.concatenate([[g["old"].iloc[0]], g["new"].to_numpy()])
            if end is not None and end > t[-1]:
                t, v = np.append(t, end), np.append(v, v[-1])
            out[int(sid)] = (t, v)
        return out


def load(path):
    """Read a delaysim (or same-layout) HDF5 file. See the module docstring."""
    return Run(path)


# --- summary CLI -----------------------------------------------------------------
def summary(run, out=None):
    out = sys.stdout if out is None else out
    w = lambda *a: print(*a, file=out)  # noqa: E731
    if run.stale:
        w(f"{run.path}  (rewritten since it was loaded: load it again)")
        return
    w(f"{run.path}")
    w(f"  delaysim {run.version or '?'}  completed={run.completed}  seed={run.seed}  t_stop={run.t_stop_ms} ms")
    if run.config_toml:
        w(f"  config: {len(run.config_toml.splitlines())} lines of TOML")
    w("spikes:" if run.spike_populations else "spikes: none")
    for pop, df in run.spikes_by_population().items():
        if len(df):
            w(f"  {pop}: {len(df)} spikes from {df['node_id'].nunique()} nodes, "
              f"{df['time_ms'].min():.6g} .. {df['time_ms'].max():.6g} ms")
        else:
            w(f"  {pop}: 0 spikes")
    w("traces:" if run.traces else "traces: none")
    for (pop, var), tr in run.traces.items():
        span = f"{tr.time[0]:.6g} .. {tr.time[-1]:.6g} ms" if len(tr.time) else "no samples"
        w(f"  {pop}/{var} [{tr.units}]: {len(tr.time)} samples x {len(tr.node_ids)} nodes, {span}")
    w("synapse samples:" if run.synapses else "synapse samples: none")
    for (proj, var), s in run.synapses.items():
        w(f"  {proj}/{var} [{s.units}]: {len(s.time)} samples x {len(s.synapse_ids)} synapses")
        if len(s.time) and len(s.synapse_ids):
            d = s._data.read(list(range(min(5, len(s.synapse_ids)))))
            for j in range(d.shape[1]):
                w(f"    synapse {s.synapse_ids[j]} ({s.source_node_id[j]} -> {s.target_node_id[j]}): "
                  f"{d[0, j]:.6g} -> {d[-1, j]:.6g}")
            if len(s.synapse_ids) > 5:
                w(f"    ... {len(s.synapse_ids) - 5} more")
    ev = run.plasticity
    w(f"plasticity events: {len(ev)}")
    for (proj, var), g in ev.groupby(["projection", "variable"], sort=True):
        rules = ", ".join(sorted(set(g["rule"])))
        w(f"  {proj}/{var}: {len(g)} changes by {rules}, {g['time_ms'].min():.6g} .. {g['time_ms'].max():.6g} ms")
        last = g.groupby("synapse_id").tail(1)
        for _, r in last.head(5).iterrows():
            w(f"    synapse {r['synapse_id']}: final {r['new']:.6g}")
        if len(last) > 5:
            w(f"    ... {len(last) - 5} more synapses")


def main(argv=None):
    ap = argparse.ArgumentParser(description="Summarise a delaysim HDF5 output file.")
    ap.add_argument("file", help="OUT.h5")
    args = ap.parse_args(argv)
    try:
        run = load(args.file)
    except OSError as e:
        print(f"{args.file}: error: {e}", file=sys.stderr)
        return 2
    summary(run)
    return 0


if __name__ == "__main__":
    sys.exit(main())
