"""The delaysim package against the CLI: every config in configs/ gives the same
file to the bit, in one run and in chunks; networks built in code equal their
model files; spikes, state and the registries as the CLI sees them."""
import os
import re
import subprocess

import numpy as np
import pytest

from conftest import BINARY, CONFIGS, SEED, arrays, assert_same_file, cli_run, seed_network


def _chunks(ref, t_stop):
    """Chunk ends: uneven fractions of t_stop, and the time of an actual spike
    (an event exactly at a chunk end belongs to the next chunk)."""
    ends = {round(t_stop * 0.37, 3), round(t_stop * 0.71, 3)}
    spikes = sorted(t for k, v in ref.items() if k.endswith("/timestamps") for t in v.tolist())
    if spikes:
        ends.add(spikes[len(spikes) // 2])
    return sorted(e for e in ends if 0 < e < t_stop) + [t_stop]


@pytest.mark.parametrize("config", CONFIGS, ids=os.path.basename)
def test_every_config_equals_the_cli_in_one_run_and_in_chunks(ds, config, tmp_path):
    ref = cli_run(config, tmp_path / "cli.h5")
    one = ds.load(config)
    assert one.run(one.t_stop_ms) is True and one.completed
    one.save(tmp_path / "one.h5")
    assert_same_file(ref, tmp_path / "one.h5")
    chunked = ds.load(config)
    for end in _chunks(arrays(ref), chunked.t_stop_ms):
        assert not chunked.completed
        chunked.run(end)
        assert chunked.t == end
    chunked.save(tmp_path / "chunked.h5")
    assert_same_file(ref, tmp_path / "chunked.h5")
    # The in-memory spikes are the file's.
    A = arrays(ref)
    for pop in chunked.populations:
        if f"spikes/{pop}/timestamps" not in A:
            continue
        df = chunked.spikes(pop)
        assert list(df.columns) == ["time_ms", "node_id"]
        assert np.array_equal(df["time_ms"].to_numpy(), A[f"spikes/{pop}/timestamps"])
        assert np.array_equal(df["node_id"].to_numpy(), A[f"spikes/{pop}/node_ids"].astype(np.int64))


def test_many_small_chunks_on_a_batched_network(ds, tmp_path):
    """golden_lif_stdp (slice-batched, delay_shift_stdp): 37 chunks of 10.81 ms."""
    config = os.path.join(os.path.dirname(SEED), "golden_lif_stdp.toml")
    ref = cli_run(config, tmp_path / "cli.h5")
    sim = ds.load(config)
    t = 0.0
    while t < sim.t_stop_ms:
        t = min(t + 10.81, sim.t_stop_ms)
        sim.run(t)
    sim.save(tmp_path / "py.h5")
    assert_same_file(ref, tmp_path / "py.h5")


def test_set_options_are_the_clis(ds, tmp_path):
    ref = cli_run(SEED, tmp_path / "cli.h5", "--set", "simulation.t_stop_ms=300",
                  "--set", "projection.sg2_n1.delay_ms=3", "--set", "projection.sg2_n1.inflight=retime")
    sim = ds.load(SEED, set={"simulation.t_stop_ms": 300, "projection.sg2_n1.delay_ms": 3,
                             "projection.sg2_n1.inflight": "retime"})
    assert sim.t_stop_ms == 300 and sim.projection("sg2_n1").inflight == "retime"
    sim.run(300)
    sim.save(tmp_path / "py.h5")
    assert_same_file(ref, tmp_path / "py.h5")


def test_a_network_built_in_code_equals_its_model_file(ds, tmp_path):
    ref = cli_run(SEED, tmp_path / "cli.h5")
    sim = ds.Simulation(seed_network(ds), seed=0, t_stop_ms=1040.0)
    sim.run(400)
    sim.run(1040)
    assert sim.completed
    sim.save(tmp_path / "net.h5")
    assert_same_file(ref, tmp_path / "net.h5")


def test_open_ended_network(ds, tmp_path):
    """Without t_stop_ms a run is complete when it reached the last time asked
    for; chunks equal one run, and (root searches being exact) a file run."""
    one = ds.Simulation(seed_network(ds))
    one.run(300)
    assert one.completed and one.t_stop_ms == 300
    one.save(tmp_path / "one.h5")
    run = ds.h5.load(tmp_path / "one.h5")
    assert run.completed is True and run.t_stop_ms == 300.0
    chunked = ds.Simulation(seed_network(ds))
    for t in (17.2966, 100, 250.5, 300):
        chunked.run(t)
    chunked.save(tmp_path / "chunked.h5")
    assert_same_file(tmp_path / "one.h5", tmp_path / "chunked.h5")
    assert_same_file(cli_run(SEED, tmp_path / "cli.h5", "--set", "simulation.t_stop_ms=300"), tmp_path / "one.h5")


def test_state_is_the_sample_at_that_time(ds, tmp_path):
    """population.state(var) at t equals the CLI's trace sample at t (same closed form)."""
    ref = arrays(cli_run(SEED, tmp_path / "cli.h5"))
    times = ref["traces/N1/v/time"]
    k = 5203
    sim = ds.load(SEED)
    sim.run(times[k])
    for pop in ("N1", "N2"):
        for var in sim.population(pop).variables:
            assert sim.population(pop).state(var)[0] == ref[f"traces/{pop}/{var}/data"][k, 0], (pop, var)
    assert list(sim.population("N1").frame().columns) == sim.population("N1").variables


def test_models_and_rules_are_the_registries(ds):
    listed = subprocess.run([BINARY, "list"], capture_output=True, text=True, check=True).stdout
    names = re.findall(r"^  (\w+) - ", listed, re.M)
    models, rules = ds.models(), ds.rules()
    assert [m["name"] for m in models] + [r["name"] for r in rules] == \
        [n for n in names if n in {m["name"] for m in models}] + [n for n in names if n in {r["name"] for r in rules}]
    assert set(names) == {m["name"] for m in models} | {r["name"] for r in rules}
    coincidence = next(m for m in models if m["name"] == "coincidence")
    assert coincidence["kind"] == "model"
    assert [p["name"] for p in coincidence["ports"]] == ["a", "b", "inhibit"]
    assert coincidence["ports"][2]["kind"] == "inhibit"
    assert "v" in [v["name"] for v in coincidence["variables"]]
    tau = next(p for p in coincidence["params"] if p["name"] == "tau_ms")
    assert tau["unit"] == "ms" and tau["min_exclusive"] and tau["min"] == 0 and tau["max"] is None
    assert tau["kind"] == "real" and tau["range"] == "(0, inf)" and coincidence["parameters"] == coincidence["params"]
    assert any(m["kind"] == "source" for m in models)
    shift = next(r for r in rules if r["name"] == "loser_delay_shift")
    assert shift["kind"] == "rule" and shift["params"][0]["name"] == "step_ms"
    assert shift["params"][0]["default"] == 1.0 and shift["params"][0]["unit"] == "ms"
    for entry in models + rules:
        assert set(entry) >= {"name", "kind", "doc", "params", "ports", "variables"}
        for p in entry["params"]:
            assert set(p) >= {"name", "unit", "default", "min", "max"}
