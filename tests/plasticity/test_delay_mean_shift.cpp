// delay_mean_shift: each burst's step against a brute-force sum over all pairs of
// the burst's logged arrivals, and convergence to the aligning delay.
//
// Set-up: explicit sources R (reference) and A (plastic) onto one lif_exp neuron N
// with 1 pA weights (N never fires, so nothing but the rule acts). Projection 0 is
// the reference R -> N, projection 1 the plastic A -> N; the rule gets {0, 1}.
#include <catch2/catch.hpp>
#include <cmath>

#include "sim/simulation.hpp"
#include "tests/support/plasticity_support.hpp"

using namespace delaysim;

namespace {

struct Net {
    std::vector<double> ref_times, plastic_times;
    double ref_delay, plastic_delay;
    sim::DelayBounds bounds{0.0, 40.0, sim::BoundPolicy::Clamp};
    sim::InflightPolicy inflight = sim::InflightPolicy::Retime;
};

sim::Network network(const Net& n) {
    sim::Network net;
    net.populations.push_back(testing::source_at("R", n.ref_times));
    net.populations.push_back(testing::source_at("A", n.plastic_times));
    net.populations.push_back(testing::make_population("lif_exp", "N", 1));
    net.projections.emplace_back("ref", 0, 2, 0, testing::one_synapse(1.0, n.ref_delay), sim::DelayBounds{},
                                 sim::InflightPolicy::Keep, 1, 1);
    net.projections.emplace_back("plastic", 1, 2, 0, testing::one_synapse(1.0, n.plastic_delay), n.bounds,
                                 n.inflight, 1, 1);
    return net;
}

struct Result {
    std::vector<testing::ArrivalProbe::Arrival> arrivals;
    std::vector<testing::Change> changes;
    double delay;
};

Result run(const Net& n, const sim::ParamValues& params, double t_stop) {
    sim::Simulation s(network(n));
    Result r;
    testing::ChangeLog log;
    s.add_observer(&log);
    s.add_rule(std::make_unique<testing::ArrivalProbe>(&r.arrivals), {0, 1});
    s.add_rule(testing::make_rule("delay_mean_shift", params), {0, 1});
    s.run(t_stop);
    r.changes = log.of(1);
    r.delay = s.projection(1).delay(0);
    return r;
}

// The header's step, summed over every (plastic, reference) pair in [t0, t1).
double expected_step(const std::vector<testing::ArrivalProbe::Arrival>& arr, double t0, double t1, double eta,
                     double sigma, double window) {
    double s = 0, w = 0;
    for (const auto& a : arr) {
        if (a.slot != 1 || a.t < t0 || a.t >= t1) continue;
        for (const auto& r : arr) {
            if (r.slot != 0 || r.t < t0 || r.t >= t1) continue;
            const double lag = r.t - a.t;
            if (std::abs(lag) > window) continue;
            const double g = std::exp(-lag * lag / (2 * sigma * sigma));
            s += g * lag;
            w += g;
        }
    }
    return w > 0 ? eta * s / w : 0.0;
}

}  // namespace

TEST_CASE("delay_mean_shift applies the weighted mean lag of a burst at the next burst", "[plasticity]") {
    // Reference arrivals 13, 15, 17; plastic arrivals 12, 13 (a tie with the
    // reference: counted once), 32 (no partner in the window). Pairs |lag| <= 4.5:
    // 1, 3, 0, 2, 4; the pair 17 - 12 = 5 is outside the window.
    Net n{{8.0, 10.0, 12.0}, {10.0, 11.0, 30.0, 100.0}, 5.0, 2.0};
    const double eta = 0.5, sigma = 2.0, window = 4.5;
    const auto params =
        testing::reals({{"eta", eta}, {"sigma_ms", sigma}, {"window_ms", window}, {"gap_ms", 50.0}});
    SECTION("retime: the first spike of the new burst takes the new delay") {
        const Result r = run(n, params, 200.0);
        double s = 0, w = 0;
        for (double lag : {1.0, 3.0, 0.0, 2.0, 4.0}) {
            s += std::exp(-lag * lag / 8.0) * lag;
            w += std::exp(-lag * lag / 8.0);
        }
        const double step = eta * s / w;
        CHECK(step == Approx(expected_step(r.arrivals, 0, 50, eta, sigma, window)).epsilon(1e-14));
        REQUIRE(r.changes.size() == 1);  // the spike at 30 came 19 ms after the last: same burst
        CHECK(r.changes[0].t == 100.0);
        CHECK(r.changes[0].old_value == 2.0);
        CHECK(r.changes[0].new_value == Approx(2.0 + step).epsilon(1e-14));
        CHECK(r.changes[0].by == "delay_mean_shift");
        CHECK(r.arrivals.back().slot == 1);
        CHECK(r.arrivals.back().t == Approx(100.0 + 2.0 + step).epsilon(1e-14));
    }
    SECTION("keep: the spike that ends the pause still uses the old delay") {
        n.inflight = sim::InflightPolicy::Keep;
        const Result r = run(n, params, 200.0);
        REQUIRE(r.changes.size() == 1);
        CHECK(r.arrivals.back().t == 102.0);
    }
    SECTION("bounds are the projection's") {
        n.bounds = {0.0, 2.5, sim::BoundPolicy::Clamp};
        const Result r = run(n, params, 200.0);
        REQUIRE(r.changes.size() == 1);
        CHECK(r.changes[0].new_value == 2.5);
    }
    SECTION("no pairs, no change") {
        n.ref_times = {60.0};  // arrives at 65, far from every plastic arrival
        CHECK(run(n, params, 200.0).changes.empty());
    }
}

TEST_CASE("delay_mean_shift aligns a shifted copy of a pattern with its reference", "[plasticity]") {
    // The pattern {0, 3, 4, 9} ms every 100 ms through the reference (delay 10) and,
    // shifted by 2.5 ms, through the plastic synapse: aligned when d = 10 - 2.5.
    // sigma = 4 ms makes the smoothed correlation single-peaked over the start range.
    const std::vector<double> pattern{0.0, 3.0, 4.0, 9.0};
    const int bursts = 150;
    Net n{{}, {}, 10.0, 0.0};
    for (int k = 0; k < bursts; ++k)
        for (double p : pattern) {
            n.ref_times.push_back(100.0 * k + p);
            n.plastic_times.push_back(100.0 * k + p + 2.5);
        }
    const double eta = 0.5, sigma = 4.0, window = 12.0;
    const auto params =
        testing::reals({{"eta", eta}, {"sigma_ms", sigma}, {"window_ms", window}, {"gap_ms", 60.0}});
    for (double d0 : {0.5, 3.0, 14.0, 18.0}) {
        INFO("initial delay " << d0);
        n.plastic_delay = d0;
        const Result r = run(n, params, 100.0 * bursts);
        // Every burst's step is the brute-force mean over its pairs.
        REQUIRE(r.changes.size() >= 40);
        for (const auto& c : r.changes) {
            const double burst = 100.0 * std::floor(c.t / 100.0) - 100.0;  // the burst before c
            INFO("change at " << c.t);
            CHECK(c.new_value - c.old_value ==
                  Approx(expected_step(r.arrivals, burst, burst + 100.0, eta, sigma, window)).margin(1e-12));
        }
        CHECK(std::abs(r.delay - 7.5) < 1e-6);
    }
}

TEST_CASE("delay_mean_shift checks its projections and parameters", "[plasticity]") {
    sim::Network net = network(Net{{1.0}, {1.0}, 1.0, 1.0});
    net.populations.push_back(testing::make_population("lif_exp", "M", 1));
    net.projections.emplace_back("other", 1, 3, 0, testing::one_synapse(1.0, 1.0), sim::DelayBounds{},
                                 sim::InflightPolicy::Keep, 1, 1);
    sim::Simulation s(std::move(net));
    CHECK_THROWS_WITH(s.add_rule(testing::make_rule("delay_mean_shift"), {0, 2}),
                      Catch::Contains("'other'") && Catch::Contains("reference"));
    CHECK_THROWS_WITH(
        testing::make_rule("delay_mean_shift", testing::reals({{"window_ms", 10.0}, {"gap_ms", 5.0}})),
        Catch::Contains("'gap_ms'"));
}
