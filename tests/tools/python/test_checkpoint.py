"""Checkpoints from Python (tools/python/README.md): sim.checkpoint(path) at
sim.t and ds.resume(path) write, after running on to t_stop, the file of the
uninterrupted session and of the CLI run, every dataset equal to the bit (only
the resumed_* attributes differ); the CLI resumes a Python checkpoint and Python
a CLI one; refusals are ConfigError with the CLI's messages."""
import shutil
import subprocess

import h5py
import pytest

from conftest import BINARY, SEED, assert_same_file, cli_run, seed_network

RESUME_ATTRS = ("resumed_from", "resumed_at_ms")
GOLDEN = SEED.replace("two_neuron_delay_learning", "golden_lif_stdp")


def stripped(path, tmp_path, name):
    """A copy of `path` without the resume attributes (which must be there iff
    the file comes from a resumed run: checked by the callers)."""
    out = tmp_path / name
    shutil.copyfile(path, out)
    with h5py.File(out, "r+") as f:
        for a in RESUME_ATTRS:
            if a in f.attrs:
                del f.attrs[a]
    return out


def resumed_attrs(path):
    with h5py.File(path, "r") as f:
        return {a: f.attrs[a] for a in RESUME_ATTRS if a in f.attrs}


@pytest.mark.parametrize("config", [SEED, GOLDEN], ids=["seed", "golden"])
def test_python_checkpoint_resumes_bit_identically(ds, config, tmp_path):
    ref = cli_run(config, tmp_path / "cli.h5")
    whole = ds.load(config)
    whole.run(whole.t_stop_ms)
    whole.save(tmp_path / "whole.h5")
    assert_same_file(ref, tmp_path / "whole.h5")

    first = ds.load(config)
    T = round(first.t_stop_ms * 0.43, 3)
    first.run(T)
    first.checkpoint(tmp_path / "a.ckpt")
    del first
    sim = ds.resume(tmp_path / "a.ckpt")
    assert sim.t == T and not sim.completed
    sim.run(round(sim.t_stop_ms * 0.8, 3))  # in chunks after the resume too
    sim.run(sim.t_stop_ms)
    assert sim.completed
    sim.save(tmp_path / "resumed.h5")
    attrs = resumed_attrs(tmp_path / "resumed.h5")
    assert attrs["resumed_at_ms"] == T and str(tmp_path / "a.ckpt") in str(attrs["resumed_from"])
    assert_same_file(ref, stripped(tmp_path / "resumed.h5", tmp_path, "r.h5"))

    # The same checkpoint in the CLI.
    out = tmp_path / "cli_resumed.h5"
    subprocess.run([BINARY, "resume", str(tmp_path / "a.ckpt"), "-o", str(out), "--quiet"], check=True,
                   timeout=600)
    assert resumed_attrs(out)["resumed_at_ms"] == T
    assert_same_file(ref, stripped(out, tmp_path, "c.h5"))


def test_cli_checkpoint_resumes_in_python(ds, tmp_path):
    ref = cli_run(SEED, tmp_path / "cli.h5", "--checkpoint-at", "300.5", "--checkpoint-dir", str(tmp_path))
    sim = ds.resume(tmp_path / "two_neuron_delay_learning_300.5.ckpt")
    assert sim.t == 300.5
    sim.run(sim.t_stop_ms)
    sim.save(tmp_path / "py.h5")
    assert_same_file(ref, stripped(tmp_path / "py.h5", tmp_path, "p.h5"))
    # A resumed session checkpoints again (its origin travels with it).
    sim2 = ds.resume(tmp_path / "two_neuron_delay_learning_300.5.ckpt")
    sim2.run(700)
    sim2.checkpoint(tmp_path / "b.ckpt")
    sim3 = ds.resume(tmp_path / "b.ckpt")
    sim3.run(sim3.t_stop_ms)
    sim3.save(tmp_path / "py3.h5")
    assert_same_file(ref, stripped(tmp_path / "py3.h5", tmp_path, "p3.h5"))


def test_set_overrides_travel(ds, tmp_path):
    sets = ["simulation.t_stop_ms=900"]
    ref = cli_run(SEED, tmp_path / "cli.h5", *[x for s in sets for x in ("--set", s)])
    sim = ds.load(SEED, set=sets)
    sim.run(400)
    sim.checkpoint(tmp_path / "s.ckpt")
    sim = ds.resume(tmp_path / "s.ckpt")
    assert sim.t_stop_ms == 900
    sim.run(900)
    sim.save(tmp_path / "s.h5")
    assert_same_file(ref, stripped(tmp_path / "s.h5", tmp_path, "s2.h5"))


@pytest.fixture
def seed_checkpoint(ds, tmp_path):
    cfg = tmp_path / "seed.toml"
    shutil.copyfile(SEED, cfg)
    sim = ds.load(cfg)
    sim.run(300)
    sim.checkpoint(tmp_path / "seed.ckpt")
    return cfg, tmp_path / "seed.ckpt"


def refused(ds, ckpt, *needles):
    with pytest.raises(ds.ConfigError) as e:
        ds.resume(ckpt)
    msg = str(e.value)
    assert msg.startswith(f"{ckpt}: error: "), msg
    for n in needles:
        assert n in msg, msg
    # The CLI says the same.
    r = subprocess.run([BINARY, "resume", str(ckpt), "-o", str(ckpt.parent / "x.h5")], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 2 and msg in r.stderr, r.stderr


def test_other_version_is_refused(ds, seed_checkpoint):
    _, ckpt = seed_checkpoint
    data = bytearray(ckpt.read_bytes())
    version = ds.__version__.encode()
    at = data.index(version, 12)
    data[at:at + len(version)] = b"9" * len(version)
    ckpt.write_bytes(bytes(data))
    refused(ds, ckpt, "written by delaysim " + "9" * len(version), "this is delaysim " + ds.__version__)


def test_edited_config_is_refused(ds, seed_checkpoint):
    cfg, ckpt = seed_checkpoint
    cfg.write_text(cfg.read_text() + "\n# edited\n")
    refused(ds, ckpt, f"config '{cfg}' has changed since the checkpoint was written")


@pytest.mark.parametrize("cut", [0, 40, -1])
def test_truncated_checkpoint_is_refused(ds, seed_checkpoint, cut):
    _, ckpt = seed_checkpoint
    data = ckpt.read_bytes()
    ckpt.write_bytes(data[:cut] if cut >= 0 else data[:-1])
    refused(ds, ckpt, "checkpoint")


def test_network_built_in_code_is_refused(ds, tmp_path):
    sim = ds.Simulation(seed_network(ds), t_stop_ms=1040)
    sim.run(100)
    with pytest.raises(ds.ConfigError, match="built from text"):
        sim.checkpoint(tmp_path / "n.ckpt")
    assert not (tmp_path / "n.ckpt").exists()


def test_python_rule_is_refused_by_name(ds, tmp_path):
    class Nudge:
        writes_weights = False

        def on_delivered(self, syn, t):
            syn.set_delay(syn.delay + 0.001)

    sim = ds.load(SEED)
    sim.add_rule(Nudge(), ["sg2_n1"], name="nudge")
    sim.run(100)
    with pytest.raises(ds.ConfigError, match="nudge") as e:
        sim.checkpoint(tmp_path / "r.ckpt")
    assert "save_state/restore_state" in str(e.value)
    assert not (tmp_path / "r.ckpt").exists()
