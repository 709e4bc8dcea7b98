"""The SDK route end to end (issue 14, "Done when"): install delaysim into a
temporary prefix, build tools/examples/plugin_rule against that prefix only (a
copy of the folder, a fresh build directory), and run its config with the
installed binary. Registered as its own CTest entry (sdk_plugin_rule,
tests/tools/tests.cmake); not collected by python_tools (no test_ prefix)."""
import json
import os
import pathlib
import shutil
import subprocess

import h5py
import numpy as np

SOURCE = pathlib.Path(os.environ["DELAYSIM_SOURCE_DIR"])
BUILD = pathlib.Path(os.environ["DELAYSIM_BUILD_DIR"])


def run(cmd, **kw):
    r = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kw)
    assert r.returncode == 0, f"{cmd}: exit {r.returncode}\n{r.stdout}\n{r.stderr}"
    return r


def test_example_plugin_builds_against_installed_prefix_and_acts(tmp_path):
    prefix = tmp_path / "prefix"
    run(["cmake", "--install", BUILD, "--prefix", prefix])
    binary = prefix / "bin" / "delaysim"
    assert binary.is_file()
    assert (prefix / "include" / "delaysim" / "plasticity" / "rule.hpp").is_file()
    assert (prefix / "include" / "delaysim" / "sim" / "config" / "plugin.hpp").is_file()

    example = tmp_path / "plugin_rule"
    shutil.copytree(SOURCE / "tools" / "examples" / "plugin_rule", example,
                    ignore=shutil.ignore_patterns("build", "*.h5"))
    # Only the prefix: no package registry, no path into the source or build tree.
    run(["cmake", "-S", example, "-B", example / "build", f"-DCMAKE_PREFIX_PATH={prefix}",
         "-DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF", "-DCMAKE_EXPORT_COMPILE_COMMANDS=ON"])
    run(["cmake", "--build", example / "build"])
    commands = json.loads((example / "build" / "compile_commands.json").read_text())
    for c in commands:
        assert str(SOURCE) not in c["command"] and str(BUILD) not in c["command"], c["command"]
        assert f"{prefix}/include/delaysim" in c["command"]

    # The installed binary, without LD_LIBRARY_PATH: RPATH finds the installed libraries.
    env = {k: v for k, v in os.environ.items() if k != "LD_LIBRARY_PATH"}
    r = run([binary, "run", "triplet_stdp.toml", "-o", "out.h5", "--quiet", "--strict"], cwd=example, env=env)
    assert r.stderr == ""
    with h5py.File(example / "out.h5") as f:
        events = f["plasticity/drive_e/events"]
        rules = {x.decode() if isinstance(x, bytes) else x for x in events["rule"][:]}
        assert rules == {"triplet_stdp"}
        assert len(events["time"]) > 100
        old, new = events["old"][:], events["new"][:]
        assert np.all(new != old)
        assert np.all((new >= 0.0) & (new <= 400.0))  # [0, w_max]
        w = f["synapses/drive_e/weight/data"][:]
        assert not np.array_equal(w[0], w[-1])

    listing = json.loads(run([binary, "list", "--json", "--plugin", example / "build" / "libtriplet_stdp.so"],
                             env=env).stdout)
    rule = next(r for r in listing["rules"] if r["name"] == "triplet_stdp")
    assert rule["origin"] == str((example / "build" / "libtriplet_stdp.so").resolve())
    assert {p["name"] for p in rule["parameters"]} >= {"tau_plus_ms", "a3_plus", "w_max"}
