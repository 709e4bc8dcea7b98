// In-flight policies seen through a rule (constant_drift changes the delay at every
// presynaptic spike, after that spike entered the queue):
//  keep   — a spike travels with the delay in force at its emission;
//  retime — a change moves the synapse's spikes in flight to emission + new delay,
//           or delivers them at once if that time has passed.
#include <catch2/catch.hpp>

#include "sim/simulation.hpp"
#include "tests/support/one_synapse_network.hpp"

using namespace delaysim;
using testing::ArrivalProbe;

namespace {

struct Result {
    std::vector<double> arrivals;
    std::vector<double> change_times;
};

Result run(std::vector<double> spikes, double delay, double drift, sim::InflightPolicy inflight) {
    sim::Simulation s(testing::one_synapse_network(std::move(spikes), delay,
                                                   {0.0, 20.0, sim::BoundPolicy::Clamp}, inflight));
    testing::ChangeLog log;
    std::vector<ArrivalProbe::Arrival> arr;
    s.add_observer(&log);
    s.add_rule(testing::make_rule("constant_drift", testing::reals({{"drift_ms", drift}})), {0});
    s.add_rule(std::make_unique<ArrivalProbe>(&arr), {0});
    s.run(100.0);
    Result r;
    for (const auto& a : arr) r.arrivals.push_back(a.t);
    for (const auto& c : log.changes) r.change_times.push_back(c.t);
    return r;
}

}  // namespace

TEST_CASE("keep: a shortened delay affects only spikes emitted after the change", "[plasticity][inflight]") {
    // Spikes at 0, 5, 10; delay 10 -> 6 (t=0) -> 2 (t=5) -> 0 (t=10, clamped from -2).
    const Result r = run({0, 5, 10}, 10.0, -4.0, sim::InflightPolicy::Keep);
    CHECK(r.change_times == std::vector<double>{0, 5, 10});
    // Emission + delay at emission: 0+10, 5+6, 10+2.
    CHECK(r.arrivals == std::vector<double>{10, 11, 12});
}

TEST_CASE("retime: a shortened delay moves spikes in flight, past ones arrive at once",
          "[plasticity][inflight]") {
    const Result r = run({0, 5, 10}, 10.0, -4.0, sim::InflightPolicy::Retime);
    CHECK(r.change_times == std::vector<double>{0, 5, 10});
    // Spike 0: moved to 0+6 at t=0; at t=5 still in flight, 0+2 is past -> delivered at 5.
    // Spike 5: emitted with 6, moved to 5+2 = 7 by the change at its own emission.
    // Spike 10: emitted with 2, the change at 10 makes it 10+0 = 10 (now).
    // Each spike arrives exactly once.
    CHECK(r.arrivals == std::vector<double>{5, 7, 10});
}

TEST_CASE("keep vs retime: a lengthened delay", "[plasticity][inflight]") {
    // Spikes at 0, 5; delay 2 -> 7 (t=0) -> 12 (t=5).
    const Result keep = run({0, 5}, 2.0, 5.0, sim::InflightPolicy::Keep);
    CHECK(keep.arrivals == std::vector<double>{2, 12});  // 0+2, 5+7
    const Result retime = run({0, 5}, 2.0, 5.0, sim::InflightPolicy::Retime);
    // Spike 0 moved to 0+7, then (still in flight at 5) to 0+12; spike 5 to 5+12.
    CHECK(retime.arrivals == std::vector<double>{12, 17});
}

TEST_CASE("retime: spikes already delivered are not moved again", "[plasticity][inflight]") {
    // Spikes at 0 and 20 with delay 1 -> every change finds nothing in flight but
    // the spike just emitted.
    const Result r = run({0, 20}, 1.0, 2.0, sim::InflightPolicy::Retime);
    CHECK(r.arrivals == std::vector<double>{3, 25});  // 0+3, 20+5
}
