// [record] spikes for a subset of nodes: the file keeps the layout and holds
// exactly the full recording's rows of those nodes.
#include <H5Cpp.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "sim/config/loader.hpp"
#include "sim/config/run.hpp"

using namespace delaysim;

namespace {

std::string write_config(const std::string& name, const std::string& text) {
    const auto dir = std::filesystem::temp_directory_path() / "delaysim_record_subsets";
    std::filesystem::create_directories(dir);
    const std::string path = (dir / (name + ".toml")).string();
    std::ofstream(path) << text;
    return path;
}

template <class T>
std::vector<T> read(const H5::H5File& f, const std::string& ds, const H5::PredType& type) {
    H5::DataSet d = f.openDataSet(ds);
    hsize_t n = 0;
    d.getSpace().getSimpleExtentDims(&n);
    std::vector<T> out(n);
    if (n) d.read(out.data(), type);
    return out;
}

struct Spikes {
    std::vector<double> t;
    std::vector<std::uint64_t> node;
};

Spikes run_spikes(const std::string& name, const std::string& text, const std::string& pop) {
    config::RunOptions o;
    o.config = write_config(name, text);
    o.output = o.config + ".h5";
    o.quiet = true;
    std::ostringstream err;
    config::run_config(o, err);
    H5::H5File f(*o.output, H5F_ACC_RDONLY);
    return {read<double>(f, "/spikes/" + pop + "/timestamps", H5::PredType::NATIVE_DOUBLE),
            read<std::uint64_t>(f, "/spikes/" + pop + "/node_ids", H5::PredType::NATIVE_UINT64)};
}

const std::string kNet = R"(
[simulation]
t_stop_ms = 500
seed = 4
[[population]]
name = "P"
model = "poisson_source"
size = 20
params = { rate_hz = 40 }
[[population]]
name = "E"
model = "lif_exp"
size = 10
params = { I_e_pA = { dist = "uniform", low = 450, high = 600 } }
)";

std::string error_of(const std::string& record) {
    try {
        config::load_config_text(kNet + record, "test.toml");
    } catch (const sim::UserError& e) {
        return e.what();
    }
    return "no error";
}

}  // namespace

TEST_CASE("spikes recorded for a subset of nodes", "[loader][record][subset]") {
    const Spikes all = run_spikes("all", kNet, "P");
    REQUIRE(all.t.size() > 100);
    const std::vector<std::uint64_t> chosen = {0, 5, 7};
    const Spikes some = run_spikes(
        "some", kNet + "[record]\nspikes = [\"E\", { population = \"P\", nodes = [7, 0, 5] }]\n", "P");
    Spikes expected;
    for (std::size_t k = 0; k < all.t.size(); ++k)
        if (std::find(chosen.begin(), chosen.end(), all.node[k]) != chosen.end()) {
            expected.t.push_back(all.t[k]);
            expected.node.push_back(all.node[k]);
        }
    REQUIRE(!expected.t.empty());
    CHECK(some.t == expected.t);
    CHECK(some.node == expected.node);
    // `first = N` and a single table; the other population is then not recorded.
    const Spikes first =
        run_spikes("first", kNet + "[record]\nspikes = { population = \"E\", first = 3 }\n", "E");
    const Spikes all_e = run_spikes("all_e", kNet, "E");
    std::vector<double> e3;
    for (std::size_t k = 0; k < all_e.t.size(); ++k)
        if (all_e.node[k] < 3) e3.push_back(all_e.t[k]);
    REQUIRE(!e3.empty());
    CHECK(first.t == e3);
    auto c =
        config::load_config_text(kNet + "[record]\nspikes = { population = \"E\", first = 3 }\n", "t.toml");
    CHECK(c.lowered.record.spike_populations == std::vector<std::uint32_t>{1});
    CHECK(c.lowered.record.spike_nodes == std::vector<std::vector<sim::Index>>{{0, 1, 2}});
}

TEST_CASE("spike subsets: located errors", "[loader][record][subset][errors]") {
    using Catch::Contains;
    CHECK_THAT(error_of("[record]\nspikes = { population = \"E\", nodes = [10] }\n"),
               Contains("nodes index 10 is out of range (there are 10)"));
    CHECK_THAT(error_of("[record]\nspikes = { population = \"E\", first = 11 }\n"),
               Contains("must be in [1, 10]"));
    CHECK_THAT(error_of("[record]\nspikes = { population = \"E\", nodes = [1, 1] }\n"),
               Contains("lists an index twice"));
    CHECK_THAT(error_of("[record]\nspikes = { population = \"E\", nodes = [1], first = 2 }\n"),
               Contains("not both"));
    CHECK_THAT(error_of("[record]\nspikes = { population = \"E\" }\n"), Contains("missing"));
    CHECK_THAT(error_of("[record]\nspikes = { population = \"E\", node = [1] }\n"), Contains("'node'"));
    CHECK_THAT(error_of("[record]\nspikes = [\"E\", { population = \"E\", first = 1 }]\n"),
               Contains("listed twice"));
    CHECK_THAT(error_of("[record]\nspikes = [3]\n"), Contains("population names"));
}
