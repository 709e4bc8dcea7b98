// libFuzzer harness: the checkpoint reader (sim/checkpoint.hpp) and the state
// restore behind it (Simulation::restore and every save/restore pair it calls),
// on a fixed network that uses batching, retime, two rules and an RNG source
// (tests/fuzz/README.md). Input: one mode byte, then the checkpoint's bytes.
// Mode bit 0 set: the harness first rewrites the checksum to match the payload,
// so that mutations get past it into the sections and the restore (a file that
// passes the checksum by accident must still give a CheckpointError, never a
// crash, an out-of-bounds read or a huge allocation). Nothing is run after the
// restore; the recorder's rows are not restored (that needs an HDF5 file per input).
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "sim/checkpoint.hpp"
#include "sim/config/loader.hpp"
#include "sim/config/lower.hpp"
#include "sim/error.hpp"
#include "sim/serialize.hpp"

namespace {

// The network of the seed corpus (tests/fuzz/corpus/fuzz_checkpoint/, written by
// `delaysim run` of this text with --checkpoint-at 12.3).
const char* const kConfig = R"(
[simulation]
t_stop_ms = 40.0
seed = 5
[record]
interval_ms = 5.0
[[record.traces]]
population = "L"
nodes = [0]
[[population]]
name = "P"
model = "poisson_source"
size = 4
params = { rate_hz = 300.0 }
[[population]]
name = "L"
model = "lif_exp"
size = 3
[[population]]
name = "R"
model = "lif_exp"
size = 2
[[projection]]
name = "p_l"
source = "P"
target = "L"
port = "ex"
connect = "all_to_all"
weight = 400.0
delay_ms = 1.5
delay_min_ms = 0.5
delay_max_ms = 5.0
[[projection]]
name = "l_r"
source = "L"
target = "R"
port = "ex"
connect = "all_to_all"
weight = 500.0
delay_ms = 2.0
delay_min_ms = 0.5
delay_max_ms = 5.0
inflight = "retime"
[[plasticity]]
rule = "delay_shift_stdp"
projections = ["p_l", "l_r"]
params = { eta = 0.1, target_lag_ms = 1.0, window_ms = 10.0 }
[[plasticity]]
rule = "stdp_weight"
projections = ["l_r"]
params = { w_max = 1000.0 }
)";

// Magic, format, version string, payload length: where the payload starts, or 0.
void fix_checksum(std::string& b) {
    std::size_t at = 8 + 4;
    std::uint64_t n = 0;
    if (b.size() < at + 8) return;
    std::memcpy(&n, b.data() + at, 8);
    if (n > b.size()) return;
    at += 8 + static_cast<std::size_t>(n);
    if (b.size() < at + 8) return;
    std::memcpy(&n, b.data() + at, 8);
    at += 8;
    if (n > b.size() - at || b.size() - at - n < 8) return;
    b.resize(at + static_cast<std::size_t>(n) + 8);
    const std::uint64_t sum = delaysim::sim::fnv1a(b.data() + at, static_cast<std::size_t>(n));
    std::memcpy(b.data() + at + n, &sum, 8);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace delaysim;
    if (size < 1) return 0;
    std::string bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
    if (data[0] & 1) fix_checksum(bytes);
    try {
        const sim::CheckpointData d = sim::parse_checkpoint(bytes);
        config::LoadedConfig c = config::load_config_text(kConfig, "fuzz_checkpoint.toml");
        auto s = config::make_simulation(c.lowered);
        sim::Reader r(d.simulation.data(), d.simulation.size());
        s->restore(r);
    } catch (const sim::CheckpointError& e) {
        (void)e.what();
    } catch (const sim::UserError& e) {
        (void)e.formatted();
    }
    return 0;
}
