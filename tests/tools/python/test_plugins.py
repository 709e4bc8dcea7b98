"""ds.load_plugin: a plug-in's model and rule become usable by name, as with
`--plugin` on the command line (the plug-ins of tests/plugins/, built into
BUILD/test_plugins/ next to the delaysim binary)."""
import os

import numpy as np
import pytest

from conftest import BINARY

PLUGINS = os.path.join(os.path.dirname(BINARY), "test_plugins")

# plugin_lif is lif_exp under another name: the same network with either model
# must give the same spikes.
NETWORK = """
[simulation]
t_stop_ms = 200.0
[[population]]
name = "src"
model = "poisson_source"
size = 20
params = {{ rate_hz = 200.0 }}
[[population]]
name = "cells"
model = "{model}"
size = 5
[[projection]]
name = "in"
source = "src"
target = "cells"
connect = "all_to_all"
port = "ex"
weight = 150.0
delay_ms = 1.0
"""


def test_plugin_model_runs_like_its_builtin(ds):
    info = ds.load_plugin(os.path.join(PLUGINS, "libtest_good.so"))
    assert "plugin_lif" in info["models"] and "weight_step_test" in info["rules"]
    assert info["version"] == ds.__version__
    assert any(m["name"] == "plugin_lif" for m in ds.models())
    assert any(r["name"] == "weight_step_test" for r in ds.rules())
    # Loading the same file again does nothing (and does not raise).
    assert ds.load_plugin(os.path.join(PLUGINS, "libtest_good.so"))["models"] == info["models"]
    runs = {}
    for model in ("lif_exp", "plugin_lif"):
        sim = ds.loads(NETWORK.format(model=model), name=model + ".toml")
        sim.run(200.0)
        runs[model] = sim.spikes("cells")
    a, b = runs["lif_exp"], runs["plugin_lif"]
    assert len(a) > 10
    np.testing.assert_array_equal(a["time_ms"].to_numpy(), b["time_ms"].to_numpy())
    np.testing.assert_array_equal(a["node_id"].to_numpy(), b["node_id"].to_numpy())


@pytest.mark.parametrize("name, words", [
    ("libtest_no_entry.so", "delaysim_plugin_version"),
    ("libtest_wrong_version.so", "0.0.0-test"),
    ("libtest_builtin_name.so", "already"),
    ("no_such_plugin.so", "no such file"),
])
def test_bad_plugins_raise_config_error(ds, name, words):
    with pytest.raises(ds.ConfigError) as e:
        ds.load_plugin(os.path.join(PLUGINS, name))
    assert name in str(e.value) and words in str(e.value).lower()
