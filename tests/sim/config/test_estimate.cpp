// Output and memory estimates (sim/config/estimate.hpp): the figures are
// checked against what a run actually writes (sample rows and columns read
// back from the HDF5 file, spike counts), and configs above a limit are refused
// before anything is built. Also: synapse variables no rule can change are
// written once, not sampled.
#include <unistd.h>
#include <catch2/catch.hpp>

#include <H5Cpp.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "sim/config/estimate.hpp"
#include "sim/config/loader.hpp"
#include "sim/config/run.hpp"

namespace fs = std::filesystem;
using namespace delaysim;

namespace {

const std::string kNet = R"(
[simulation]
t_stop_ms = 200.0
seed = 3
[record]
interval_ms = 0.5
[[record.traces]]
population = "N"
variables = ["V_m", "I_ex"]
nodes = [0, 2]
[[record.synapses]]
projection = "p_n"
[[record.synapses]]
projection = "n_n"
[[population]]
name = "P"
model = "poisson_source"
size = 40
params = { rate_hz = 50.0, start_ms = 20.0 }
[[population]]
name = "S"
model = "pattern_source"
size = 3
params = { pattern_ms = [1.0, 4.0], period_ms = 30.0, repeats = 100 }
[[population]]
name = "N"
model = "lif_exp"
size = 5
[[projection]]
name = "p_n"
source = "P"
target = "N"
port = "ex"
connect = "fixed_probability"
probability = 0.5
weight = 400.0
delay_ms = { dist = "uniform", low = 1.0, high = 3.0 }
delay_max_ms = 10.0
[[projection]]
name = "n_n"
source = "N"
target = "N"
port = "ex"
connect = "all_to_all"
autapses = false
weight = 10.0
delay_ms = 2.0
delay_min_ms = 1.0
delay_max_ms = 10.0
[[projection]]
name = "s_n"
source = "S"
target = "N"
port = "ex"
weight = 100.0
delay_ms = 1.0
)";

const std::string kRule = R"(
[[plasticity]]
rule = "delay_shift_stdp"
projections = ["n_n"]
)";

fs::path scratch(const std::string& name) {
    const fs::path d = fs::temp_directory_path() / ("delaysim_estimate_" + std::to_string(::getpid())) / name;
    fs::remove_all(d);
    fs::create_directories(d);
    return d;
}

hsize_t rows(const H5::H5File& f, const std::string& path, int dim = 0) {
    hsize_t dims[2] = {0, 0};
    f.openDataSet(path).getSpace().getSimpleExtentDims(dims);
    return dims[dim];
}

sim::UserError load_error(const std::string& text, const std::vector<std::string>& sets = {}) {
    try {
        config::load_config_text(text, "test.toml", sets);
    } catch (const sim::UserError& e) {
        return e;
    }
    FAIL("expected a UserError");
    return sim::UserError("");
}

}  // namespace

TEST_CASE("the output estimate matches what the run writes", "[estimate]") {
    const fs::path dir = scratch("match");
    std::ofstream(dir / "net.toml") << kNet << kRule;
    const auto c = config::load_config((dir / "net.toml").string());
    const config::RunEstimate e = config::estimate_run(c.spec);

    config::RunOptions o;
    o.config = (dir / "net.toml").string();
    o.output = (dir / "net.h5").string();
    o.quiet = true;
    std::ostringstream err;
    REQUIRE(config::run_config(o, err).exit_code == config::kExitOk);
    H5::H5File f(*o.output, H5F_ACC_RDONLY);

    // Samples: one row per 0.5 ms in [0, 200).
    CHECK(e.samples == 400);
    CHECK(rows(f, "traces/N/V_m/data") == 400);
    // Sampled values per row: 2 variables x 2 nodes, and the delays of n_n
    // (the rule writes delays only; 5 x 4 synapses without autapses). p_n has no
    // rule and weights of n_n are constant: written once, not sampled.
    CHECK(rows(f, "synapses/n_n/delay/data") == 400);
    CHECK(rows(f, "synapses/n_n/delay/data", 1) == 20);
    CHECK(rows(f, "synapses/n_n/weight/data") == 1);
    CHECK(rows(f, "synapses/p_n/delay/data") == 1);
    CHECK(rows(f, "synapses/p_n/weight/data") == 1);
    CHECK(e.sampled_values == 2 * 2 + 20);

    // Spikes of sources: the pattern exactly (3 nodes x 2 times x 7 periods
    // started before 200 ms), Poisson within 5 sigma of 40 x 50 Hz x 180 ms.
    const double pattern = 3 * 2 * 7;
    const double poisson = static_cast<double>(rows(f, "spikes/P/timestamps"));
    CHECK(rows(f, "spikes/S/timestamps") == pattern);
    CHECK(e.source_spikes - pattern == Approx(40 * 50.0 * 0.18));
    CHECK(std::abs(poisson - (e.source_spikes - pattern)) < 5 * std::sqrt(360.0));
    CHECK(e.neuron_spikes);
    CHECK(e.plastic);
    // The file: the estimate (whole chunks included) plus what it cannot bound,
    // neuron spikes (16 B) and plasticity events (6 columns, two of them
    // strings: under 100 B each), within HDF5's own overhead (object headers,
    // chunk indices: 30 %).
    const double neuron = static_cast<double>(rows(f, "spikes/N/timestamps"));
    const double events = static_cast<double>(rows(f, "plasticity/n_n/events/time"));
    const double size = static_cast<double>(fs::file_size(*o.output));
    CHECK(neuron > 0);
    CHECK(size > 0.7 * e.output_bytes);
    CHECK(size < 1.3 * (e.output_bytes + 16 * neuron + 100 * events));
}

TEST_CASE("without a rule nothing is sampled; an explicit list still samples", "[estimate][record]") {
    auto c = config::load_config_text(kNet, "test.toml");
    for (const auto& m : c.lowered.record.synapses) {
        CHECK(m.variables.empty());
        CHECK(m.once.size() == 2);
    }
    auto explicit_list =
        config::load_config_text(kNet, "test.toml", {"record.synapses.n_n.variables=[\"weight\"]"});
    const auto& m = explicit_list.lowered.record.synapses.at(1);
    REQUIRE(m.variables.size() == 1);
    CHECK(m.variables[0] == sim::SynapseVariable::Weight);
    CHECK(m.once.empty());
    CHECK(config::estimate_run(explicit_list.spec).sampled_values == 4 + 20);
}

TEST_CASE("a run that would write too much is refused at once", "[estimate][limits]") {
    const auto start = std::chrono::steady_clock::now();
    const sim::UserError e = load_error(kNet, {"simulation.t_stop_ms=1e308"});
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(2));
    CHECK_THAT(e.what(), Catch::Contains("the run would write more than") &&
                             Catch::Contains("samples every 0.5 ms") &&
                             Catch::Contains("default limit of 10 GB"));
    CHECK(e.where().file == "--set simulation.t_stop_ms=1e308");

    // The limit is the key's: 400 samples x (2 times + 4 values) x 8 B = 19 kB,
    // plus 32 KiB per dataset.
    const sim::UserError small = load_error(kNet, {"record.max_output_gb=20e-6"});
    CHECK_THAT(small.what(), Catch::Contains("max_output_gb = 2e-05"));
    CHECK_NOTHROW(config::load_config_text(kNet, "test.toml", {"record.max_output_gb=1e-2"}));
    CHECK_NOTHROW(config::load_config_text(kNet, "test.toml",
                                           {"simulation.t_stop_ms=1e308", "record.max_output_gb=inf"}));
    CHECK_THAT(load_error(kNet, {"record.max_output_gb=0"}).what(), Catch::Contains("must be a number > 0"));
    CHECK_THAT(load_error(kNet, {"record.max_output_gb=nan"}).what(),
               Catch::Contains("must be a number > 0"));
}

TEST_CASE("a network too large for the memory is refused before it is built", "[estimate][limits]") {
    // 1e5 x 1e5 all-to-all: 1e10 synapses, 480 GB while built.
    const auto start = std::chrono::steady_clock::now();
    const sim::UserError e = load_error(kNet, {"population.N.size=100000"});
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(2));
    CHECK_THAT(e.what(), Catch::Contains("the network needs about 480 GB of memory") &&
                             Catch::Contains("projection 'n_n'"));
    CHECK(e.where().line == 39);  // the [[projection]] n_n
    // The key sets the limit: 5 nodes and ~120 synapses need ~6 kB.
    CHECK_THAT(load_error(kNet, {"simulation.max_memory_gb=1e-6"}).what(),
               Catch::Contains("more than [simulation] max_memory_gb = 1e-06"));
    CHECK_NOTHROW(config::load_config_text(kNet, "test.toml", {"simulation.max_memory_gb=1e-4"}));
}

TEST_CASE("format_bytes and describe", "[estimate]") {
    CHECK(config::format_bytes(494e6) == "494 MB");
    CHECK(config::format_bytes(1.25e9) == "1.25 GB");
    CHECK(config::format_bytes(12) == "12 bytes");
    CHECK(config::format_bytes(INFINITY) == "more than 1e+300 GB");
    config::RunEstimate e;
    e.output_bytes = 2e6;
    e.memory_bytes = 3e3;
    CHECK(config::describe(e) == "output about 2 MB, memory about 3 kB");
    e.neuron_spikes = e.plastic = true;
    CHECK(config::describe(e) ==
          "output about 2 MB + neuron spikes and plasticity events (not bounded), memory about 3 kB");
}
