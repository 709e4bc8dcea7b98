#include <catch2/catch.hpp>

#include "sim/simulation.hpp"
#include "tests/support/probe.hpp"
#include "tests/support/seed_network.hpp"

using namespace delaysim;
using sim::InflightPolicy;

namespace {

// Source node 0 spikes at `times`; one synapse (delay d) onto a Probe.
sim::Network probe_network(std::vector<double> times, double d, InflightPolicy inflight,
                           double d_max = 50.0) {
    sim::ParamValues v;
    v.lists["times_ms"] = std::move(times);
    sim::Network net;
    net.populations.push_back(testing::make_population("explicit_source", "src", 1, v));
    net.populations.push_back(std::make_unique<testing::Probe>());
    net.projections.emplace_back("syn", 0, 1, 0, testing::one_synapse(1.0, d),
                                 sim::DelayBounds{0.0, d_max, sim::BoundPolicy::Clamp}, inflight, 1, 1);
    return net;
}

std::vector<double> arrival_times(const sim::Simulation& s) {
    std::vector<double> out;
    for (const auto& a : static_cast<const testing::Probe&>(s.population(1)).arrivals) out.push_back(a.t);
    return out;
}

}  // namespace

TEST_CASE("arrival = emission + delay, exactly, without a grid", "[sim][delays]") {
    sim::Simulation s(probe_network({0.123456789, 3.0}, 1.0 / 3.0, InflightPolicy::Keep));
    s.run(10.0);
    CHECK(arrival_times(s) == std::vector<double>{0.123456789 + 1.0 / 3.0, 3.0 + 1.0 / 3.0});
}

TEST_CASE("keep: a delay change applies only to spikes emitted after it", "[sim][delays]") {
    sim::Simulation s(probe_network({0.0, 5.0, 8.0}, 10.0, InflightPolicy::Keep));
    s.run(7.0);
    s.set_delay(0, 0, 2.0, "test");
    s.run(30.0);
    // 0 and 5 were in flight with 10 ms and keep it; 8 leaves after the change
    // with 2 ms and arrives at 10 too, after the one emitted at 0 (push order).
    const auto& arr = static_cast<const testing::Probe&>(s.population(1)).arrivals;
    REQUIRE(arr.size() == 3);
    CHECK(arr[0].t == 10.0);
    CHECK(arr[1].t == 10.0);
    CHECK(arr[2].t == 15.0);
}

TEST_CASE("retime: a delay change moves spikes in flight", "[sim][delays]") {
    SECTION("later") {
        sim::Simulation s(probe_network({0.0, 5.0}, 10.0, InflightPolicy::Retime));
        s.run(7.0);
        s.set_delay(0, 0, 12.0, "test");
        s.run(30.0);
        CHECK(arrival_times(s) == std::vector<double>{12.0, 17.0});
    }
    SECTION("earlier, with one arrival already past: delivered at once") {
        sim::Simulation s(probe_network({0.0, 5.0}, 10.0, InflightPolicy::Retime));
        s.run(7.0);
        s.set_delay(0, 0, 4.0, "test");  // 0 + 4 < 7: at once; 5 + 4 = 9
        s.run(30.0);
        CHECK(arrival_times(s) == std::vector<double>{7.0, 9.0});
    }
    SECTION("spikes already delivered are not delivered again") {
        sim::Simulation s(probe_network({0.0, 5.0}, 3.0, InflightPolicy::Retime));
        s.run(6.0);  // 0 arrived at 3; 5 is in flight until 8
        s.set_delay(0, 0, 1.0, "test");
        s.run(30.0);
        CHECK(arrival_times(s) == std::vector<double>{3.0, 6.0});
    }
    SECTION("two changes in a row: only the last one counts") {
        sim::Simulation s(probe_network({0.0}, 10.0, InflightPolicy::Retime));
        s.run(2.0);
        s.set_delay(0, 0, 20.0, "test");
        s.set_delay(0, 0, 6.0, "test");
        s.run(30.0);
        CHECK(arrival_times(s) == std::vector<double>{6.0});
    }
}

TEST_CASE("retime needs a finite upper delay bound", "[sim][delays]") {
    CHECK_THROWS_AS(sim::Simulation(probe_network({0.0}, 1.0, InflightPolicy::Retime, sim::kNever)),
                    sim::UserError);
}

TEST_CASE("zero delays deliver in the same instant, after the round's spikes", "[sim][delays]") {
    sim::Simulation s(probe_network({1.0, 1.0, 2.5}, 0.0, InflightPolicy::Keep));
    s.run(10.0);
    CHECK(arrival_times(s) == std::vector<double>{1.0, 1.0, 2.5});
}

namespace {
struct OrderLog : sim::Observer {
    std::vector<std::pair<std::uint32_t, double>> spikes;  // (population, t) in firing order
    void on_spike(std::uint32_t pop, sim::Index, sim::Time t) override { spikes.emplace_back(pop, t); }
};
}  // namespace

TEST_CASE("a delivery that pushes a neuron over threshold fires it in a next round of the instant",
          "[sim][rounds]") {
    // src -> A (0 ms) -> B (0 ms) -> C (0 ms): all fire at t = 1, in successive rounds.
    sim::ParamValues v;
    v.lists["times_ms"] = {1.0};
    sim::Network net;
    net.populations.push_back(testing::make_population("explicit_source", "src", 1, v));
    for (const char* n : {"A", "B", "C"}) net.populations.push_back(std::make_unique<testing::Jumper>(n));
    for (std::uint32_t p = 0; p < 3; ++p)
        net.projections.emplace_back("p" + std::to_string(p), p, p + 1, 0, testing::one_synapse(1.0, 0.0),
                                     sim::DelayBounds{}, InflightPolicy::Keep, 1, 1);
    sim::Simulation s(std::move(net));
    OrderLog log;
    s.add_observer(&log);
    s.run(2.0);
    REQUIRE(log.spikes.size() == 4);
    for (std::uint32_t k = 0; k < 4; ++k) {
        CHECK(log.spikes[k].first == k);
        CHECK(log.spikes[k].second == 1.0);
    }
}

TEST_CASE("rivals pushed over threshold in the same round both fire and both are inhibited",
          "[sim][rounds]") {
    sim::ParamValues v;
    v.lists["times_ms"] = {1.0, 3.0};
    sim::Network net;
    net.populations.push_back(testing::make_population("explicit_source", "src", 1, v));
    net.populations.push_back(std::make_unique<testing::Jumper>("A"));
    net.populations.push_back(std::make_unique<testing::Jumper>("B"));
    const sim::DelayBounds b{};
    net.projections.emplace_back("sa", 0, 1, 0, testing::one_synapse(1.0, 0.0), b, InflightPolicy::Keep, 1,
                                 1);
    net.projections.emplace_back("sb", 0, 2, 0, testing::one_synapse(1.0, 0.0), b, InflightPolicy::Keep, 1,
                                 1);
    net.projections.emplace_back("ab", 1, 2, 1, testing::one_synapse(1.0, 0.0), b, InflightPolicy::Keep, 1,
                                 1);
    net.projections.emplace_back("ba", 2, 1, 1, testing::one_synapse(1.0, 0.0), b, InflightPolicy::Keep, 1,
                                 1);
    sim::Simulation s(std::move(net));
    OrderLog log;
    s.add_observer(&log);
    s.run(5.0);
    REQUIRE(log.spikes.size() == 6);  // src, A, B at 1 and again at 3
    const auto& a = static_cast<const testing::Probe&>(s.population(1)).arrivals;
    REQUIRE(a.size() == 4);  // input and inhibition, twice
    CHECK(a[1].port == 1);
    CHECK(a[1].t == 1.0);
}
