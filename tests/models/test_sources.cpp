#include <catch2/catch.hpp>

#include "sim/simulation.hpp"
#include "tests/support/seed_network.hpp"

using namespace delaysim;

namespace {
std::vector<std::vector<double>> run_source(const std::string& model, const sim::ParamValues& v,
                                            sim::Index size, double t_stop, std::uint64_t seed = 1) {
    sim::Network net;
    net.populations.push_back(testing::make_population(model, "src", size, v, seed));
    struct Log : sim::Observer {
        std::vector<std::vector<double>> t;
        void on_spike(std::uint32_t, sim::Index i, sim::Time time) override { t[i].push_back(time); }
    } log;
    log.t.resize(size);
    sim::Simulation s(std::move(net));
    s.add_observer(&log);
    s.run(t_stop);
    return log.t;
}
}  // namespace

TEST_CASE("pattern source: the seed's SG pattern", "[models][sources]") {
    sim::ParamValues v;
    v.lists["pattern_ms"] = {1, 2, 3, 4, 6, 8, 9};
    v.real["period_ms"] = 13.0;
    v.real["repeats"] = 80;
    const auto t = run_source("pattern_source", v, 2, 2000.0);
    REQUIRE(t[0].size() == 560);
    CHECK(t[0][0] == 1.0);
    CHECK(t[0][7] == 14.0);
    CHECK(t[0].back() == 79 * 13.0 + 9.0);
    CHECK(t[1] == t[0]);
}

TEST_CASE("explicit source: per-node times and duplicates", "[models][sources]") {
    sim::ParamValues v;
    v.lists["times_ms"] = {5.0, 1.0, 2.0, 2.0};
    v.lists["node_ids"] = {0, 1, 1, 1};
    const auto t = run_source("explicit_source", v, 2, 10.0);
    CHECK(t[0] == std::vector<double>{5.0});
    CHECK(t[1] == std::vector<double>{1.0, 2.0, 2.0});
    v.lists["node_ids"] = {0, 2, 1, 1};
    CHECK_THROWS_AS(run_source("explicit_source", v, 2, 10.0), sim::UserError);
}

TEST_CASE("poisson source: rate and reproducibility", "[models][sources]") {
    sim::ParamValues v;
    v.real["rate_hz"] = 50.0;
    const auto a = run_source("poisson_source", v, 100, 2000.0, 7);
    const auto b = run_source("poisson_source", v, 100, 2000.0, 7);
    const auto c = run_source("poisson_source", v, 100, 2000.0, 8);
    CHECK(a == b);
    CHECK(a != c);
    std::size_t n = 0;
    for (const auto& node : a) n += node.size();
    // 100 nodes x 2 s x 50 Hz = 10000 expected; Poisson sd = 100.
    CHECK(std::abs(static_cast<double>(n) - 10000.0) < 500.0);
}
