#!/usr/bin/env python3
"""Compare the spikes and traces of two delaysim-layout HDF5 files (A = reference, B = candidate).

    tools/compare_runs.py A.h5 B.h5 [--max-dt MS] [--max-early MS]
        [--max-count-diff N] [--max-unmatched N] [--max-trace-diff X]
        [--match-window MS] [--populations P ...] [--json]
    tools/compare_runs.py A.h5 B.h5 --bit-exact

--bit-exact: the files hold the same groups and datasets, every dataset with the
same type, shape and bytes (strings: equal values), and the same attributes,
except the lines that the command line adds to the root attribute config_toml
for options that must not change any result (--set simulation.threads=...):
the check that threads and ranks give the one-process run's output (README,
"Parallel runs"). Differences are listed; exit 1 if any.

Spike matching: per population and node, the spikes of A and B are paired one to
one by an optimal order-preserving assignment: among all pairings that keep
time order and pair only spikes within --match-window ms of each other, the one
with the most pairs, and among those the smallest total |dt|, is taken
(dynamic programming over clusters of spikes closer than the window; when both
trains have the same length and the i-th spikes are all within the window this
is simply the i-th with the i-th). Spikes left over are "unmatched".

Reported per population: spike counts of A and B and their difference (B - A),
matched pairs, unmatched spikes of A and of B, max and mean |tB - tA| over the
matched pairs, "max early" = max(tA - tB) over the matched pairs (how much B
fires before A at worst; negative when B is always late), and the max |B - A|
of every trace variable at the sample times present in both files (times equal
within 1e-9 ms; nothing is interpolated) and the nodes present in both.

Tolerances (each is checked only when given; the comparison fails when any is
exceeded):
  --max-count-diff N   |count B - count A| <= N in every population
  --max-dt MS          every matched |dt| <= MS
  --max-early MS       every matched tA - tB <= MS
  --max-unmatched N    unmatched spikes (A + B) <= N per population; default:
                       the --max-count-diff value (0 if not given) whenever
                       --max-dt or --max-early is given, so that a spike moved
                       beyond the match window cannot pass as "unmatched"
  --max-trace-diff X   every trace difference <= X

Exit codes: 0 within tolerances, 1 beyond, 2 bad input (missing or unreadable
file, wrong layout, unknown population).
"""
import argparse
import json
import math
import os
import sys

import numpy as np

TIME_TOL_MS = 1e-9


class BadInput(Exception):
    pass


# ---------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------

def open_run(path):
    try:
        import h5py
    except ImportError:  # pragma: no cover
        raise BadInput("h5py is not installed (Debian: python3-h5py)")
    if not os.path.isfile(path):
        raise BadInput(f"{path}: no such file")
    try:
        f = h5py.File(path, "r")
    except OSError as e:
        raise BadInput(f"{path}: not a readable HDF5 file ({e})")
    if "spikes" not in f or not isinstance(f["spikes"], h5py.Group):
        f.close()
        raise BadInput(f"{path}: no /spikes group (not a delaysim-layout file)")
    return f


def read_spikes(f, path):
    import h5py
    out = {}
    for pop, g in f["spikes"].items():
        if not isinstance(g, h5py.Group) or "timestamps" not in g or "node_ids" not in g:
            raise BadInput(f"{path}: /spikes/{pop} needs datasets timestamps and node_ids")
        t = np.asarray(g["timestamps"][:], dtype=float).ravel()
        n = np.asarray(g["node_ids"][:]).ravel()
        if t.shape != n.shape:
            raise BadInput(f"{path}: /spikes/{pop}: timestamps ({t.size}) and node_ids ({n.size}) differ in length")
        if t.size and not np.all(np.isfinite(t)):
            raise BadInput(f"{path}: /spikes/{pop}/timestamps holds non-finite values")
        out[pop] = (n.astype(np.int64), t)
    return out


def read_traces(f, path):
    import h5py
    out = {}
    if "traces" not in f:
        return out
    for pop, gp in f["traces"].items():
        if not isinstance(gp, h5py.Group):
            raise BadInput(f"{path}: /traces/{pop} is not a group")
        for var, gv in gp.items():
            if not isinstance(gv, h5py.Group) or not all(k in gv for k in ("time", "node_ids", "data")):
                raise BadInput(f"{path}: /traces/{pop}/{var} needs datasets time, node_ids and data")
            t = np.asarray(gv["time"][:], dtype=float).ravel()
            ids = np.asarray(gv["node_ids"][:]).ravel().astype(np.int64)
            d = np.asarray(gv["data"][:], dtype=float)
            if d.ndim == 1:
                d = d.reshape(len(t), -1) if len(t) else d.reshape(0, len(ids))
            if d.shape != (len(t), len(ids)):
                raise BadInput(f"{path}: /traces/{pop}/{var}/data has shape {d.shape}, expected "
                               f"({len(t)}, {len(ids)}) = (time, node_ids)")
            out[(pop, var)] = (t, ids, d)
    return out


# ---------------------------------------------------------------------------
# Matching
# ---------------------------------------------------------------------------

def _dp_match(a, b, window):
    """Optimal order-preserving matching of sorted a, b: max pairs with |a-b| <= window,
    then min total |a-b|. Returns list of (i, j)."""
    n, m = len(a), len(b)
    if n == 0 or m == 0:
        return []
    diff = np.abs(a[:, None] - b[None, :])
    ok = diff <= window
    # score = pairs * big - cost; big exceeds any possible total cost
    big = 2.0 * (window if math.isfinite(window) else float(diff.max())) * (min(n, m) + 1) + 1.0
    gain = np.where(ok, big - diff, -np.inf)
    f = np.zeros((n + 1, m + 1))
    for i in range(1, n + 1):
        g = np.maximum(f[i - 1, 1:], f[i - 1, :-1] + gain[i - 1])
        f[i, 1:] = np.maximum.accumulate(np.r_[f[i, 0], g])[1:]
    pairs = []
    i, j = n, m
    while i > 0 and j > 0:
        if f[i, j] == f[i, j - 1]:
            j -= 1
        elif f[i, j] == f[i - 1, j]:
            i -= 1
        else:
            pairs.append((i - 1, j - 1))
            i -= 1
            j -= 1
    pairs.reverse()
    return pairs


def match_train(a, b, window):
    """a, b: spike times of one node (any order). Returns (ia, ib) index arrays into the
    sorted trains, plus the sorted trains."""
    a, b = np.sort(a), np.sort(b)
    if len(a) == len(b) and (len(a) == 0 or np.all(np.abs(a - b) <= window)):
        idx = np.arange(len(a))
        return idx, idx, a, b
    # Clusters: cut the merged train where consecutive spikes are more than window apart.
    tags = np.r_[np.zeros(len(a), dtype=np.int8), np.ones(len(b), dtype=np.int8)]
    idx = np.r_[np.arange(len(a)), np.arange(len(b))]
    t = np.r_[a, b]
    o = np.argsort(t, kind="stable")
    t, tags, idx = t[o], tags[o], idx[o]
    cuts = np.nonzero(np.diff(t) > window)[0] + 1
    ia, ib = [], []
    for seg in np.split(np.arange(len(t)), cuts):
        sa = np.sort(idx[seg][tags[seg] == 0])
        sb = np.sort(idx[seg][tags[seg] == 1])
        for i, j in _dp_match(a[sa], b[sb], window):
            ia.append(sa[i])
            ib.append(sb[j])
    return np.asarray(ia, dtype=np.int64), np.asarray(ib, dtype=np.int64), a, b


def compare_population(sa, sb, window):
    na, ta = sa
    nb, tb = sb
    dts = []  # tB - tA of matched pairs
    first_unmatched = []
    unmatched_a = unmatched_b = 0
    oa, ob = np.argsort(na, kind="stable"), np.argsort(nb, kind="stable")
    na, ta, nb, tb = na[oa], ta[oa], nb[ob], tb[ob]
    for node in np.union1d(na, nb):
        a = ta[np.searchsorted(na, node, "left"):np.searchsorted(na, node, "right")]
        b = tb[np.searchsorted(nb, node, "left"):np.searchsorted(nb, node, "right")]
        ia, ib, a, b = match_train(a, b, window)
        dts.append(b[ib] - a[ia])
        ua = np.setdiff1d(np.arange(len(a)), ia)
        ub = np.setdiff1d(np.arange(len(b)), ib)
        unmatched_a += len(ua)
        unmatched_b += len(ub)
        for k in ua[:3]:
            first_unmatched.append(("A", int(node), float(a[k])))
        for k in ub[:3]:
            first_unmatched.append(("B", int(node), float(b[k])))
    d = np.concatenate(dts) if dts else np.zeros(0)
    res = {
        "count_a": int(len(ta)), "count_b": int(len(tb)), "count_diff": int(len(tb) - len(ta)),
        "matched": int(len(d)), "unmatched_a": int(unmatched_a), "unmatched_b": int(unmatched_b),
        "max_abs_dt": float(np.max(np.abs(d))) if len(d) else None,
        "mean_abs_dt": float(np.mean(np.abs(d))) if len(d) else None,
        "max_early": float(np.max(-d)) if len(d) else None,
        "max_late": float(np.max(d)) if len(d) else None,
        "last_a": float(ta.max()) if len(ta) else None,
        "last_b": float(tb.max()) if len(tb) else None,
        "unmatched_examples": sorted(first_unmatched, key=lambda x: x[2])[:6],
    }
    return res


def compare_trace(ta, tb):
    t1, id1, d1 = ta
    t2, id2, d2 = tb
    # common times within TIME_TOL_MS (no interpolation)
    o2 = np.argsort(t2)
    t2s = t2[o2]
    pos = np.clip(np.searchsorted(t2s, t1), 1, max(len(t2s) - 1, 1)) if len(t2s) else np.zeros(0, dtype=int)
    rows_a, rows_b = [], []
    if len(t2s):
        for cand in (pos - 1, pos):
            cand = np.clip(cand, 0, len(t2s) - 1)
            hit = np.abs(t2s[cand] - t1) <= TIME_TOL_MS
            rows_a.append(np.nonzero(hit)[0])
            rows_b.append(o2[cand[hit]])
    ra = np.concatenate(rows_a) if rows_a else np.zeros(0, dtype=int)
    rb = np.concatenate(rows_b) if rows_b else np.zeros(0, dtype=int)
    ra, keep = np.unique(ra, return_index=True)
    rb = rb[keep]
    nodes, ca, cb = np.intersect1d(id1, id2, return_indices=True)
    if len(ra) == 0 or len(nodes) == 0:
        return {"common_samples": int(len(ra)), "common_nodes": int(len(nodes)), "max_abs_diff": None}
    diff = np.abs(d1[np.ix_(ra, ca)] - d2[np.ix_(rb, cb)])
    k = np.unravel_index(np.nanargmax(diff), diff.shape) if np.isfinite(diff).any() else None
    return {"common_samples": int(len(ra)), "common_nodes": int(len(nodes)),
            "max_abs_diff": float(diff[k]) if k is not None else float("nan"),
            "at_time": float(t1[ra[k[0]]]) if k is not None else None,
            "at_node": int(nodes[k[1]]) if k is not None else None}


def compare_files(path_a, path_b, populations=None, window=10.0):
    fa, fb = open_run(path_a), None
    try:
        fb = open_run(path_b)
        spa, spb = read_spikes(fa, path_a), read_spikes(fb, path_b)
        tra, trb = read_traces(fa, path_a), read_traces(fb, path_b)
        warnings = []
        for f, p in ((fa, path_a), (fb, path_b)):
            c = f.attrs.get("completed", None)
            if c is not None and not bool(c):
                warnings.append(f"{p}: completed=false (the run was interrupted)")
        meta = {"a": {"path": path_a, "version": _attr_str(fa, "delaysim_version"),
                      "t_stop_ms": _attr_float(fa, "t_stop_ms")},
                "b": {"path": path_b, "version": _attr_str(fb, "delaysim_version"),
                      "t_stop_ms": _attr_float(fb, "t_stop_ms")}}
    finally:
        fa.close()
        if fb is not None:
            fb.close()
    if meta["a"]["t_stop_ms"] is not None and meta["b"]["t_stop_ms"] is not None and \
            abs(meta["a"]["t_stop_ms"] - meta["b"]["t_stop_ms"]) > TIME_TOL_MS:
        warnings.append(f"t_stop_ms differs: {meta['a']['t_stop_ms']} vs {meta['b']['t_stop_ms']}")
    if populations:
        for p in populations:
            for name, sp, path in (("A", spa, path_a), ("B", spb, path_b)):
                if p not in sp:
                    raise BadInput(f"{path}: population '{p}' has no /spikes/{p} (found: {', '.join(sorted(sp))})")
        pops = list(populations)
    else:
        pops = sorted(set(spa) & set(spb))
        only_a, only_b = sorted(set(spa) - set(spb)), sorted(set(spb) - set(spa))
        if only_a:
            warnings.append(f"spikes only in A (not compared): {', '.join(only_a)}")
        if only_b:
            warnings.append(f"spikes only in B (not compared): {', '.join(only_b)}")
        if not pops:
            raise BadInput(f"no population has spikes in both files (A: {', '.join(sorted(spa)) or '-'}; "
                           f"B: {', '.join(sorted(spb)) or '-'})")
    result = {"meta": meta, "match_window_ms": window, "populations": {}, "traces": {}, "warnings": warnings}
    for p in pops:
        result["populations"][p] = compare_population(spa[p], spb[p], window)
    for key in sorted(set(tra) & set(trb)):
        if populations and key[0] not in populations:
            continue
        result["traces"][f"{key[0]}/{key[1]}"] = compare_trace(tra[key], trb[key])
    return result


def _attr_str(f, k):
    v = f.attrs.get(k)
    if v is None:
        return None
    return v.decode() if isinstance(v, bytes) else str(v)


def _attr_float(f, k):
    v = f.attrs.get(k)
    try:
        return float(v) if v is not None else None
    except (TypeError, ValueError):
        return None


def check(result, max_dt=None, max_early=None, max_count_diff=None, max_unmatched=None, max_trace_diff=None):
    """List of human-readable violations (empty: within tolerances)."""
    bad = []
    if max_unmatched is None and (max_dt is not None or max_early is not None):
        max_unmatched = max_count_diff if max_count_diff is not None else 0
    for p, r in result["populations"].items():
        if max_count_diff is not None and abs(r["count_diff"]) > max_count_diff:
            bad.append(f"{p}: spike count differs by {r['count_diff']} (A {r['count_a']}, B {r['count_b']}) "
                       f"> {max_count_diff}")
        if max_unmatched is not None and r["unmatched_a"] + r["unmatched_b"] > max_unmatched:
            bad.append(f"{p}: {r['unmatched_a']} spikes of A and {r['unmatched_b']} of B unmatched "
                       f"(window {result['match_window_ms']} ms) > {max_unmatched}")
        if max_dt is not None and r["max_abs_dt"] is not None and r["max_abs_dt"] > max_dt:
            bad.append(f"{p}: max |dt| {r['max_abs_dt']:.6g} ms > {max_dt}")
        if max_early is not None and r["max_early"] is not None and r["max_early"] > max_early:
            bad.append(f"{p}: B earlier than A by up to {r['max_early']:.6g} ms > {max_early}")
    if max_trace_diff is not None:
        for k, r in result["traces"].items():
            d = r["max_abs_diff"]
            if d is not None and not (d <= max_trace_diff):
                bad.append(f"trace {k}: max |B - A| {d:.6g} > {max_trace_diff}")
    return bad


def _fmt(x, spec=".6g"):
    if x is None:
        return "-"
    return format(x + 0.0 if isinstance(x, float) else x, spec)  # + 0.0: no "-0"


def print_table(result, out=sys.stdout):
    m = result["meta"]
    print(f"A: {m['a']['path']}  [{m['a']['version']}]", file=out)
    print(f"B: {m['b']['path']}  [{m['b']['version']}]", file=out)
    print(f"matching: optimal order-preserving, window {result['match_window_ms']} ms; dt = tB - tA; "
          f"early = tA - tB", file=out)
    hdr = ["population", "n_A", "n_B", "B-A", "matched", "unm_A", "unm_B", "max|dt|", "mean|dt|", "max_early",
           "last_A", "last_B"]
    rows = []
    for p, r in result["populations"].items():
        rows.append([p, r["count_a"], r["count_b"], f"{r['count_diff']:+d}", r["matched"], r["unmatched_a"],
                     r["unmatched_b"], _fmt(r["max_abs_dt"]), _fmt(r["mean_abs_dt"]), _fmt(r["max_early"]),
                     _fmt(r["last_a"], ".10g"), _fmt(r["last_b"], ".10g")])
    _table(hdr, rows, out)
    if result["traces"]:
        print(file=out)
        hdr = ["trace", "samples", "nodes", "max|B-A|", "at_ms", "node"]
        rows = [[k, r["common_samples"], r["common_nodes"], _fmt(r["max_abs_diff"]), _fmt(r.get("at_time"), ".10g"),
                 _fmt(r.get("at_node"), "d")] for k, r in result["traces"].items()]
        _table(hdr, rows, out)
    for p, r in result["populations"].items():
        for side, node, t in r["unmatched_examples"]:
            print(f"unmatched: {p} node {node}: spike of {side} at {t:.10g} ms", file=out)
    for w in result["warnings"]:
        print(f"warning: {w}", file=out)


def _table(hdr, rows, out):
    cols = [hdr] + [[str(c) for c in r] for r in rows]
    width = [max(len(r[i]) for r in cols) for i in range(len(hdr))]
    for k, r in enumerate(cols):
        print("  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(r, width))), file=out)
        if k == 0:
            print("  ".join("-" * w for w in width), file=out)


# Settings that change how a run is computed, never what it computes.
RESULT_NEUTRAL_SETS = ("#   --set simulation.threads=",)


def _config_lines(text):
    if isinstance(text, bytes):
        text = text.decode()
    lines = [l for l in str(text).splitlines() if not l.startswith(RESULT_NEUTRAL_SETS)]
    # A --set block left empty, and the blank lines before it, go too.
    while lines and (not lines[-1].strip() or lines[-1].startswith("# delaysim --set options")):
        lines.pop()
    return lines


def _same_value(x, y):
    x, y = np.asarray(x), np.asarray(y)
    if x.dtype != y.dtype or x.shape != y.shape:
        return False
    if x.dtype.kind in "OSUV":  # strings, compound: by value
        return bool(np.array_equal(x, y)) if x.dtype.kind != "V" else x.tobytes() == y.tobytes()
    return x.tobytes() == y.tobytes()


def _attrs_differ(name, oa, ob):
    out = []
    keys_a, keys_b = set(oa.attrs.keys()), set(ob.attrs.keys())
    for k in sorted(keys_a ^ keys_b):
        out.append(f"{name or '/'}: attribute {k} only in {'A' if k in keys_a else 'B'}")
    for k in sorted(keys_a & keys_b):
        va, vb = oa.attrs[k], ob.attrs[k]
        if name == "" and k == "config_toml":
            same = _config_lines(va) == _config_lines(vb)
        else:
            same = _same_value(va, vb)
        if not same:
            out.append(f"{name or '/'}: attribute {k} differs")
    return out


def bit_exact(path_a, path_b):
    """Differences between two files, as text lines (empty: equal)."""
    try:
        import h5py
    except ImportError:  # pragma: no cover
        raise BadInput("h5py is not installed (Debian: python3-h5py)")
    files = []
    for p in (path_a, path_b):
        try:
            files.append(h5py.File(p, "r"))
        except (OSError, ValueError) as e:
            raise BadInput(f"{p}: cannot read as HDF5 ({e})")
    fa, fb = files
    items = []
    for f in files:
        d = {}
        f.visititems(lambda n, o, d=d: d.__setitem__(n, o))
        items.append(d)
    ia, ib = items
    diff = _attrs_differ("", fa, fb)
    for n in sorted(set(ia) ^ set(ib)):
        diff.append(f"{n}: only in {'A' if n in ia else 'B'}")
    for n in sorted(set(ia) & set(ib)):
        oa, ob = ia[n], ib[n]
        if isinstance(oa, h5py.Dataset) != isinstance(ob, h5py.Dataset):
            diff.append(f"{n}: a dataset in one file, a group in the other")
            continue
        if isinstance(oa, h5py.Dataset):
            if oa.dtype != ob.dtype or oa.shape != ob.shape:
                diff.append(f"{n}: type/shape {oa.dtype}{oa.shape} vs {ob.dtype}{ob.shape}")
            elif not _same_value(oa[()], ob[()]):
                diff.append(f"{n}: values differ")
        diff += _attrs_differ(n, oa, ob)
    return diff


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="\n\n".join(__doc__.split("\n\n")[1:]))
    ap.add_argument("a", help="reference run (e.g. delaysim)")
    ap.add_argument("b", help="candidate run (e.g. Brian2)")
    ap.add_argument("--max-dt", type=float, metavar="MS")
    ap.add_argument("--max-early", type=float, metavar="MS")
    ap.add_argument("--max-count-diff", type=int, metavar="N")
    ap.add_argument("--max-unmatched", type=int, metavar="N")
    ap.add_argument("--max-trace-diff", type=float, metavar="X")
    ap.add_argument("--match-window", type=float, default=10.0, metavar="MS",
                    help="largest |dt| two spikes may be paired with (default 10 ms)")
    ap.add_argument("--populations", nargs="+", metavar="P", help="compare only these populations")
    ap.add_argument("--json", action="store_true", help="print the result as JSON")
    ap.add_argument("--bit-exact", action="store_true",
                    help="every dataset and attribute equal, bit for bit (see above)")
    try:
        a = ap.parse_args(argv)
    except SystemExit as e:
        return 2 if e.code else 0
    if a.bit_exact:
        try:
            diff = bit_exact(a.a, a.b)
        except BadInput as e:
            print(f"compare_runs: error: {e}", file=sys.stderr)
            return 2
        print("\n".join(diff) if diff else "OK: bit-identical")
        return 1 if diff else 0
    try:
        if not a.match_window > 0:
            raise BadInput("--match-window must be > 0")
        for name in ("max_dt", "max_early", "max_trace_diff"):
            v = getattr(a, name)
            if v is not None and math.isnan(v):
                raise BadInput(f"--{name.replace('_', '-')} must be a number")
        result = compare_files(a.a, a.b, a.populations, a.match_window)
    except BadInput as e:
        print(f"compare_runs: error: {e}", file=sys.stderr)
        return 2
    bad = check(result, a.max_dt, a.max_early, a.max_count_diff, a.max_unmatched, a.max_trace_diff)
    result["violations"] = bad
    result["ok"] = not bad
    if a.json:
        json.dump(result, sys.stdout, indent=2)
        print()
    else:
        print_table(result)
        print("\n" + ("FAIL:\n  " + "\n  ".join(bad) if bad else "OK: within the given tolerances"))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
