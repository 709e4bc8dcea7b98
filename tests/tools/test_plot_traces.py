"""tools/plot_traces.py produces a PNG for any output, including files with
missing groups, no spikes, and thousands of recorded neurons."""
import os
import subprocess
import sys

import h5py
import numpy as np

import delaysim_h5
import plot_traces
from conftest import write_seed_like

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _is_png(path):
    with open(path, "rb") as f:
        return f.read(8) == PNG_MAGIC


def test_default_png_next_to_h5(seed_file):
    assert plot_traces.main([seed_file]) == 0
    png = os.path.splitext(seed_file)[0] + ".png"
    assert _is_png(png)


def test_layout_of_the_seed_figure(seed_file):
    run = delaysim_h5.load(seed_file)
    fig, shown, neurons = plot_traces.make_figure(run)
    assert shown == [("N", 0), ("N", 1)]
    # 2 neurons x (state, inputs) + delay row + raster
    assert len(fig.axes) == 6
    state = fig.axes[0]
    labels = state.get_legend_handles_labels()[1]
    assert labels[:2] == ["v [1]", "vth [1]"] and labels[2].startswith("spikes")
    assert fig.axes[1].get_legend_handles_labels()[1] == ["s1 [1]", "s2 [1]"]
    delay_labels = fig.axes[4].get_legend_handles_labels()[1]
    assert len(delay_labels) == 2 and all(lbl.startswith("sg2_n[") for lbl in delay_labels)


def test_delays_from_events_when_not_sampled(tmp_path):
    path = write_seed_like(tmp_path / "ev.h5", with_delay_samples=False)
    run = delaysim_h5.load(path)
    lines = plot_traces.delay_lines(run)
    assert [lbl for lbl, *_ in lines] == ["sg2_n[0] (events)"]
    out = tmp_path / "ev.png"
    assert plot_traces.main([str(path), "-o", str(out)]) == 0 and _is_png(out)


def test_variable_classes():
    assert plot_traces.is_voltage("v") and plot_traces.is_voltage("V_m")
    assert plot_traces.is_threshold("vth") and plot_traces.is_threshold("v_th") and plot_traces.is_threshold("theta")
    assert not plot_traces.is_voltage("vth") and not plot_traces.is_voltage("s1")
    assert not plot_traces.is_threshold("I_syn")


def test_files_with_missing_groups(sparse_file, empty_file, tmp_path):
    for src in (sparse_file, empty_file, str(write_seed_like(tmp_path / "q.h5", spikes=False, with_events=False,
                                                             with_delay_samples=False, completed=False))):
        out = tmp_path / (os.path.basename(src) + ".png")
        assert plot_traces.main([src, "-o", str(out)]) == 0
        assert _is_png(out)


def test_thousands_of_neurons(tmp_path, capsys):
    path = tmp_path / "big.h5"
    n, steps = 3000, 2000
    with h5py.File(path, "w") as f:
        f.attrs["t_stop_ms"] = 200.0
        g = f.create_group("traces").create_group("exc").create_group("v")
        g.create_dataset("time", data=np.arange(steps) * 0.1)
        g.create_dataset("node_ids", data=np.arange(n, dtype=np.uint64))
        g.create_dataset("data", data=np.random.default_rng(1).random((steps, n)), chunks=(256, 256))
        s = f.create_group("spikes").create_group("exc")
        rng = np.random.default_rng(2)
        s.create_dataset("timestamps", data=np.sort(rng.random(50000) * 200))
        s.create_dataset("node_ids", data=rng.integers(0, n, 50000).astype(np.uint64))
    out = tmp_path / "big.png"
    assert plot_traces.main([str(path), "-o", str(out), "--max-neurons", "3"]) == 0
    assert _is_png(out)
    said = capsys.readouterr().out
    assert "showing 3 of 3000 recorded neurons: exc[0], exc[1], exc[2]" in said


def test_cli_entry_point(seed_file, tmp_path):
    tool = os.path.join(os.path.dirname(plot_traces.__file__), "plot_traces.py")
    out = tmp_path / "cli.png"
    r = subprocess.run([sys.executable, tool, seed_file, "-o", str(out)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert _is_png(out)
    bad = subprocess.run([sys.executable, tool, str(tmp_path / "nope.h5")], capture_output=True, text=True)
    assert bad.returncode == 2
