// Golden regression run: configs/golden_lif_stdp.toml (fixed seed, LIF network,
// delay_shift_stdp) is run and compared array by array with the stored result
// tests/data/golden_lif_stdp.h5: every spike, the initial delays and every
// delay change. Any change of results shows here. To accept a deliberate change,
// run tools/regenerate_golden.sh and say why in the commit message.
#include <unistd.h>
#include <catch2/catch.hpp>

#include <H5Cpp.h>
#include <cmath>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "sim/config/run.hpp"

namespace fs = std::filesystem;

using namespace delaysim;

namespace {

template <class T>
std::vector<T> read(const H5::H5File& f, const std::string& path, const H5::PredType& type) {
    H5::DataSet ds = f.openDataSet(path);
    const auto n = static_cast<std::size_t>(ds.getSpace().getSimpleExtentNpoints());
    std::vector<T> out(n);
    if (n) ds.read(out.data(), type);
    return out;
}

// Times and delays (which rules compute from times) may differ only by rounding
// (1e-9 ms; e.g. a different optimisation level in the sanitized build);
// counts, node and synapse ids must be identical.
void same_times(const std::vector<double>& a, const std::vector<double>& b, const std::string& what) {
    INFO(what);
    REQUIRE(a.size() == b.size());
    double worst = 0.0;
    for (std::size_t i = 0; i < a.size(); ++i) worst = std::max(worst, std::abs(a[i] - b[i]));
    CHECK(worst <= 1e-9);
}

}  // namespace

TEST_CASE("golden LIF + delay_shift_stdp run matches the stored result", "[golden]") {
    const fs::path dir = fs::temp_directory_path() / ("delaysim_golden_" + std::to_string(::getpid()));
    fs::create_directories(dir);
    const fs::path out = dir / "golden.h5";
    config::RunOptions run;
    run.config = std::string(DELAYSIM_SOURCE_DIR) + "/configs/golden_lif_stdp.toml";
    run.output = out.string();
    run.quiet = true;
    std::ostringstream messages;
    const config::RunResult result = config::run_config(run, messages);
    REQUIRE(result.exit_code == config::kExitOk);
    REQUIRE(result.completed);
    H5::H5File got(out.string(), H5F_ACC_RDONLY);
    H5::H5File want(std::string(DELAYSIM_SOURCE_DIR) + "/tests/data/golden_lif_stdp.h5", H5F_ACC_RDONLY);
    const auto& f64 = H5::PredType::NATIVE_DOUBLE;
    const auto& u64 = H5::PredType::NATIVE_UINT64;
    std::size_t n_spikes = 0;
    for (const char* pop : {"drive", "E", "I"}) {
        const std::string base = std::string("spikes/") + pop;
        same_times(read<double>(got, base + "/timestamps", f64),
                   read<double>(want, base + "/timestamps", f64), base);
        CHECK(read<std::uint64_t>(got, base + "/node_ids", u64) ==
              read<std::uint64_t>(want, base + "/node_ids", u64));
        n_spikes += read<double>(want, base + "/timestamps", f64).size();
    }
    CHECK(n_spikes > 1000);  // the stored run is not trivially empty
    same_times(read<double>(got, "synapses/ee/delay/data", f64),
               read<double>(want, "synapses/ee/delay/data", f64), "sampled delays");
    const std::string ev = "plasticity/ee/events/";
    same_times(read<double>(got, ev + "time", f64), read<double>(want, ev + "time", f64), "event times");
    CHECK(read<std::uint64_t>(got, ev + "synapse_id", u64) ==
          read<std::uint64_t>(want, ev + "synapse_id", u64));
    same_times(read<double>(got, ev + "old", f64), read<double>(want, ev + "old", f64), "old delays");
    same_times(read<double>(got, ev + "new", f64), read<double>(want, ev + "new", f64), "new delays");
    CHECK(read<double>(want, ev + "time", f64).size() > 100);
    fs::remove_all(dir);
}
