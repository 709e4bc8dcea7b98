"""delaysim's command line with plug-ins (tests/plugins/, built into
BUILD/test_plugins/): every bad plug-in, named by a model file's `plugins`
entry or by --plugin, is an exit-2 error located at that entry; the version
refusal names both versions; list shows a plug-in's names with their file;
list --json is one valid JSON document."""
import json
import os
import pathlib
import subprocess

import pytest

BINARY = pathlib.Path(os.environ["DELAYSIM_BINARY"])
PLUGINS = BINARY.parent / "test_plugins"
VERSION = subprocess.run([BINARY, "--version"], capture_output=True, text=True).stdout.split()[1]

CONFIG = """plugins = [{entries}]

[simulation]
t_stop_ms = 20.0

[[population]]
name = "SG"
model = "pattern_source"
params = {{ pattern_ms = [1.0], period_ms = 5.0, repeats = 4 }}

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
"""


def delaysim(*args, cwd=None):
    return subprocess.run([str(BINARY), *map(str, args)], capture_output=True, text=True, cwd=cwd)


def lib(name):
    return PLUGINS / f"lib{name}.so"


def text_file(d):
    (d / "notes.so").write_text("not a library\n")
    return d / "notes.so"


BAD = [
    ("missing", lambda d: d / "no_such.so", "no such file"),
    ("text", text_file, "cannot be loaded as a shared library"),
    ("no_entry", lambda d: lib("test_no_entry"), "is not a delaysim plug-in: it has no entry point"),
    ("version", lambda d: lib("test_wrong_version"),
     f"was built against delaysim 0.0.0-test, but this is delaysim {VERSION}"),
    ("builtin_name", lambda d: lib("test_builtin_name"), "'stdp_weight', which is already built-in"),
    ("twice", lambda d: lib("test_twice"), "registers plasticity rule 'twice_test' twice"),
    ("throws", lambda d: lib("test_throws"), "failed while registering"),
]


@pytest.mark.parametrize("case,path,what", BAD, ids=[b[0] for b in BAD])
def test_bad_plugin_in_model_file_is_located_exit_2(tmp_path, case, path, what):
    bad = path(tmp_path)
    entries = f'"{lib("test_good")}", "{bad}"'
    cfg = tmp_path / "m.toml"
    cfg.write_text(CONFIG.format(entries=entries))
    column = CONFIG.format(entries=entries).index(f'"{bad}"') + 1
    for cmd in (["validate", cfg], ["run", cfg, "-o", tmp_path / "o.h5"]):
        r = delaysim(*cmd)
        assert r.returncode == 2, r.stderr
        assert r.stderr.startswith(f"{cfg}:1:{column}: error: plug-in '{bad}'"), r.stderr
        assert what in r.stderr
        assert "Traceback" not in r.stderr and "terminate" not in r.stderr
    assert not (tmp_path / "o.h5").exists()


@pytest.mark.parametrize("case,path,what", BAD, ids=[b[0] for b in BAD])
def test_bad_plugin_option_is_exit_2(tmp_path, case, path, what):
    bad = path(tmp_path)
    for cmd in (["list"], ["list", "--json"]):
        r = delaysim(*cmd, "--plugin", bad)
        assert r.returncode == 2
        assert r.stderr.startswith(f"--plugin: error: plug-in '{bad}'"), r.stderr
        assert what in r.stderr
        assert r.stdout == ""


def test_good_plugin_runs_relative_to_the_model_file(tmp_path):
    (tmp_path / "plugins").mkdir()
    (tmp_path / "plugins" / "libgood.so").symlink_to(lib("test_good"))
    cfg = tmp_path / "m.toml"
    cfg.write_text(CONFIG.format(entries='"plugins/libgood.so"'))
    r = delaysim("run", cfg, "-o", tmp_path / "o.h5", "--quiet", "--strict")  # from another directory
    assert r.returncode == 0, r.stderr
    import h5py
    with h5py.File(tmp_path / "o.h5") as f:
        rules = {x.decode() if isinstance(x, bytes) else x for x in f["plasticity/sg_n/events/rule"][:]}
        assert rules == {"weight_step_test"}
        assert len(f["plasticity/sg_n/events/time"]) == 4  # one per delivered pattern spike
        assert len(f["spikes/N/timestamps"]) >= 0


def test_plugin_option_and_list(tmp_path):
    cfg = tmp_path / "m.toml"
    cfg.write_text(CONFIG.format(entries=""))
    assert delaysim("validate", cfg).returncode == 2  # plugin_lif is unknown without it
    r = delaysim("validate", cfg, "--plugin", lib("test_good"))
    assert r.returncode == 0, r.stderr
    text = delaysim("list", "--plugin", lib("test_good")).stdout
    assert f"weight_step_test - test plug-in: w += step per delivered spike [plug-in {lib('test_good')}]" in text
    assert f"plugin_lif - test plug-in: lif_exp under another name [plug-in {lib('test_good')}]" in text


def test_list_json_is_one_document_with_origins():
    r = delaysim("list", "--json", "--plugin", lib("test_good"))
    assert r.returncode == 0
    doc = json.loads(r.stdout)
    assert doc["delaysim_version"] == VERSION
    models = {m["name"]: m for m in doc["models"]}
    assert models["coincidence"]["origin"] == "built-in"
    assert models["plugin_lif"]["origin"] == str(lib("test_good"))
    assert [p["name"] for p in models["coincidence"]["ports"]] == ["a", "b", "inhibit"]
    assert models["coincidence"]["ports"][2]["kind"] == "inhibit"
    tau = next(p for p in models["coincidence"]["parameters"] if p["name"] == "tau_ms")
    assert tau == {"name": "tau_ms", "unit": "ms", "kind": "real", "default": 1000.0, "required": False,
                   "min": 0, "max": None, "min_exclusive": True, "max_exclusive": True, "range": "(0, inf)",
                   "doc": tau["doc"]}
    sources = {m["name"]: m for m in doc["sources"]}
    period = next(p for p in sources["pattern_source"]["parameters"] if p["name"] == "period_ms")
    assert period["required"] and period["default"] is None
    rules = {r["name"]: r for r in doc["rules"]}
    assert rules["weight_step_test"]["origin"] == str(lib("test_good"))
    assert set(rules) >= {"loser_delay_shift", "stdp_weight"}
    assert doc["plugins"] == [{"path": str(lib("test_good")), "version": VERSION,
                               "models": ["plugin_lif"], "rules": ["weight_step_test"]}]


def test_warning_on_stderr_and_strict_makes_it_an_error(tmp_path):
    cfg = tmp_path / "w.toml"
    text = CONFIG.format(entries="").replace('model = "plugin_lif"', 'model = "lif_exp"').replace(
        'rule = "weight_step_test"', 'rule = "loser_delay_shift"')
    cfg.write_text(text)
    line = text[:text.index('projections = ["sg_n"]')].count("\n") + 1
    r = delaysim("validate", cfg)
    assert r.returncode == 0, r.stderr
    assert r.stderr.startswith(f"{cfg}:{line}:")
    assert ": warning: plasticity rule 'loser_delay_shift' can never change projection 'sg_n'" in r.stderr
    for cmd in (["validate", cfg, "--strict"], ["run", cfg, "--strict", "-o", tmp_path / "w.h5"]):
        r = delaysim(*cmd)
        assert r.returncode == 2
        assert r.stderr.startswith(f"{cfg}:{line}:") and ": error: plasticity rule" in r.stderr
    assert not (tmp_path / "w.h5").exists()
    r = delaysim("run", cfg, "-o", tmp_path / "w.h5", "--quiet")
    assert r.returncode == 0 and ": warning: " in r.stderr
