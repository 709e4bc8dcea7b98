// stdp_weight against hand-computed trace arithmetic. N (lif_exp) is fired by a
// strong driver D; the plastic synapse P -> N (50 pA) never fires it itself.
//   P spikes at 10, 50 (delay 1: arrivals 11, 51); D at 12, 45 (delay 1): N fires at
//   t1 ~ 13.9 and t2 ~ 46.9 (measured). So: arrival 11 (no post trace yet: no change),
//   post t1 and post t2 potentiate with the pre trace, arrival 51 depresses with the
//   post trace.
#include <catch2/catch.hpp>
#include <cmath>

#include "sim/simulation.hpp"
#include "tests/support/plasticity_support.hpp"

using namespace delaysim;

namespace {

struct Result {
    std::vector<double> post;
    std::vector<testing::Change> changes;
    double w;
};

Result run(const sim::ParamValues& params) {
    sim::Network net;
    net.populations.push_back(testing::source_at("P", {10, 50}));
    net.populations.push_back(testing::source_at("D", {12, 45}));
    net.populations.push_back(testing::make_population("lif_exp", "N", 1));
    net.projections.emplace_back("p_n", 0, 2, 0, testing::one_synapse(50.0, 1.0), sim::DelayBounds{},
                                 sim::InflightPolicy::Keep, 1, 1);
    net.projections.emplace_back("d_n", 1, 2, 0, testing::one_synapse(4000.0, 1.0), sim::DelayBounds{},
                                 sim::InflightPolicy::Keep, 1, 1);
    sim::Simulation s(std::move(net));
    testing::SpikeLog spikes(3);
    testing::ChangeLog log;
    s.add_observer(&spikes);
    s.add_observer(&log);
    s.add_rule(testing::make_rule("stdp_weight", params), {0});
    s.run(100.0);
    REQUIRE(spikes.times[2].size() == 2);
    for (const auto& c : log.changes) {
        CHECK(c.variable == sim::SynapseVariable::Weight);
        CHECK(c.by == "stdp_weight");
        CHECK(c.projection == 0);
    }
    return {spikes.times[2], log.changes, s.projection(0).weight(0)};
}

double decay(double dt, double tau) {
    return std::exp(-dt / tau);
}

}  // namespace

TEST_CASE("stdp_weight additive: potentiation at post spikes, depression at arrivals",
          "[plasticity][stdp_weight]") {
    const Result r = run(testing::reals({{"a_plus", 10.0}, {"a_minus", 12.0}, {"w_max", 100.0}}));
    const double t1 = r.post[0], t2 = r.post[1], tau = 20.0;
    const double w1 = 50.0 + 10.0 * decay(t1 - 11, tau);
    const double w2 = w1 + 10.0 * decay(t2 - 11, tau);
    const double y = (decay(t2 - t1, tau) + 1.0) * decay(51 - t2, tau);
    const double w3 = w2 - 12.0 * y;
    REQUIRE(r.changes.size() == 3);
    CHECK(r.changes[0].t == t1);
    CHECK(r.changes[0].old_value == 50.0);
    CHECK(r.changes[0].new_value == Approx(w1).epsilon(1e-12));
    CHECK(r.changes[1].t == t2);
    CHECK(r.changes[1].old_value == r.changes[0].new_value);
    CHECK(r.changes[1].new_value == Approx(w2).epsilon(1e-12));
    CHECK(r.changes[2].t == 51.0);
    CHECK(r.changes[2].new_value == Approx(w3).epsilon(1e-12));
    CHECK(r.w == r.changes[2].new_value);
}

TEST_CASE("stdp_weight multiplicative: steps scale with the distance to the bound",
          "[plasticity][stdp_weight]") {
    const Result r =
        run(testing::reals({{"a_plus", 0.5}, {"a_minus", 0.5}, {"w_max", 100.0}, {"multiplicative", 1}}));
    const double t1 = r.post[0], t2 = r.post[1], tau = 20.0;
    const double w1 = 50.0 + 0.5 * (100.0 - 50.0) * decay(t1 - 11, tau);
    const double w2 = w1 + 0.5 * (100.0 - w1) * decay(t2 - 11, tau);
    const double y = (decay(t2 - t1, tau) + 1.0) * decay(51 - t2, tau);
    const double w3 = w2 - 0.5 * (w2 - 0.0) * y;
    REQUIRE(r.changes.size() == 3);
    CHECK(r.changes[0].new_value == Approx(w1).epsilon(1e-12));
    CHECK(r.changes[1].new_value == Approx(w2).epsilon(1e-12));
    CHECK(r.changes[2].new_value == Approx(w3).epsilon(1e-12));
}

TEST_CASE("stdp_weight additive clips to [w_min, w_max]; no-op changes are not reported",
          "[plasticity][stdp_weight]") {
    // w_max 55: the first potentiation clips to 55, the second is a no-op (unreported),
    // the depression (a_minus 100) clips to w_min = 20.
    const Result r =
        run(testing::reals({{"a_plus", 10.0}, {"a_minus", 100.0}, {"w_min", 20.0}, {"w_max", 55.0}}));
    REQUIRE(r.changes.size() == 2);
    CHECK(r.changes[0].new_value == 55.0);
    CHECK(r.changes[1].t == 51.0);
    CHECK(r.changes[1].old_value == 55.0);
    CHECK(r.changes[1].new_value == 20.0);
}
