"""Checkpoint and resume (README "Checkpoints"): `delaysim resume CKPT -o OUT.h5`
writes the uninterrupted run's file, every dataset and attribute equal to the
bit (exact comparison, not tolerances) except the resume attributes; checkpoints
of another version or config, truncated or corrupt ones are refused with exit 2."""
import os
import pathlib
import signal
import subprocess
import time

import h5py
import numpy as np
import pytest

from long_run import write_config

BINARY = pathlib.Path(os.environ["DELAYSIM_BINARY"])
SOURCE = pathlib.Path(os.environ["DELAYSIM_SOURCE_DIR"])
PLUGINS = BINARY.parent / "test_plugins"
RESUME_ATTRS = {"resumed_from", "resumed_at_ms"}


def delaysim(*args, cwd=None):
    return subprocess.run([str(BINARY), *map(str, args)], capture_output=True, text=True, cwd=cwd)


def objects(f):
    out = {}
    f.visititems(lambda name, obj: out.__setitem__(name, obj))
    return out


def same_values(a, b):
    if a.shape != b.shape:
        return False
    if a.dtype == object or b.dtype == object:
        return list(np.ravel(a)) == list(np.ravel(b))
    return a.dtype == b.dtype and a.tobytes() == b.tobytes()  # bit for bit (NaN, -0.0 included)


def differences(path_a, path_b, ignore=RESUME_ATTRS):
    """Every dataset and attribute that differs between two files."""
    diff = []
    with h5py.File(path_a, "r") as fa, h5py.File(path_b, "r") as fb:
        oa, ob = objects(fa), objects(fb)
        oa[""], ob[""] = fa, fb
        for name in sorted(set(oa) | set(ob)):
            if name not in oa or name not in ob:
                diff.append(f"/{name} only in one file")
                continue
            x, y = oa[name], ob[name]
            for key in (set(x.attrs) | set(y.attrs)) - ignore:
                if key not in x.attrs or key not in y.attrs or not same_values(
                        np.asarray(x.attrs[key]), np.asarray(y.attrs[key])):
                    diff.append(f"/{name} attribute {key}")
            if isinstance(x, h5py.Dataset) and not same_values(x[()], y[()]):
                diff.append(f"/{name}: {x.shape} vs {y.shape}")
    return diff


def run(config, out, *extra):
    r = delaysim("run", config, "-o", out, *extra)
    assert r.returncode == 0, r.stderr
    return r


def resume(ckpt, out, *extra):
    r = delaysim("resume", ckpt, "-o", out, *extra)
    assert r.returncode == 0, r.stderr
    return r


GOLDEN = SOURCE / "configs/golden_lif_stdp.toml"
SEED = SOURCE / "configs/two_neuron_delay_learning.toml"


@pytest.mark.parametrize("config,times", [
    (SEED, ["250", "1000.5"]),
    # Batched (slices of 0.5 ms) with delay_shift_stdp and sampled delays: 100 is
    # a slice edge, 257.3 inside a slice, 200 a sample time.
    (GOLDEN, ["100", "200", "257.3"]),
])
def test_resume_is_bit_identical(tmp_path, config, times):
    full = tmp_path / "full.h5"
    r = run(config, full)
    if config == GOLDEN:
        assert "processed in slices of 0.5 ms" in r.stderr  # the batched path is the one tested
    ck = tmp_path / "ck"
    pieces = tmp_path / "pieces.h5"
    r = run(config, pieces, "--checkpoint-at", ",".join(times), "--checkpoint-dir", ck)
    assert differences(full, pieces) == []  # the checkpointed run's own file too
    for t in times:
        ckpt = ck / f"{config.stem}_{t}.ckpt"
        assert f"checkpoint at {t} ms -> {ckpt}" in r.stderr
        out = tmp_path / f"resumed_{t}.h5"
        resume(ckpt, out)
        assert differences(full, out) == [], t
        with h5py.File(out, "r") as f:
            assert f.attrs["resumed_from"] == str(ckpt)
            assert f.attrs["resumed_at_ms"] == float(t)
            assert bool(f.attrs["completed"])


def test_resume_of_a_resumed_run(tmp_path):
    full = tmp_path / "full.h5"
    run(GOLDEN, full)
    run(GOLDEN, tmp_path / "a.h5", "--checkpoint-at", "100", "--checkpoint-dir", tmp_path / "c1")
    resume(tmp_path / "c1/golden_lif_stdp_100.ckpt", tmp_path / "b.h5", "--checkpoint-at", "300.25",
           "--checkpoint-dir", tmp_path / "c2")
    assert differences(full, tmp_path / "b.h5") == []
    resume(tmp_path / "c2/golden_lif_stdp_300.25.ckpt", tmp_path / "c.h5")
    assert differences(full, tmp_path / "c.h5") == []


def test_comparison_sees_a_difference(tmp_path):
    # The oracle itself: another seed must not compare equal.
    run(GOLDEN, tmp_path / "a.h5")
    run(GOLDEN, tmp_path / "b.h5", "--set", "simulation.seed=8")
    assert differences(tmp_path / "a.h5", tmp_path / "b.h5") != []


@pytest.fixture
def seed_checkpoint(tmp_path):
    cfg = tmp_path / "seed.toml"
    cfg.write_text(SEED.read_text())
    run(cfg, tmp_path / "a.h5", "--checkpoint-at", "300", "--checkpoint-dir", tmp_path)
    return cfg, tmp_path / "seed_300.ckpt"


def refused(ckpt, *needles):
    r = delaysim("resume", ckpt, "-o", ckpt.parent / "refused.h5")
    assert r.returncode == 2, r.stderr
    assert r.stderr.startswith(f"{ckpt}: error: "), r.stderr
    for n in needles:
        assert n in r.stderr, r.stderr
    assert not (ckpt.parent / "refused.h5").exists()
    return r.stderr


def test_other_version_is_refused(seed_checkpoint):
    _, ckpt = seed_checkpoint
    data = bytearray(ckpt.read_bytes())
    version = delaysim("--version").stdout.split()[1].encode()
    at = data.index(version, 12)
    data[at:at + len(version)] = b"9" * len(version)
    ckpt.write_bytes(bytes(data))
    refused(ckpt, "written by delaysim " + "9" * len(version), "this is delaysim " + version.decode())


def test_edited_config_is_refused(seed_checkpoint):
    cfg, ckpt = seed_checkpoint
    cfg.write_text(cfg.read_text() + "\n# edited after checkpointing\n")
    refused(ckpt, f"config '{cfg}' has changed since the checkpoint was written")


@pytest.mark.parametrize("cut", [0, 5, 40, 1000, -1])
def test_truncated_checkpoint_is_refused(seed_checkpoint, cut):
    _, ckpt = seed_checkpoint
    data = ckpt.read_bytes()
    ckpt.write_bytes(data[:cut] if cut >= 0 else data[:-1])
    refused(ckpt, "checkpoint")


def test_corrupt_checkpoint_is_refused(seed_checkpoint):
    _, ckpt = seed_checkpoint
    data = bytearray(ckpt.read_bytes())
    data[len(data) // 2] ^= 0x10
    ckpt.write_bytes(bytes(data))
    refused(ckpt, "checksum does not match")


def test_not_a_checkpoint(tmp_path):
    refused_path = tmp_path / "x.ckpt"
    refused_path.write_text("[simulation]\n")
    refused(refused_path, "not a delaysim checkpoint")


@pytest.mark.parametrize("times,needle", [
    ("0", "not inside the run"), ("2000", "not inside the run"), ("5ms", "not a time in ms"),
    ("300,200", "must increase"), ("", "not a time in ms")])
def test_bad_checkpoint_times(tmp_path, times, needle):
    r = delaysim("run", SEED, "-o", tmp_path / "o.h5", "--checkpoint-at", times, "--checkpoint-dir", tmp_path)
    assert r.returncode == 2 and "--checkpoint-at: error: " in r.stderr and needle in r.stderr, r.stderr
    assert not (tmp_path / "o.h5").exists()


def test_plugin_rule_without_checkpoint_support_is_refused_up_front(tmp_path):
    cfg = tmp_path / "p.toml"
    cfg.write_text(f'plugins = ["{PLUGINS / "libtest_good.so"}"]\n' + """
[simulation]
t_stop_ms = 20.0
[[population]]
name = "SG"
model = "pattern_source"
params = { pattern_ms = [1.0], period_ms = 5.0, repeats = 4 }
[[population]]
name = "N"
model = "plugin_lif"
[[projection]]
name = "sg_n"
source = "SG"
target = "N"
port = "ex"
weight = 5.0
delay_ms = 1.0
[[plasticity]]
rule = "weight_step_test"
projections = ["sg_n"]
""")
    r = delaysim("run", cfg, "-o", tmp_path / "o.h5", "--checkpoint-at", "10", "--checkpoint-dir", tmp_path)
    assert r.returncode == 2, r.stderr
    assert "cannot checkpoint this network: rule 'weight_step_test'" in r.stderr, r.stderr
    assert not (tmp_path / "o.h5").exists()


def interrupt_after(args, until, timeout=60):
    proc = subprocess.Popen([str(BINARY), *map(str, args)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)
    deadline = time.time() + timeout
    while not until() and time.time() < deadline and proc.poll() is None:
        time.sleep(0.1)
    time.sleep(0.5)
    assert proc.poll() is None, proc.stderr.read().decode()
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    return proc.returncode, err.decode()


def test_sigint_during_resume_closes_the_file(tmp_path):
    cfg = write_config(tmp_path)  # tmp_path/long.toml
    ckpt = tmp_path / "long_50.ckpt"
    code, err = interrupt_after(["run", cfg, "-o", tmp_path / "a.h5", "--checkpoint-at", "50", "--checkpoint-dir",
                                 tmp_path], ckpt.exists)
    assert code == 130 and ckpt.exists(), err
    out = tmp_path / "b.h5"
    code, err = interrupt_after(["resume", ckpt, "-o", out], out.exists)
    assert code == 130, err
    with h5py.File(out, "r") as f:
        assert not bool(f.attrs["completed"])
        assert f.attrs["resumed_at_ms"] == 50.0
        t = f["spikes/L/timestamps"][:]
        assert (t < 50).any() and (t > 50).any()  # the rows before the checkpoint, and the resumed ones
        for var in f["traces/L"].values():  # samples every 1 ms across the checkpoint
            assert np.all(np.diff(var["time"][:]) == 1.0)


def test_set_overrides_travel_with_the_checkpoint(tmp_path):
    # --set is applied again on resume (here: on_change synapse recording, whose
    # initial values must be those of the start, not of T).
    sets = ["--set", "record.synapses.sg2_n1.mode=on_change", "--set", "simulation.seed=11"]
    run(SEED, tmp_path / "full.h5", *sets)
    run(SEED, tmp_path / "a.h5", *sets, "--checkpoint-at", "700", "--checkpoint-dir", tmp_path)
    resume(tmp_path / "two_neuron_delay_learning_700.ckpt", tmp_path / "b.h5")
    assert differences(tmp_path / "full.h5", tmp_path / "b.h5") == []
    with h5py.File(tmp_path / "b.h5", "r") as f:
        assert f["synapses/sg2_n1/delay"].attrs["mode"] == "on_change"
