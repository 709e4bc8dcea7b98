// constant_drift is the README's worked example; here it also serves to prove the
// handle's contract: changes happen at the hook's time, follow the projection's
// bounds (clamp, wrap, error) and are reported once each with old and new values.
#include <catch2/catch.hpp>

#include "sim/simulation.hpp"
#include "tests/support/one_synapse_network.hpp"

using namespace delaysim;
using testing::ArrivalProbe;
using testing::ChangeLog;

namespace {

struct Run {
    ChangeLog log;
    std::vector<ArrivalProbe::Arrival> arrivals;
    std::vector<double> arrival_times() const {
        std::vector<double> t;
        for (const auto& a : arrivals) t.push_back(a.t);
        return t;
    }
};

// Source spikes at 0, 10, 20, 30, 40 ms; initial delay 1 ms; drift per spike.
void run_drift(Run& r, double drift, sim::DelayBounds bounds) {
    sim::Simulation s(testing::one_synapse_network({0, 10, 20, 30, 40}, 1.0, bounds));
    s.add_observer(&r.log);
    s.add_rule(testing::make_rule("constant_drift", testing::reals({{"drift_ms", drift}})), {0});
    s.add_rule(std::make_unique<ArrivalProbe>(&r.arrivals), {0});
    s.run(100.0);
}

void check_changes(const ChangeLog& log, const std::vector<double>& times,
                   const std::vector<double>& delays) {
    REQUIRE(log.changes.size() == times.size());  // once per effective change, never for a no-op
    for (std::size_t k = 0; k < times.size(); ++k) {
        const auto& c = log.changes[k];
        CHECK(c.t == times[k]);
        CHECK(c.projection == 0);
        CHECK(c.synapse == 0);
        CHECK(c.variable == sim::SynapseVariable::Delay);
        CHECK(c.by == "constant_drift");
        CHECK(c.old_value == Approx(k == 0 ? 1.0 : delays[k - 1]).margin(1e-12));
        CHECK(c.new_value == Approx(delays[k]).margin(1e-12));
    }
}

}  // namespace

TEST_CASE("constant_drift clamps at the projection's bounds", "[plasticity][bounds]") {
    Run r;
    run_drift(r, 3.0, {0.0, 10.0, sim::BoundPolicy::Clamp});
    // 1 -> 4 -> 7 -> 10, then 13 is clamped to 10: no change, no report.
    check_changes(r.log, {0, 10, 20}, {4, 7, 10});
    // keep: each spike travels with the delay in force when it was emitted
    // (the change at a spike's own emission comes after it entered the queue).
    CHECK(r.arrival_times() == std::vector<double>{1, 14, 27, 40, 50});
}

TEST_CASE("constant_drift clamps at the lower bound", "[plasticity][bounds]") {
    Run r;
    sim::Simulation s(testing::one_synapse_network({0, 10, 20}, 5.0, {2.0, 20.0, sim::BoundPolicy::Clamp}));
    s.add_observer(&r.log);
    s.add_rule(testing::make_rule("constant_drift", testing::reals({{"drift_ms", -2.0}})), {0});
    s.run(100.0);
    REQUIRE(r.log.changes.size() == 2);  // 5 -> 3 -> 2, then 0 clamps to 2: no report
    CHECK(r.log.changes[1].old_value == 3.0);
    CHECK(r.log.changes[1].new_value == 2.0);
    CHECK(s.projection(0).delay(0) == 2.0);
}

TEST_CASE("constant_drift wraps into the half-open range min..max", "[plasticity][bounds]") {
    Run r;
    run_drift(r, 3.0, {0.0, 10.0, sim::BoundPolicy::Wrap});
    // 1 -> 4 -> 7 -> 10 == max wraps to 0 -> 3 -> 6.
    check_changes(r.log, {0, 10, 20, 30, 40}, {4, 7, 0, 3, 6});
    CHECK(r.arrival_times() == std::vector<double>{1, 14, 27, 30, 43});
}

TEST_CASE("constant_drift wraps negative drift from the bottom to the top", "[plasticity][bounds]") {
    Run r;
    run_drift(r, -3.0, {0.0, 10.0, sim::BoundPolicy::Wrap});
    // 1 -> -2 wraps to 8 -> 5 -> 2 -> -1 wraps to 9.
    check_changes(r.log, {0, 10, 20, 30, 40}, {8, 5, 2, 9, 6});
}

TEST_CASE("constant_drift refuses to leave error bounds with a UserError", "[plasticity][bounds]") {
    Run r;
    sim::Simulation s(
        testing::one_synapse_network({0, 10, 20, 30, 40}, 1.0, {0.0, 10.0, sim::BoundPolicy::Error}));
    s.add_observer(&r.log);
    s.add_rule(testing::make_rule("constant_drift", testing::reals({{"drift_ms", 3.0}})), {0});
    // 1 -> 4 -> 7 -> 10 (inside, allowed), then 13 at t = 30 is refused.
    CHECK_THROWS_WITH(s.run(100.0),
                      Catch::Contains("projection 's_n'") && Catch::Contains("outside the bounds") &&
                          Catch::Contains("at t = 30 ms rule 'constant_drift' set the delay of synapse 0 "
                                          "(node 0 -> 0) to 13 ms"));
    try {
        sim::Simulation s2(
            testing::one_synapse_network({0, 10, 20, 30, 40}, 1.0, {0.0, 10.0, sim::BoundPolicy::Error}));
        s2.add_rule(testing::make_rule("constant_drift", testing::reals({{"drift_ms", 3.0}})), {0});
        s2.run(100.0);
        FAIL("no error");
    } catch (const sim::UserError& e) {
        SUCCEED(e.what());
    }
    check_changes(r.log, {0, 10, 20}, {4, 7, 10});
    CHECK(s.now() == 30.0);                   // stopped at the refused change
    CHECK(s.projection(0).delay(0) == 10.0);  // the refused value was never stored
}
