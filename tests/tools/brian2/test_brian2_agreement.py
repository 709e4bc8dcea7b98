"""delaysim vs Brian2 2.5.1 on the seed's fixed-delay network (1040 ms).

Brian2 detects threshold crossings on its time grid, so its spike times converge
to the exact ones only to first order in dt and are always late; delaysim is
exact and must be the limit Brian2 converges to (issue 6). Asserted:
  - equal spike counts per population at dt = 0.1, 0.05, 0.01, 0.001 ms;
  - at dt = 0.001 ms every matched spike within 0.2 ms of delaysim's and never
    earlier than delaysim's by more than 1e-6 ms;
  - Brian2's max |dt| to delaysim shrinks at least 10x from dt = 0.01 to 0.001 ms.
Runs Brian2 in cpp_standalone mode (one compile per dt)."""
import json
import os
import subprocess
import sys

SRC = os.environ["DELAYSIM_SOURCE_DIR"]
BIN = os.environ["DELAYSIM_BINARY"]
CONFIG = os.path.join(SRC, "configs", "two_neuron_fixed_delays.toml")


def test_brian2_converges_to_delaysim(tmp_path):
    ds = tmp_path / "delaysim.h5"
    subprocess.run([BIN, "run", CONFIG, "-o", str(ds), "--quiet"], check=True)
    proc = subprocess.run([sys.executable, os.path.join(SRC, "tools", "brian2_convergence.py"), CONFIG,
                           "--delaysim", str(ds), "--dts", "0.1", "0.05", "0.01", "0.001",
                           "--target", "cpp_standalone", "--populations", "N1", "N2", "--json"],
                          capture_output=True, text=True, timeout=1500)
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = json.loads(proc.stdout)["rows"]
    print(json.dumps(rows, indent=1))
    by = {(r["dt_ms"], r["population"]): r for r in rows}
    for r in rows:
        assert r["n_brian2"] == r["n_delaysim"], r
    n1 = {dt: by[(dt, "N1")] for dt in (0.1, 0.05, 0.01, 0.001)}
    assert n1[0.001]["n_delaysim"] == 44 and by[(0.001, "N2")]["n_delaysim"] == 0
    fine = n1[0.001]
    assert fine["unmatched"] == 0
    assert fine["max_abs_dt"] <= 0.2
    assert fine["max_early"] <= 1e-6
    assert n1[0.001]["max_abs_dt"] * 10 <= n1[0.01]["max_abs_dt"]
