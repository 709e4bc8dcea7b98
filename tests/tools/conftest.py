"""Synthetic delaysim output files, written with h5py in the DESIGN.md layout
(the same types the C++ recorder writes), for the Python tool tests."""
import h5py
import numpy as np
import pytest

STR = h5py.string_dtype("utf-8")


def _append_ds(g, name, data, dtype=None):
    data = np.asarray(data, dtype=dtype)
    maxshape = (None,) + data.shape[1:]
    chunks = (max(1, min(len(data), 4096)),) + tuple(max(1, s) for s in data.shape[1:])
    return g.create_dataset(name, data=data, maxshape=maxshape, chunks=chunks)


def write_seed_like(path, t_stop=100.0, dt=0.1, n_neurons=2, with_events=True, with_delay_samples=True,
                    spikes=True, completed=True):
    """Two sources SG1/SG2 and n_neurons coincidence neurons N (v, vth, s1, s2),
    a plastic projection sg2_n whose delays step up by 1 ms at known times."""
    t = np.arange(0.0, t_stop, dt)
    with h5py.File(path, "w") as f:
        f.attrs["delaysim_version"] = "0.1.0"
        f.attrs["config_toml"] = "[simulation]\nt_stop_ms = %g\n" % t_stop
        f.attrs["seed"] = np.uint64(42)
        f.attrs["t_stop_ms"] = float(t_stop)
        f.attrs["completed"] = np.bool_(completed)  # h5py writes its bool enum
        sp = f.create_group("spikes")
        for pop, n, times in [("SG1", 1, [1.0, 2.0, 3.0]), ("SG2", 1, [1.5, 2.5]),
                              ("N", n_neurons, [10.0, 20.0, 30.0] if spikes else [])]:
            g = sp.create_group(pop)
            g.attrs["sorting"] = "by_time"
            ts = _append_ds(g, "timestamps", np.asarray(times, float))
            ts.attrs["units"] = "ms"
            _append_ds(g, "node_ids", np.arange(len(times)) % n, np.uint64)
        tr = f.create_group("traces").create_group("N")
        ids = np.arange(n_neurons, dtype=np.uint64)
        for var, unit, fn in [("v", "1", lambda k: np.sin(t / 10 + k)), ("vth", "1", lambda k: 8 * np.exp(-t / 50) + k),
                              ("s1", "1", lambda k: np.exp(-(t % 13) / 0.5)), ("s2", "1", lambda k: 0 * t + k)]:
            g = tr.create_group(var)
            _append_ds(g, "time", t).attrs["units"] = "ms"
            _append_ds(g, "node_ids", ids)
            d = _append_ds(g, "data", np.stack([fn(k) for k in range(n_neurons)], axis=1))
            d.attrs["units"] = unit
        syn = f.create_group("synapses")
        if with_delay_samples:
            g = syn.create_group("sg2_n")
            _append_ds(g, "synapse_ids", np.arange(n_neurons), np.uint64)
            _append_ds(g, "source_node_id", np.zeros(n_neurons), np.uint64)
            _append_ds(g, "target_node_id", np.arange(n_neurons), np.uint64)
            dg = g.create_group("delay")
            _append_ds(dg, "time", t)
            delays = np.stack([k + np.floor(t / 25.0) for k in range(n_neurons)], axis=1)
            _append_ds(dg, "data", delays).attrs["units"] = "ms"
        pl = f.create_group("plasticity")
        if with_events:
            g = pl.create_group("sg2_n").create_group("events")
            et = np.array([25.0, 50.0, 75.0])
            _append_ds(g, "time", et)
            _append_ds(g, "synapse_id", np.zeros(3), np.uint64)
            _append_ds(g, "variable", np.array(["delay"] * 3, dtype=object), STR)
            _append_ds(g, "old", np.array([0.0, 1.0, 2.0]))
            _append_ds(g, "new", np.array([1.0, 2.0, 3.0]))
            _append_ds(g, "rule", np.array(["rival_shift"] * 3, dtype=object), STR)
            pl.create_group("fixed").create_group("events")  # listed but never changed: empty group
    return path


@pytest.fixture
def seed_file(tmp_path):
    return str(write_seed_like(tmp_path / "seed.h5"))


@pytest.fixture
def sparse_file(tmp_path):
    """A file like a Brian2 reference might write: some spikes and a trace, no
    synapses/plasticity groups, no root attributes, data as a 1-D vector."""
    path = tmp_path / "brian2.h5"
    with h5py.File(path, "w") as f:
        g = f.create_group("spikes").create_group("N1")
        g.create_dataset("timestamps", data=np.array([5.0, 7.0]))
        g.create_dataset("node_ids", data=np.array([0, 0], dtype=np.uint64))
        tg = f.create_group("traces").create_group("N1").create_group("v")
        tg.create_dataset("time", data=np.arange(10.0))
        tg.create_dataset("data", data=np.arange(10.0) ** 2)
    return str(path)


@pytest.fixture
def empty_file(tmp_path):
    path = tmp_path / "empty.h5"
    with h5py.File(path, "w") as f:
        f.attrs["completed"] = np.bool_(False)
    return str(path)
