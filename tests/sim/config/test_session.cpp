// config::Session and Simulation::set_horizon: a run made in chunks gives the
// one run's spikes and changes to the bit (event loop and slice batching), and
// the session's writes follow the projection's bounds.
#include <catch2/catch.hpp>

#include <H5Cpp.h>

#include <filesystem>
#include <tuple>
#include <vector>

#include "sim/config/session.hpp"
#include "sim/observer.hpp"
#include "tests/support/observers.hpp"

using namespace delaysim;

namespace {

std::string config_path(const std::string& name) {
    return std::string(DELAYSIM_SOURCE_DIR) + "/configs/" + name;
}

using Log = testing::RunLog;

// The plain engine: one run(t_stop), or chunks with set_horizon(t_stop).
Log engine_run(const std::string& config, const std::vector<double>& ends, bool horizon) {
    auto c = config::load_config(config_path(config));
    auto sim = config::make_simulation(c.lowered);
    Log log;
    sim->add_observer(&log);
    if (horizon) sim->set_horizon(c.lowered.t_stop);
    for (double t : ends) REQUIRE(sim->run(t));
    return log;
}

}  // namespace

TEST_CASE("run(t1); run(t2) with set_horizon equals one run(t2) to the bit", "[session][engine]") {
    for (const char* config :
         {"two_neuron_delay_learning.toml", "golden_lif_stdp.toml", "lag_vs_axonal.toml"}) {
        INFO(config);
        auto c = config::load_config(config_path(config));
        const double T = c.lowered.t_stop;
        const Log one = engine_run(config, {T}, false);
        REQUIRE(!one.spikes.empty());
        const Log chunked = engine_run(config, {0.137 * T, 0.5 * T + 0.0123, 0.9 * T, T}, true);
        CHECK(chunked.spikes == one.spikes);
        CHECK(chunked.changes == one.changes);
    }
}

TEST_CASE("Session: chunks, writes through the bounds, save", "[session]") {
    config::Session s(config::load_config(config_path("two_neuron_delay_learning.toml")));
    const auto q = s.projection_index("sg2_n1");
    CHECK_THROWS_WITH(s.projection_index("nope"), Catch::Contains("projections: sg1_n1"));
    CHECK_FALSE(s.completed());
    REQUIRE(s.run(300.0));
    CHECK(s.t() == 300.0);
    CHECK_THROWS_WITH(s.run(200.0), Catch::Contains("after the current time"));
    const auto q2 = s.projection_index("sg2_n2");
    REQUIRE(s.delays(q2)[0] == 1.0);
    s.set_delay(q2, 0, 99.0);  // clamped to delay_max_ms = 14: one event
    CHECK(s.delays(q2)[0] == 14.0);
    s.set_delay(q, 0, 99.0);  // already at 14: no change, no event
    CHECK(s.delays(q)[0] == 14.0);
    CHECK_THROWS_WITH(s.set_delay(q, 1, 1.0), Catch::Contains("no synapse 1"));
    CHECK_THROWS_WITH(s.state(s.population_index("N1"), "u"), Catch::Contains("variables: v, vth"));
    const std::string path = (std::filesystem::temp_directory_path() / "delaysim_test_session.h5").string();
    s.save(path);
    {
        H5::H5File f(path, H5F_ACC_RDONLY);
        std::int8_t done = 1;
        f.openAttribute("completed").read(f.openAttribute("completed").getDataType(), &done);
        CHECK(done == 0);  // t_stop (1040) not reached
        CHECK(f.openDataSet("plasticity/sg2_n1/events/time").getSpace().getSimpleExtentNpoints() == 14);
        CHECK(f.openDataSet("plasticity/sg2_n2/events/time").getSpace().getSimpleExtentNpoints() == 1);
    }
    REQUIRE(s.run(1040.0));
    CHECK(s.completed());
    s.save(path);
    H5::H5File f(path, H5F_ACC_RDONLY);
    std::int8_t done = 0;
    f.openAttribute("completed").read(f.openAttribute("completed").getDataType(), &done);
    CHECK(done == 1);
    std::filesystem::remove(path);
}

TEST_CASE("Session: an 'error' bound refuses a write, naming the bound", "[session]") {
    config::Session s(config::load_config(config_path("two_neuron_delay_learning.toml"),
                                          {"projection.sg2_n1.bounds=error"}));
    const auto q = s.projection_index("sg2_n1");
    CHECK_THROWS_WITH(
        s.set_delay(q, 0, 20.0),
        Catch::Contains("delay 20 ms of synapse 0 is above delay_max_ms = 14 ms (bounds = \"error\")"));
    CHECK(s.delays(q)[0] == 0.0);
}
