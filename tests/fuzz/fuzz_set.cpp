// libFuzzer harness for --set: each line of the input is one `--set` option,
// applied to a fixed model file that uses every section (the seed's network
// with a rule, traces and synapse records), then loaded through lowering.
#include <cstddef>
#include <cstdint>
#include <sstream>

#include "tests/fuzz/fuzz_support.hpp"

namespace {

const char* const kBase = R"(
[simulation]
t_stop_ms = 100.0
seed = 1
[record]
interval_ms = 0.5
[[record.traces]]
population = "N"
[[record.synapses]]
projection = "sg2_n"
[[population]]
name = "SG1"
model = "pattern_source"
params = { pattern_ms = [1.0, 2.0, 3.0], period_ms = 13.0, repeats = 5 }
[[population]]
name = "SG2"
model = "poisson_source"
size = 2
params = { rate_hz = 20.0 }
[[population]]
name = "N"
model = "coincidence"
size = 2
initial = { vth = 8.0 }
[[projection]]
name = "sg1_n"
source = "SG1"
target = "N"
port = "a"
weight = 1.0
delay_ms = 1.0
[[projection]]
name = "sg2_n"
source = "SG2"
target = "N"
port = "b"
connect = "one_to_one"
weight = [1.0, 1.5]
delay_ms = { dist = "uniform", low = 0.5, high = 3.0 }
delay_max_ms = 10.0
bounds = "wrap"
[[plasticity]]
rule = "loser_delay_shift"
projections = ["sg2_n"]
)";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::vector<std::string> sets;
    std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
    for (std::string line; std::getline(in, line) && sets.size() < 16;) sets.push_back(line);
    delaysim::fuzz::load(kBase, sets);
    return 0;
}
