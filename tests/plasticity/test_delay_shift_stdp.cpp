// delay_shift_stdp learns an alignment.
//
// Set-up: one lif_exp neuron N (defaults: C_m 250 pF, tau_m 10 ms, threshold 15 mV
// above rest, tau_syn_ex 2 ms, t_ref 2 ms) and one source SG spiking every 20 ms
// (50 periods). SG -> N through a fixed 4 ms delay with 4000 pA: strong enough to
// fire N alone, once per period, a latency L after the arrival (a single 4000 pA
// input peaks at ~21 mV; an input needs ~2800 pA to reach threshold). A plastic
// copy SG -> N of 500 pA (a ~2.7 mV bump: it never fires N alone) starts at every
// delay of a grid over [0, 10] ms; bounds [0, 20] ms, clamp.
//
// Aligning delay: the rule's fixed point (target_lag 0) is the delay d* at which the
// copy arrives exactly when N fires: d* = 4 + L(d*). L depends a little on d (an
// earlier copy adds current before the spike and advances it; its residue from the
// previous period shifts the next latency), so the oracle finds d* without the rule:
// non-plastic runs with the copy at d, iterating d <- 4 + L(d) (a contraction) to
// its fixed point. d* = 5.18 ms (L = 1.18 ms) lies inside the grid, so both sides are tested:
//  - copy early (d < d*): paired at the post spike, delay lengthened by
//    eta*(t_post - t_arr); the advance it causes shrinks the step, still contracting;
//  - copy late (d > d*): paired at its arrival with the spike before it, delay
//    shortened by eta*(t_post - t_arr) < 0; a late copy does not move the spike.
// eta = 0.5, window 8 ms (< half the period, so no pairing across periods).
#include <catch2/catch.hpp>
#include <cmath>
#include <iostream>

#include "sim/simulation.hpp"
#include "tests/support/plasticity_support.hpp"

using namespace delaysim;

namespace {

constexpr double kPeriod = 20.0, kFixedDelay = 4.0;
constexpr int kPeriods = 50;

sim::Network alignment_network(double d0) {
    sim::ParamValues pattern;
    pattern.lists["pattern_ms"] = {0.0};
    pattern.real["period_ms"] = kPeriod;
    pattern.real["repeats"] = kPeriods;
    sim::Network net;
    net.populations.push_back(testing::make_population("pattern_source", "SG", 1, pattern));
    net.populations.push_back(testing::make_population("lif_exp", "N", 1));
    using sim::InflightPolicy;
    net.projections.emplace_back("fixed", 0, 1, 0, testing::one_synapse(4000.0, kFixedDelay),
                                 sim::DelayBounds{}, InflightPolicy::Keep, 1, 1);
    net.projections.emplace_back("plastic", 0, 1, 0, testing::one_synapse(500.0, d0),
                                 sim::DelayBounds{0.0, 20.0, sim::BoundPolicy::Clamp}, InflightPolicy::Keep,
                                 1, 1);
    return net;
}

struct Learned {
    double delay;
    std::vector<double> post;
    std::vector<testing::Change> changes;
};

Learned learn(double d0, const sim::ParamValues& rule_params) {
    sim::Simulation s(alignment_network(d0));
    testing::SpikeLog spikes(2);
    testing::ChangeLog log;
    s.add_observer(&spikes);
    s.add_observer(&log);
    s.add_rule(testing::make_rule("delay_shift_stdp", rule_params), {1});
    s.run(kPeriods * kPeriod);
    return {s.projection(1).delay(0), spikes.times[1], log.changes};
}

const sim::ParamValues kParams = testing::reals({{"eta", 0.5}, {"window_ms", 8.0}, {"target_lag_ms", 0.0}});

// Latency of N's spike after the fixed input's arrival in the last period, copy at d (no rule).
double latency(double d) {
    sim::Simulation s(alignment_network(d));
    testing::SpikeLog spikes(2);
    s.add_observer(&spikes);
    s.run(kPeriods * kPeriod);
    REQUIRE(spikes.times[1].size() == kPeriods);  // one spike per period
    return spikes.times[1].back() - ((kPeriods - 1) * kPeriod + kFixedDelay);
}

double aligning_delay() {
    double d = kFixedDelay;
    for (int k = 0; k < 40; ++k) {
        const double next = kFixedDelay + latency(d);
        if (std::abs(next - d) < 1e-12) return next;
        d = next;
    }
    return d;
}

}  // namespace

TEST_CASE("delay_shift_stdp aligns the copy with the post spike from every start in [0, 10] ms",
          "[plasticity][delay_shift_stdp][alignment]") {
    const double target = aligning_delay();
    std::cout << "delay_shift_stdp alignment: aligning delay d* = " << target << " ms (latency "
              << target - kFixedDelay << " ms after the fixed input)\n";
    REQUIRE(target > 4.0);
    REQUIRE(target < 10.0);  // inside the grid: early and late starts both occur
    double worst = 0.0;
    for (int k = 0; k <= 20; ++k) {
        const double d0 = 0.5 * k;
        const Learned l = learn(d0, kParams);
        INFO("initial delay " << d0 << " ms, learned " << l.delay << " ms");
        CHECK(l.post.size() == kPeriods);  // the fixed input fires N every period throughout
        CHECK(std::abs(l.delay - target) <= 0.05);
        worst = std::max(worst, std::abs(l.delay - target));
    }
    std::cout << "  worst |d - d*| after " << kPeriods << " periods over 21 starts: " << worst << " ms\n";
}

TEST_CASE("delay_shift_stdp: sign and size of the first change on either side",
          "[plasticity][delay_shift_stdp]") {
    // Early copy (0 ms): arrives at 0, N fires at t_post; the post-spike hook lengthens
    // the delay by eta * (t_post - 0) at t_post.
    const Learned early = learn(0.0, kParams);
    REQUIRE(!early.changes.empty());
    CHECK(early.changes[0].t == early.post[0]);
    CHECK(early.changes[0].old_value == 0.0);
    CHECK(early.changes[0].new_value == Approx(0.5 * (early.post[0] - 0.0)));
    // Late copy (10 ms): arrives at 10 after the spike; the delivery hook shortens the
    // delay by eta * (10 - t_post) at 10.
    const Learned late = learn(10.0, kParams);
    REQUIRE(!late.changes.empty());
    CHECK(late.changes[0].t == 10.0);
    CHECK(late.changes[0].new_value == Approx(10.0 - 0.5 * (10.0 - late.post[0])));
    CHECK(late.changes[0].new_value < 10.0);
    // Each change reported once: one per period on the early side until converged.
    for (std::size_t k = 1; k < early.changes.size(); ++k)
        CHECK(early.changes[k].old_value == early.changes[k - 1].new_value);
}

TEST_CASE("delay_shift_stdp: window and late_pairs", "[plasticity][delay_shift_stdp]") {
    // late_pairs = 0: only arrivals before the spike learn; a late copy never moves.
    const Learned late = learn(10.0, testing::reals({{"eta", 0.5}, {"window_ms", 8.0}, {"late_pairs", 0}}));
    CHECK(late.changes.empty());
    CHECK(late.delay == 10.0);
    // An arrival further than window_ms from every spike is ignored: the copy at 0 ms
    // arrives ~5.2 ms before the spike, outside a 2 ms window.
    const Learned far = learn(0.0, testing::reals({{"eta", 0.5}, {"window_ms", 2.0}}));
    CHECK(far.changes.empty());
}

TEST_CASE("delay_shift_stdp with a target lag settles that far before the spike",
          "[plasticity][delay_shift_stdp]") {
    // target_lag 1 ms: the copy learns to arrive 1 ms before N's spike (checked on the
    // learned run's own last period, since the earlier copy advances the spike).
    const Learned l = learn(8.0, testing::reals({{"eta", 0.5}, {"window_ms", 8.0}, {"target_lag_ms", 1.0}}));
    const double t_arr = (kPeriods - 1) * kPeriod + l.delay;
    CHECK(l.post.back() - t_arr == Approx(1.0).margin(0.01));
}
