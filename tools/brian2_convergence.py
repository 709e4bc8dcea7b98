#!/usr/bin/env python3
"""Convergence of Brian2's spike times to delaysim's as Brian2's dt shrinks.

    tools/brian2_convergence.py CONFIG.toml [--delaysim DELAYSIM.h5]
        [--dts 0.1 0.05 0.01 0.001] [--target cpp_standalone]
        [--populations P ...] [--replay-sources] [--keep DIR] [--markdown] [--json]

For every dt, runs tools/brian2_reference.py on CONFIG (one fresh process each,
cpp_standalone by default, build in a temporary directory) and compares its
spikes with DELAYSIM.h5 using tools/compare_runs.py's matching (optimal
order-preserving, window --match-window ms). Prints one row per dt and
population: spike counts (Brian2 and delaysim), max and mean |dt| of the
matched spikes (dt = t_Brian2 - t_delaysim), max early (how much Brian2 fires
before delaysim at worst; negative: always late), unmatched spikes, last spike
times, and the wall time of the Brian2 process (code generation, compilation
and run). The command line is printed in the header.

With --delaysim, the realised synapses are taken from the delaysim file
(--synapses-from; needed for random connectivity), and with --replay-sources
the source spikes too (needed for poisson_source). Without --delaysim only
Brian2's own counts and last spike times are listed.

Default populations: the neuron (non-source) populations of CONFIG.
Exit codes: 0 done, 2 bad input, 1 a Brian2 run failed.
"""
import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time
import tomllib

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import compare_runs  # noqa: E402

SOURCE_MODELS = ("pattern_source", "explicit_source", "poisson_source")


def brian_spikes(path):
    import h5py
    import numpy as np
    out = {}
    with h5py.File(path, "r") as f:
        for p, g in f["spikes"].items():
            out[p] = np.asarray(g["timestamps"][:], dtype=float)
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="\n\n".join(__doc__.split("\n\n")[1:]))
    ap.add_argument("config")
    ap.add_argument("--delaysim", metavar="DELAYSIM.h5", help="delaysim output of the same config")
    ap.add_argument("--dts", type=float, nargs="+", default=[0.1, 0.05, 0.01, 0.001], metavar="MS")
    ap.add_argument("--target", default="cpp_standalone", choices=["cpp_standalone", "numpy", "cython"])
    ap.add_argument("--populations", nargs="+", metavar="P")
    ap.add_argument("--replay-sources", action="store_true",
                    help="replay delaysim's recorded source spikes (--source-spikes)")
    ap.add_argument("--align-initial", action="store_true", help="pass --align-initial to brian2_reference.py")
    ap.add_argument("--match-window", type=float, default=20.0, metavar="MS",
                    help="pairing window of the spike matching (default 20 ms: at dt = 0.1 ms Brian2 "
                         "is up to ~10 ms late on the seed network)")
    ap.add_argument("--keep", metavar="DIR", help="keep the Brian2 HDF5 files in DIR (brian2_dt<dt>.h5)")
    ap.add_argument("--markdown", action="store_true", help="print a Markdown table")
    ap.add_argument("--json", action="store_true", help="print the rows as JSON")
    a = ap.parse_args(argv)
    cmdline = "tools/brian2_convergence.py " + " ".join(shlex.quote(x) for x in (argv if argv is not None
                                                                                   else sys.argv[1:]))
    try:
        with open(a.config, "rb") as fh:
            cfg = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as e:
        print(f"brian2_convergence: error: {a.config}: {e}", file=sys.stderr)
        return 2
    if a.delaysim and not os.path.isfile(a.delaysim):
        print(f"brian2_convergence: error: {a.delaysim}: no such file", file=sys.stderr)
        return 2
    if a.replay_sources and not a.delaysim:
        print("brian2_convergence: error: --replay-sources needs --delaysim", file=sys.stderr)
        return 2
    pops = a.populations or [p["name"] for p in cfg.get("population", []) if p.get("model") not in SOURCE_MODELS]
    workdir = a.keep or tempfile.mkdtemp(prefix="brian2_conv_")
    os.makedirs(workdir, exist_ok=True)
    ref_meta = None
    rows = []
    for dt in a.dts:
        out = os.path.join(workdir, f"brian2_dt{dt:g}.h5")
        cmd = [sys.executable, os.path.join(HERE, "brian2_reference.py"), a.config, "-o", out, "--dt", repr(dt),
               "--target", a.target, "--quiet"]
        if a.delaysim:
            cmd += ["--synapses-from", a.delaysim]
        if a.replay_sources:
            cmd += ["--source-spikes", a.delaysim]
        if a.align_initial:
            cmd.append("--align-initial")
        print(f"brian2_convergence: dt = {dt:g} ms ...", file=sys.stderr, flush=True)
        t0 = time.time()
        proc = subprocess.run(cmd)
        wall = time.time() - t0
        if proc.returncode != 0:
            print(f"brian2_convergence: error: brian2_reference.py failed (exit {proc.returncode}) at dt={dt}",
                  file=sys.stderr)
            return 2 if proc.returncode == 2 else 1
        if a.delaysim:
            try:
                res = compare_runs.compare_files(a.delaysim, out, pops, a.match_window)
            except compare_runs.BadInput as e:
                print(f"brian2_convergence: error: {e}", file=sys.stderr)
                return 2
            ref_meta = res["meta"]["a"]
            for p in pops:
                r = res["populations"][p]
                rows.append(dict(dt_ms=dt, population=p, n_brian2=r["count_b"], n_delaysim=r["count_a"],
                                 max_abs_dt=r["max_abs_dt"], mean_abs_dt=r["mean_abs_dt"], max_early=r["max_early"],
                                 unmatched=r["unmatched_a"] + r["unmatched_b"], last_brian2=r["last_b"],
                                 last_delaysim=r["last_a"], wall_s=wall))
        else:
            sp = brian_spikes(out)
            for p in pops:
                t = sp.get(p)
                rows.append(dict(dt_ms=dt, population=p, n_brian2=None if t is None else int(len(t)),
                                 last_brian2=None if t is None or not len(t) else float(t.max()), wall_s=wall))
        if not a.keep:
            os.remove(out)
    if not a.keep:
        os.rmdir(workdir)

    if a.json:
        json.dump({"command": cmdline, "delaysim": ref_meta, "rows": rows}, sys.stdout, indent=2)
        print()
        return 0
    f = compare_runs._fmt
    if a.delaysim:
        hdr = ["dt (ms)", "population", "spikes Brian2", "spikes delaysim", "max |Δt| (ms)", "mean |Δt| (ms)",
               "max early (ms)", "unmatched", "last Brian2 (ms)", "last delaysim (ms)", "wall (s)"]
        body = [[f"{r['dt_ms']:g}", r["population"], r["n_brian2"], r["n_delaysim"], f(r["max_abs_dt"], ".4g"),
                 f(r["mean_abs_dt"], ".4g"), f(r["max_early"], ".3g"), r["unmatched"], f(r["last_brian2"], ".10g"),
                 f(r["last_delaysim"], ".10g"), f"{r['wall_s']:.1f}"] for r in rows]
    else:
        hdr = ["dt (ms)", "population", "spikes Brian2", "last Brian2 (ms)", "wall (s)"]
        body = [[f"{r['dt_ms']:g}", r["population"], f(r["n_brian2"], "d"), f(r["last_brian2"], ".10g"),
                 f"{r['wall_s']:.1f}"] for r in rows]
    print(f"# {cmdline}")
    print(f"# Brian2 target {a.target}; dt = t_Brian2 - t_delaysim; max early = max(t_delaysim - t_Brian2); "
          f"wall = whole Brian2 process incl. code generation and compilation")
    if ref_meta:
        print(f"# delaysim: {ref_meta['path']} [{ref_meta['version']}]")
    if a.markdown:
        print("| " + " | ".join(hdr) + " |")
        print("|" + "|".join("---" for _ in hdr) + "|")
        for r in body:
            print("| " + " | ".join(str(c) for c in r) + " |")
    else:
        compare_runs._table(hdr, body, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
