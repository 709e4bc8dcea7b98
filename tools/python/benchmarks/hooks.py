#!/usr/bin/python3
"""Cost of one Python rule hook call (ns), measured on configs/lif_random_delays.toml
(event-by-event loop: batching off, so the rule does not change how the network
is run). Each hook variant runs on every delivery through E_E; the cost per call
is (time with the rule - time without) / calls, best of --repeat runs.

    PYTHONPATH=build/python /usr/bin/python3 tools/python/benchmarks/hooks.py [--repeat 5] [--t-stop 500]

Prints one line per variant and, last, one JSON object.
"""
import argparse
import json
import os
import time

import delaysim as ds

CONFIG = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "configs", "lif_random_delays.toml")


class Count:
    """The cheapest useful hook: count the call."""
    writes_delays = writes_weights = False

    def __init__(self):
        self.n = 0

    def on_delivered(self, syn, t):
        self.n += 1


class ReadWrite(Count):
    """A typical delay rule's work: read the delay, write it back through the bounds
    (the same value, so nothing changes and the runs stay comparable)."""

    def on_delivered(self, syn, t):
        self.n += 1
        syn.set_delay(syn.delay)


def run_once(t_stop, rule):
    sim = ds.load(CONFIG, set={"simulation.t_stop_ms": t_stop, "simulation.batching": False,
                               "record.interval_ms": 0})
    if rule is not None:
        sim.add_rule(rule, "E_E")
    t0 = time.perf_counter()
    sim.run(t_stop)
    return time.perf_counter() - t0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--t-stop", type=float, default=500.0)
    args = ap.parse_args()
    base = min(run_once(args.t_stop, None) for _ in range(args.repeat))
    print(f"no Python rule: {base * 1e3:.1f} ms")
    out = {"base_s": base}
    for cls in (Count, ReadWrite):
        best, calls = None, 0
        for _ in range(args.repeat):
            rule = cls()
            t = run_once(args.t_stop, rule)
            best, calls = (t if best is None else min(best, t)), rule.n
        ns = (best - base) / calls * 1e9
        print(f"{cls.__name__}: {calls} hook calls, {best * 1e3:.1f} ms, {ns:.0f} ns per call")
        out[f"{cls.__name__}_ns_per_call"] = round(ns, 1)
        out["calls"] = calls
    print(json.dumps(out))


if __name__ == "__main__":
    main()
