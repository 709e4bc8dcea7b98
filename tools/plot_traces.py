#!/usr/bin/python3
"""Plot a delaysim HDF5 output: the seed notebook's 3x2 figure (v, s, vth per
neuron), generalised to any output.

    python3 tools/plot_traces.py OUT.h5 [-o PNG] [--max-neurons N]

Figure (default PNG: OUT.png next to OUT.h5):
  row 1  per recorded neuron (population/node, one column each): its v-like and
         threshold-like variables overlaid, its spikes as ticks at the top;
  row 2  the same neuron's other variables (inputs: s1, s2, I_*, p, ...);
  row 3  delays of plastic projections over time (samples from
         /synapses/*/delay, else steps from /plasticity events);
  row 4  spike raster of every population in /spikes.
Only the first --max-neurons recorded neurons get columns (the title says so);
missing groups or zero spikes give empty panels with a note, never an error.
"""
import argparse
import os
import re
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import delaysim_h5  # noqa: E402

MAX_POINTS = 20000   # samples per line: longer traces are strided
MAX_SYNAPSE_LINES = 12
MAX_RASTER_SPIKES = 500000

_THRESHOLD = re.compile(r"^(v_?th.*|theta.*|thr.*|threshold.*|th|th\d*|v_?t)$", re.IGNORECASE)
_VOLTAGE = re.compile(r"^(v|vm|v_m|u_m|v_mem|V)$|^v_?m?\d*$", re.IGNORECASE)


def is_threshold(var):
    return bool(_THRESHOLD.match(var))


def is_voltage(var):
    return bool(_VOLTAGE.match(var)) and not is_threshold(var)


def _stride(n):
    return max(1, int(np.ceil(n / MAX_POINTS)))


def recorded_neurons(run):
    """(population, node) pairs with traces; populations with a v-like variable first."""
    by_pop = {}
    for (pop, var), tr in run.traces.items():
        entry = by_pop.setdefault(pop, {"nodes": [], "voltage": False})
        entry["voltage"] |= is_voltage(var) or is_threshold(var)
        for n in tr.node_ids:
            if int(n) not in entry["nodes"]:
                entry["nodes"].append(int(n))
    pops = sorted(by_pop, key=lambda p: (not by_pop[p]["voltage"], list(by_pop).index(p)))
    return [(p, n) for p in pops for n in sorted(by_pop[p]["nodes"])]


def _series(run, pop, node, kinds):
    """[(variable, time, values, units)] of one node for the variables that pass `kinds`."""
    out = []
    for (p, var), tr in run.traces.items():
        if p != pop or node not in tr.node_ids or not kinds(var):
            continue
        s = _stride(len(tr.time))
        out.append((var, tr.time[::s], tr.node(node)[::s], tr.units))
    return out


def _spike_ticks(ax, run, pop, node):
    t = run.spikes_of(pop, node)["time_ms"].to_numpy()
    if len(t):
        ax.vlines(t, 0.9, 1.0, transform=ax.get_xaxis_transform(), color="k", lw=0.8, label=f"spikes ({len(t)})")


def _note(ax, text):
    ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center", color="0.4")


def plot_neuron(ax_state, ax_input, run, pop, node):
    state = _series(run, pop, node, lambda v: is_voltage(v) or is_threshold(v))
    inputs = _series(run, pop, node, lambda v: not (is_voltage(v) or is_threshold(v)))
    for var, t, y, units in state:
        ax_state.plot(t, y, lw=0.9, ls="--" if is_threshold(var) else "-", label=f"{var} [{units}]" if units else var)
    _spike_ticks(ax_state, run, pop, node)
    ax_state.set_title(f"{pop}[{node}]")
    if not state:
        _note(ax_state, "no v / threshold recorded")
    for var, t, y, units in inputs:
        ax_input.plot(t, y, lw=0.9, label=f"{var} [{units}]" if units else var)
    if not inputs:
        _note(ax_input, "no input variables recorded")
    for ax in (ax_state, ax_input):
        if ax.get_legend_handles_labels()[0]:
            ax.legend(loc="upper left", fontsize="small")
    ax_input.set_xlabel("time (ms)")


def delay_lines(run):
    """[(label, t, y, plastic)] for the delay panel: plastic projections first."""
    changed = set(run.plasticity.loc[run.plasticity["variable"] == "delay", "projection"])
    lines = []
    for (proj, var), s in run.synapses.items():
        if var != "delay" or not len(s.time) or not len(s.synapse_ids):
            continue
        n = min(len(s.synapse_ids), MAX_SYNAPSE_LINES)
        d = s._data.read(list(range(n)))
        st = _stride(len(s.time))
        for j in range(n):
            plastic = proj in changed or bool(np.any(d[:, j] != d[0, j]))
            label = f"{proj}[{s.synapse_ids[j]}] {s.source_node_id[j]}->{s.target_node_id[j]}"
            lines.append((label, s.time[::st], d[::st, j], plastic))
    sampled = {p for (p, v) in run.synapses if v == "delay"}
    for proj in sorted(changed - sampled):  # no samples: steps from the events
        for sid, (t, y) in run.delay_steps(proj).items():
            lines.append((f"{proj}[{sid}] (events)", t, y, True))
    if any(p for *_, p in lines):
        lines = [line for line in lines if line[3]]
    return lines


def plot_delays(ax, run):
    lines = delay_lines(run)
    for label, t, y, plastic in lines[:MAX_SYNAPSE_LINES]:
        ax.plot(t, y, drawstyle="steps-post", lw=1.2, label=label if plastic else label + " (fixed)")
    if not lines:
        _note(ax, "no delays recorded")
    else:
        ax.legend(loc="upper left", fontsize="small", ncol=2)
        if len(lines) > MAX_SYNAPSE_LINES:
            ax.set_title(f"first {MAX_SYNAPSE_LINES} of {len(lines)} synapses", fontsize="small")
    ax.set_ylabel("delay (ms)")


def plot_raster(ax, run):
    df = run.spikes
    pops = run.spike_populations
    if not len(df):
        _note(ax, "no spikes recorded" if pops else "no spike group in file")
    offset, ticks = 0, []
    for pop in pops:
        sub = df[df["population"] == pop]
        n_nodes = int(sub["node_id"].max()) + 1 if len(sub) else 1
        if len(sub) > MAX_RASTER_SPIKES:
            sub = sub.iloc[:: int(np.ceil(len(sub) / MAX_RASTER_SPIKES))]
        ax.plot(sub["time_ms"], sub["node_id"] + offset, "|", ms=4, label=f"{pop} ({int((df['population'] == pop).sum())})")
        ticks.append((offset + (n_nodes - 1) / 2, pop))
        offset += n_nodes + 1
    if ticks:
        ax.set_yticks([t for t, _ in ticks], [p for _, p in ticks])
    ax.set_xlabel("time (ms)")
    ax.set_title("spike raster", fontsize="small")


def make_figure(run, max_neurons=4):
    neurons = recorded_neurons(run)
    shown = neurons[:max_neurons]
    ncols = max(1, len(shown))
    nrows = 4 if shown else 2
    fig = plt.figure(figsize=(max(8.0, 4.5 * ncols), 2.8 * nrows), layout="constrained")
    gs = fig.add_gridspec(nrows, ncols)
    first = None
    if shown:
        for c, (pop, node) in enumerate(shown):
            ax_s = fig.add_subplot(gs[0, c], sharex=first)
            first = first or ax_s
            plot_neuron(ax_s, fig.add_subplot(gs[1, c], sharex=first), run, pop, node)
    plot_delays(fig.add_subplot(gs[nrows - 2, :], sharex=first), run)
    ax_r = fig.add_subplot(gs[nrows - 1, :], sharex=first)
    plot_raster(ax_r, run)
    if run.t_stop_ms:
        ax_r.set_xlim(0, run.t_stop_ms)
    title = os.path.basename(run.path)
    if run.completed is False:
        title += "  (run incomplete)"
    if len(neurons) > len(shown):
        title += f"  — neurons: first {len(shown)} of {len(neurons)} recorded"
    fig.suptitle(title)
    return fig, shown, neurons


def main(argv=None):
    ap = argparse.ArgumentParser(description="Plot traces, delays and spikes of a delaysim HDF5 output.")
    ap.add_argument("file", help="OUT.h5")
    ap.add_argument("-o", "--output", help="PNG path (default: OUT.png next to OUT.h5)")
    ap.add_argument("--max-neurons", type=int, default=4, help="per-neuron columns (default 4)")
    ap.add_argument("--dpi", type=int, default=110)
    args = ap.parse_args(argv)
    try:
        run = delaysim_h5.load(args.file)
    except OSError as e:
        print(f"{args.file}: error: {e}", file=sys.stderr)
        return 2
    out = args.output or os.path.splitext(args.file)[0] + ".png"
    fig, shown, neurons = make_figure(run, max(1, args.max_neurons))
    fig.savefig(out, dpi=args.dpi)
    plt.close(fig)
    if len(neurons) > len(shown):
        print(f"plot_traces: showing {len(shown)} of {len(neurons)} recorded neurons: "
              + ", ".join(f"{p}[{n}]" for p, n in shown))
    print(f"plot_traces: wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
