"""Writing delays and weights between chunks (bounds, /plasticity, the effect on
spikes in flight) and rules written in Python (the same results as the C++
rule they copy; the synapse handle)."""
import h5py
import numpy as np
import pytest

from conftest import SEED, assert_same_file, cli_run, seed_network


def bounded_network(ds, inflight="keep"):
    """SG (one pattern source) -> N (3 coincidence neurons): one projection per bound policy."""
    net = ds.Network(inflight=inflight)
    net.add_population("SG", "pattern_source", params={"pattern_ms": [1.0, 2.5, 4.0], "period_ms": 10.0,
                                                         "repeats": 100})
    net.add_population("N", "coincidence", size=3)
    net.add_projection("clamped", "SG", "N", "a", delay_ms=2.0, delay_min_ms=0.5, delay_max_ms=5.0, bounds="clamp")
    net.add_projection("wrapped", "SG", "N", "a", delay_ms=2.0, delay_min_ms=1.0, delay_max_ms=4.0, bounds="wrap")
    net.add_projection("strict", "SG", "N", "b", delay_ms=2.0, delay_min_ms=0.0, delay_max_ms=5.0, bounds="error")
    return net


def events(path, projection):
    with h5py.File(path, "r") as f:
        g = f[f"plasticity/{projection}/events"]
        return [(float(t), int(s), v.decode(), float(o), float(n), r.decode()) for t, s, v, o, n, r in
                zip(g["time"][()], g["synapse_id"][()], g["variable"][()], g["old"][()], g["new"][()], g["rule"][()])]


def test_delay_writes_follow_the_bounds_and_are_logged(ds, tmp_path):
    sim = ds.Simulation(bounded_network(ds), t_stop_ms=100.0)
    sim.run(50)
    c, w, s = sim.projection("clamped"), sim.projection("wrapped"), sim.projection("strict")
    c.set_delay(0, 9.0)     # above: clamped to 5
    c.set_delay(1, -2.0)    # below: clamped to 0.5
    w.set_delay(0, 5.5)     # 1 + (4.5 mod 3) = 2.5
    w.set_delay(1, 4.0)     # the upper bound itself wraps to the lower one
    w.delays = [2.0, 1.0, 0.25]  # an array: only changed entries are written; 0.25 -> 1 + (-0.75 mod 3) = 3.25
    assert c.delays.tolist() == [5.0, 0.5, 2.0]
    assert w.delays.tolist() == [2.0, 1.0, 3.25]
    assert c.delays.dtype == np.float64
    copy = c.delays
    copy[2] = 4.0           # a copy: nothing written
    assert c.delays[2] == 2.0
    with pytest.raises(ValueError, match=r"delay 6 ms of synapse 1 is above delay_max_ms = 5 ms \(bounds = \"error\"\)"):
        s.set_delay(1, 6.0)
    with pytest.raises(ValueError, match="below delay_min_ms = 0 ms"):
        s.delays = [1.0, 1.0, -1.0]
    assert s.delays.tolist() == [2.0, 2.0, 2.0]  # a refused array changes nothing
    s.delays = 3.0          # a scalar broadcasts
    s.set_weight(2, 0.25)
    with pytest.raises(ValueError, match="not a finite number"):
        s.set_weight(0, float("nan"))
    with pytest.raises(ValueError, match="no synapse 7"):
        s.set_delay(7, 1.0)
    sim.run(100)
    sim.save(tmp_path / "w.h5")
    assert events(tmp_path / "w.h5", "clamped") == [(50.0, 0, "delay", 2.0, 5.0, "user"),
                                                    (50.0, 1, "delay", 2.0, 0.5, "user")]
    assert events(tmp_path / "w.h5", "wrapped") == [(50.0, 0, "delay", 2.0, 2.5, "user"),
                                                    (50.0, 1, "delay", 2.0, 1.0, "user"),
                                                    (50.0, 0, "delay", 2.5, 2.0, "user"),
                                                    (50.0, 2, "delay", 2.0, 3.25, "user")]
    assert events(tmp_path / "w.h5", "strict") == [(50.0, k, "delay", 2.0, 3.0, "user") for k in range(3)] + \
        [(50.0, 2, "weight", 1.0, 0.25, "user")]
    assert ds.h5.load(tmp_path / "w.h5").plasticity["rule"].eq("user").all()


def test_a_delay_written_before_the_run_equals_the_config_value(ds, tmp_path):
    """Writing sg2_n1's delay at t = 0 gives the run of a file with that delay
    (and one /plasticity event more)."""
    ref = cli_run(SEED, tmp_path / "cli.h5", "--set", "projection.sg2_n1.delay_ms=3")
    sim = ds.load(SEED)
    sim.projection("sg2_n1").delays = [3.0]
    sim.run(520)
    sim.run(1040)
    sim.save(tmp_path / "py.h5")
    assert_same_file(ref, tmp_path / "py.h5", skip=("plasticity/sg2_n1/",))
    mine, theirs = events(tmp_path / "py.h5", "sg2_n1"), events(ref, "sg2_n1")
    assert mine[0] == (0.0, 0, "delay", 0.0, 3.0, "user") and mine[1:] == theirs


class Spy:
    """Records every delivery through its projection (time, delay in force, synapse)."""
    writes_delays = False
    writes_weights = False

    def __init__(self):
        self.seen = []

    def on_delivered(self, syn, t):
        assert syn.now == t
        self.seen.append((t, syn.delay, syn.index, syn.source, syn.target, syn.slot))


@pytest.mark.parametrize("inflight", ["keep", "retime"])
def test_a_delay_written_mid_run_moves_later_arrivals(ds, inflight):
    """Source spikes at 1, 2.5, 4 (+10 k) ms. Delay 2 ms until t = 33, then 5 ms:
    keep: spikes emitted before 33 keep 2 ms; retime: those in flight at 33 move
    to emission + 5 ms. (The hook sees the delay in force at delivery.)"""
    net = bounded_network(ds, inflight)
    spy = Spy()
    net.add_rule(spy, "strict")
    sim = ds.Simulation(net, t_stop_ms=60.0)
    sim.run(33.0)
    sim.projection("strict").delays = 5.0
    sim.run(60.0)
    emitted = sorted(10.0 * k + p for k in range(6) for p in (1.0, 2.5, 4.0))
    want = []
    for te in emitted:
        d = 2.0 if (te + 2.0 < 33.0 or (te < 33.0 and inflight == "keep")) else 5.0
        if te + d < 60.0:
            want += [(te + d, 2.0 if te + d < 33.0 else 5.0, k, 0, k, 0) for k in range(3)]
    assert sorted(spy.seen) == sorted(want)
    # Emitted at 31 and 32.5, in flight at 33: 33 and 34.5 under keep, 36 and 37.5 under retime.
    arrivals = {t for t, *_ in spy.seen}
    assert ({33.0, 34.5} if inflight == "keep" else {36.0, 37.5}) <= arrivals
    assert not ({36.0, 37.5} if inflight == "keep" else {33.0, 34.5}) & arrivals


class LoserDelayShift:
    """plasticity/loser_delay_shift.cpp in Python: an inhibited neuron shifts its
    plastic input delays by step_ms (bounds applied by the handle)."""
    writes_weights = False

    def __init__(self, step_ms=1.0):
        self.step_ms = step_ms

    def on_inhibited(self, syn, t):
        syn.set_delay(syn.delay + self.step_ms)


def _without_plasticity(path):
    text = open(path).read()
    return text[:text.index("[[plasticity]]")]


def test_a_python_rule_equals_the_cpp_rule_it_copies(ds, tmp_path):
    ref = cli_run(SEED, tmp_path / "cli.h5")
    sim = ds.loads(_without_plasticity(SEED), name=SEED)
    sim.add_rule(LoserDelayShift(1.0), ["sg2_n1", "sg2_n2"], name="loser_delay_shift")
    sim.run(300)
    sim.run(1040)
    sim.save(tmp_path / "py.h5")
    assert_same_file(ref, tmp_path / "py.h5")
    assert len(events(tmp_path / "py.h5", "sg2_n1")) == 14


def test_a_python_rule_in_a_network_built_in_code(ds, tmp_path):
    """Network.add_rule takes the object too; changes are logged under its class name."""
    net = seed_network(ds, rule=False)
    net.add_rule(LoserDelayShift(1.0), ["sg2_n1", "sg2_n2"])
    sim = ds.Simulation(net, t_stop_ms=1040.0)
    sim.run(1040)
    sim.save(tmp_path / "py.h5")
    ev = ds.h5.load(tmp_path / "py.h5").plasticity
    assert set(ev["rule"]) == {"LoserDelayShift"} and len(ev) == 27
    ref = ds.h5.load(cli_run(SEED, tmp_path / "cli.h5")).plasticity
    assert ev["new"].tolist() == ref["new"].tolist() and ev["time_ms"].tolist() == ref["time_ms"].tolist()


def test_the_handle_is_valid_only_during_the_call(ds):
    class Keep:
        def on_inhibited(self, syn, t):
            self.syn = syn
    rule = Keep()
    sim = ds.loads(_without_plasticity(SEED), name=SEED)
    sim.add_rule(rule, "sg2_n1")
    sim.run(100)
    with pytest.raises(ValueError, match="only inside the hook"):
        rule.syn.delay
    with pytest.raises(ValueError, match="before the first run"):
        sim.add_rule(LoserDelayShift(), "sg2_n2")
