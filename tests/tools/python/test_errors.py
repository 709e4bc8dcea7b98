"""Errors are Python exceptions, never a crash: config errors (the CLI's own
messages), bad names and arguments, a raising Python rule, Ctrl-C."""
import os
import signal
import subprocess
import threading
import traceback

import h5py
import pytest

from conftest import BINARY, SEED, SRC, arrays

BAD = os.path.join(SRC, "tests", "data", "bad_configs")


def _cases():
    for line in open(os.path.join(BAD, "EXPECTED.txt")):
        if line.strip() and not line.startswith("#"):
            parts = [p.strip() for p in line.split("|")]
            yield parts[0], parts[1], _shell_words(parts[2]) if len(parts) > 2 else []


def _shell_words(text):
    """The arguments as the shell gives them to the CLI (EXPECTED.txt may use $(printf ...))."""
    out = subprocess.run(["bash", "-c", 'for a in ' + text + '; do printf "%s\\0" "$a"; done'],
                         capture_output=True, check=True).stdout
    return [w.decode() for w in out.split(b"\0")[:-1]]


@pytest.mark.parametrize("name,expected,args", list(_cases()), ids=lambda x: x if isinstance(x, str) else "")
def test_every_bad_config_is_a_config_error_with_the_clis_message(ds, name, expected, args, tmp_path):
    path = os.path.join(BAD, name)
    cli = subprocess.run([BINARY, "run", path, "-o", str(tmp_path / "x.h5"), *args], capture_output=True, text=True)
    assert cli.returncode == 2
    line = next(x for x in cli.stderr.splitlines() if ": error: " in x)
    sets = [a for a in args if a != "--set"]
    with pytest.raises(ds.ConfigError) as e:
        ds.load(path, set=sets)
    assert str(e.value) == line and expected in str(e.value)
    assert isinstance(e.value, ValueError)


def test_a_network_error_is_located_in_its_text(ds):
    net = ds.Network()
    net.add_population("N", "coincidence", params={"tau_mss": 5.0})
    with pytest.raises(ds.ConfigError, match=r"^<ds.Network>:\d+:\d+: error: .*unknown parameter 'tau_mss'"):
        ds.Simulation(net)
    net = ds.Network()
    net.add_population("SG", "pattern_source", params={"pattern_ms": [1.0], "period_ms": 5.0})
    net.add_population("N", "coincidence")
    net.add_projection("p", "SG", "N", "a", delay_ms=1.0, inflight="retime")  # needs a finite delay_max_ms
    with pytest.raises(ds.ConfigError, match="retime\" needs a finite delay_max_ms"):
        ds.Simulation(net)
    with pytest.raises(ds.ConfigError, match="no such config file"):
        ds.load(os.path.join(BAD, "missing.toml"))


def test_bad_names_and_arguments_are_value_errors(ds):
    sim = ds.load(SEED)
    with pytest.raises(ValueError, match=r"no projection named 'nope' \(projections: sg1_n1, "):
        sim.projection("nope")
    with pytest.raises(ValueError, match="no population named 'N3'"):
        sim.spikes("N3")
    with pytest.raises(ValueError, match="has no variable 'u' .*variables: v, vth"):
        sim.population("N1").state("u")
    with pytest.raises(ValueError, match="has no variable 'v'"):
        sim.population("SG1").state("v")
    sim.run(10)
    with pytest.raises(ValueError, match="after the current time"):
        sim.run(5)
    with pytest.raises(ValueError, match="has 1 synapses, got 2 values"):
        sim.projection("sg2_n1").delays = [1.0, 2.0]
    with pytest.raises(TypeError):
        ds.Simulation("not a network")
    sim.run(20)  # still fine


class Boom:
    def __init__(self, after):
        self.calls, self.after = 0, after

    def on_inhibited(self, syn, t):
        self.calls += 1
        if self.calls > self.after:
            raise ZeroDivisionError(f"boom at t = {t}")
        syn.set_delay(syn.delay + 1.0)


def test_a_raising_python_rule_stops_the_run_with_its_traceback(ds, tmp_path):
    text = open(SEED).read()
    sim = ds.loads(text[:text.index("[[plasticity]]")], name=SEED)
    sim.add_rule(Boom(after=5), ["sg2_n1", "sg2_n2"])
    with pytest.raises(ZeroDivisionError, match="boom at t") as e:
        sim.run(1040)
    assert "in on_inhibited" in "".join(traceback.format_exception(e.value))
    t = sim.t
    assert 0 < t < 1040 and not sim.completed
    sim.save(tmp_path / "partial.h5")
    with h5py.File(tmp_path / "partial.h5") as f:
        assert not bool(f.attrs["completed"])
        assert len(f["plasticity/sg2_n1/events/time"]) + len(f["plasticity/sg2_n2/events/time"]) == 5
        assert f["spikes/SG1/timestamps"][-1] <= t
    run = ds.h5.load(tmp_path / "partial.h5")
    assert run.completed is False and len(run.spikes) > 0
    assert sim.projection("sg2_n1").delays[0] >= 0  # still readable
    with pytest.raises(ValueError, match="stopped by an error"):
        sim.run(1040)


def test_a_cpp_rules_refused_delay_is_a_value_error(ds, tmp_path):
    sim = ds.load(SEED, set={"projection.sg2_n1.bounds": "error", "projection.sg2_n1.delay_max_ms": 3.0})
    with pytest.raises(ValueError, match=r"set the delay of synapse 0 .* to 4 ms, outside the bounds \[0 ms, 3 ms\]"):
        sim.run(1040)
    sim.save(tmp_path / "partial.h5")
    assert ds.h5.load(tmp_path / "partial.h5").completed is False


def test_ctrl_c_stops_the_run_keeps_the_data_and_can_go_on(ds, tmp_path):
    """SIGINT during run(): KeyboardInterrupt at an event boundary; the spikes so
    far are kept and saved (completed = false); running on from there gives the
    uninterrupted run's spikes."""
    long = {"simulation.t_stop_ms": 1e6, "population.SG1.params.repeats": 100000,
            "population.SG2.params.repeats": 100000, "record.interval_ms": 0}
    sim = ds.load(SEED, set=long)
    timer = threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        sim.run(1e6)
    timer.join()
    t = sim.t
    assert 0 < t < 1e6 and not sim.completed
    sim.save(tmp_path / "stopped.h5")
    with h5py.File(tmp_path / "stopped.h5") as f:
        assert not bool(f.attrs["completed"])
        assert len(f["spikes/SG1/timestamps"]) == len(sim.spikes("SG1")) > 0
    t2 = t + 500.0
    sim.run(t2)
    ref = ds.load(SEED, set=long)
    ref.run(t2)
    for pop in ref.populations:
        assert sim.spikes(pop).equals(ref.spikes(pop)), pop
