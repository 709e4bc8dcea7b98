"""A run that goes on until a test stops it: 20 LIF neurons driven by 50
Poisson sources, traces of every neuron sampled, t_stop far beyond what a test
lets it reach. Shared by the interrupt (SIGINT/SIGTERM) and crash-consistency
(SIGKILL, full disk) tests."""
import os
import subprocess

BINARY = os.environ["DELAYSIM_BINARY"]

CONFIG = """
[simulation]
t_stop_ms = 1e8
seed = 3
[record]
interval_ms = {interval}
flush_interval_s = {flush}
max_output_gb = inf  # t_stop_ms is never reached: the test stops the run
[[record.traces]]
population = "L"
[[population]]
name = "P"
model = "poisson_source"
size = 50
params = {{ rate_hz = 200.0 }}
[[population]]
name = "L"
model = "lif_exp"
size = 20
[[projection]]
name = "p_l"
source = "P"
target = "L"
port = "ex"
connect = "all_to_all"
weight = 300.0
delay_ms = 1.5
"""


def write_config(tmp_path, interval=1.0, flush=10.0):
    """The model file in tmp_path: `interval` ms sampling, `flush` s between flushes."""
    cfg = tmp_path / "long.toml"
    cfg.write_text(CONFIG.format(interval=interval, flush=flush))
    return cfg


def start(cfg, out, *args):
    """`delaysim run cfg -o out` in its own session (a signal reaches only it)."""
    return subprocess.Popen([BINARY, "run", str(cfg), "-o", str(out), *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=True)
