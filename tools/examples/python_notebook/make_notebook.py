# Writes seed_concept.ipynb (cells without outputs): /usr/bin/python3 tools/examples/python_notebook/make_notebook.py
# Edit the cells here or in Jupyter; the notebook file is what the test executes.
import nbformat as nbf
nb = nbf.v4.new_notebook()
md, code = nbf.v4.new_markdown_cell, nbf.v4.new_code_cell
cells = []
cells.append(md("""# The seed's two-neuron concept, from Python

Two spike generators SG1, SG2 play the same pattern (1, 2, 3, 4, 6, 8, 9 ms, every 13 ms).
Two coincidence neurons N1, N2 get SG1 through a fixed 1 ms delay and SG2 through a plastic
delay (N1: 0 ms, N2: 1 ms at the start). The first neuron to fire inhibits the other, and the
loser's SG2 delay moves up by 1 ms (`loser_delay_shift`), clamped to [0, 14] ms.

Here the network is built in code (the same as `configs/two_neuron_delay_learning.toml`), run in
chunks of 20 ms while the delays are read between chunks, and at t = 520 ms N1's delay is set
back by hand from 14 ms to 5 ms. A twin simulation without that change shows the effect.
The notebook is executed headless by the test suite (CTest `python_notebook`)."""))
cells.append(code("""import os, sys, tempfile
try:
    import delaysim as ds
except ImportError:  # opened from the repository without PYTHONPATH=build/python
    d = os.path.abspath(os.getcwd())
    while d != "/" and not os.path.isdir(os.path.join(d, "build", "python")):
        d = os.path.dirname(d)
    sys.path.insert(0, os.path.join(d, "build", "python"))
    import delaysim as ds
import numpy as np
import matplotlib.pyplot as plt
%matplotlib inline
print("delaysim", ds.__version__)"""))
cells.append(md("## The network, built in code\nSame keys as the model file (see `configs/README.md`); `ds.models()` and `ds.rules()` list what exists."))
cells.append(code("""def seed_network():
    net = ds.Network()
    pattern = {"pattern_ms": [1, 2, 3, 4, 6, 8, 9], "period_ms": 13.0, "repeats": 80}
    neuron = {"tau_ms": 1000.0, "tau_s1_ms": 0.5, "tau_s2_ms": 0.5, "tau_th_ms": 50.0, "gain": 2000.0, "th0": 8.0}
    net.record(interval_ms=0.1)
    net.record_synapses("sg2_n1", ["delay"]).record_synapses("sg2_n2", ["delay"])
    net.add_population("SG1", "pattern_source", params=pattern)
    net.add_population("SG2", "pattern_source", params=pattern)
    net.add_population("N1", "coincidence", params=neuron)
    net.add_population("N2", "coincidence", params=neuron)
    net.add_projection("sg1_n1", "SG1", "N1", "a", delay_ms=1.0)
    net.add_projection("sg1_n2", "SG1", "N2", "a", delay_ms=1.0)
    plastic = dict(delay_min_ms=0.0, delay_max_ms=14.0, bounds="clamp")
    net.add_projection("sg2_n1", "SG2", "N1", "b", delay_ms=0.0, **plastic)
    net.add_projection("sg2_n2", "SG2", "N2", "b", delay_ms=1.0, **plastic)
    net.add_projection("n1_inhibits_n2", "N1", "N2", "inhibit", delay_ms=0.0)
    net.add_projection("n2_inhibits_n1", "N2", "N1", "inhibit", delay_ms=0.0)
    net.add_rule("loser_delay_shift", ["sg2_n1", "sg2_n2"], params={"step_ms": 1.0})
    return net

print([m["name"] for m in ds.models()], [r["name"] for r in ds.rules()])
sim = ds.Simulation(seed_network(), seed=0, t_stop_ms=1040.0)
twin = ds.Simulation(seed_network(), seed=0, t_stop_ms=1040.0)
sim"""))
cells.append(md("## Run in chunks, read the delays between them, change one by hand at 520 ms"))
cells.append(code("""T_CHANGE, D_NEW = 520.0, 5.0
seen = []  # (t, d_N1, d_N2) read between chunks
for t in np.arange(20.0, 1040.0 + 1e-9, 20.0):
    if t - 20.0 == T_CHANGE:
        before = sim.projection("sg2_n1").delays[0]
        sim.projection("sg2_n1").set_delay(0, D_NEW)   # through the bounds; logged in /plasticity (rule "user")
        print(f"t = {sim.t:g} ms: sg2_n1 delay {before:g} -> {sim.projection('sg2_n1').delays[0]:g} ms by hand")
    sim.run(t)
    twin.run(t)
    seen.append((t, sim.projection("sg2_n1").delays[0], sim.projection("sg2_n2").delays[0]))
seen = np.array(seen)
print(sim)
print("delays now:", sim.projection("sg2_n1").delays, sim.projection("sg2_n2").delays)"""))
cells.append(md("## Save both runs and plot the delays as they move"))
cells.append(code("""out = tempfile.mkdtemp(prefix="delaysim_notebook_")
sim.save(os.path.join(out, "changed.h5"))
twin.save(os.path.join(out, "twin.h5"))
run, ref = ds.h5.load(os.path.join(out, "changed.h5")), ds.h5.load(os.path.join(out, "twin.h5"))
run   # the repr is the file's summary"""))
cells.append(code("""fig, (ax, ax2) = plt.subplots(2, 1, figsize=(9, 6), sharex=True, gridspec_kw={"height_ratios": [3, 1.4]})
for proj, color in (("sg2_n1", "C0"), ("sg2_n2", "C1")):
    s, r = run.synapses[(proj, "delay")], ref.synapses[(proj, "delay")]
    ax.plot(s.time, s.data[:, 0], color=color, lw=1.8, label=f"{proj}, set by hand at {T_CHANGE:g} ms")
    ax.plot(r.time, r.data[:, 0], color="k" if proj == "sg2_n1" else "0.5", ls="--", lw=1, zorder=3,
            label=f"{proj}, no change")
ax.plot(seen[:, 0], seen[:, 1], "o", ms=3, color="C0", label="read between 20 ms chunks")
ax.plot(seen[:, 0], seen[:, 2], "o", ms=3, color="C1")
ax.axvline(T_CHANGE, color="k", lw=0.8, ls=":")
ax.annotate(f"sg2_n1: 14 -> {D_NEW:g} ms", (T_CHANGE, D_NEW), xytext=(T_CHANGE + 40, 1.0), arrowprops={"arrowstyle": "->"})
ax.set_ylabel("SG2 delay (ms)")
ax.set_title("Seed concept from Python: plastic delays, with one changed by hand mid-run")
ax.legend(loc="center right", fontsize=8)
for k, (df, name) in enumerate(((run.spikes, "changed"), (ref.spikes, "no change"))):
    for j, pop in enumerate(("N1", "N2")):
        ts = df.loc[df["population"] == pop, "time_ms"]
        ax2.plot(ts, np.full(len(ts), 2 * k + j), "|", ms=8, color=f"C{j}")
ax2.set_yticks([0, 1, 2, 3], ["N1 changed", "N2 changed", "N1 no change", "N2 no change"])
ax2.axvline(T_CHANGE, color="k", lw=0.8, ls=":")
ax2.set_xlabel("time (ms)")
fig.tight_layout()
os.environ.get("DELAYSIM_NOTEBOOK_FIGURE") and fig.savefig(os.environ["DELAYSIM_NOTEBOOK_FIGURE"], dpi=110)
plt.show()"""))
cells.append(md("""## What the figure shows (checked below, so the notebook cannot silently change)
- N1's delay climbs 0 -> 14 ms by about 260 ms while N2 keeps winning; then N2's climbs 1 -> 14 ms
  until both are aligned at 14 ms (ties: both fire and both are inhibited, nothing moves).
- Set back to 5 ms at 520 ms, N1 fires once more, then loses every round: its delay climbs back
  to 14 ms in 1 ms steps (by about 700 ms) and N1 stays silent until it is aligned again (about
  745 ms). In the twin run nothing moves after 520 ms.
- Reading between chunks never changes the run: the chunked twin equals one run of the model file."""))
cells.append(code("""ev = run.plasticity
hand = ev[ev["rule"] == "user"]
assert hand[["time_ms", "old", "new"]].values.tolist() == [[T_CHANGE, 14.0, D_NEW]]
after = ev[(ev["projection"] == "sg2_n1") & (ev["time_ms"] > T_CHANGE) & (ev["rule"] == "loser_delay_shift")]
assert after["new"].tolist() == [float(d) for d in range(int(D_NEW) + 1, 15)]   # back to 14 in 1 ms steps
assert ref.plasticity["time_ms"].max() < T_CHANGE                             # the twin: nothing moves after 520
assert sim.projection("sg2_n1").delays[0] == twin.projection("sg2_n1").delays[0] == 14.0
n1_quiet = run.spikes_of("N1")["time_ms"]
assert not ((n1_quiet > T_CHANGE + 20) & (n1_quiet < after["time_ms"].iloc[-1])).any()   # N1 silent while it catches up
file_run = ds.load(os.path.join(os.environ.get("DELAYSIM_SOURCE_DIR", "../../.."), "configs", "two_neuron_delay_learning.toml"))
file_run.run(1040)
assert file_run.spikes().equals(twin.spikes())
metrics = {"changed_at_ms": T_CHANGE, "realigned_ms": float(after["time_ms"].iloc[-1]),
           "n1_back_ms": float(n1_quiet[n1_quiet > T_CHANGE + 20].iloc[0]), "steps_back": len(after)}
if os.environ.get("DELAYSIM_NOTEBOOK_METRICS"):
    import json
    with open(os.environ["DELAYSIM_NOTEBOOK_METRICS"], "w") as f:
        json.dump(metrics, f)
print("checks passed;", metrics, "files in", out)"""))
nb["cells"] = cells
nb["metadata"]["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
import os
nbf.write(nb, os.path.join(os.path.dirname(os.path.abspath(__file__)), "seed_concept.ipynb"))
