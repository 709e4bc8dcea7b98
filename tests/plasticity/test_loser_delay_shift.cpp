// loser_delay_shift on the seed's two-neuron network (SG2->N1 0 ms, SG2->N2 1 ms as
// in the seed's concept, 1040 ms). N1 is inhibited exactly when N2 spikes (zero-delay
// inhibition), and vice versa, so the rival's spikes count the inhibitions.
#include <catch2/catch.hpp>
#include <functional>
#include <iostream>

#include "sim/simulation.hpp"
#include "tests/support/plasticity_support.hpp"

using namespace delaysim;

namespace {

enum { kSG1, kSG2, kN1, kN2 };
enum { kSg1N1, kSg1N2, kSg2N1, kSg2N2 };

struct SeedRun {
    testing::SpikeLog spikes{4};
    testing::ChangeLog changes;
    double d1 = 0, d2 = 0;
};

void run_seed(SeedRun& r, sim::DelayBounds bounds, double step = 1.0) {
    testing::SeedNetworkOptions o;
    o.d1 = 0.0;
    o.d2 = 1.0;
    o.plastic_bounds = bounds;
    sim::Simulation s(testing::seed_network(o));
    s.add_observer(&r.spikes);
    s.add_observer(&r.changes);
    s.add_rule(testing::make_rule("loser_delay_shift", testing::reals({{"step_ms", step}})),
               {kSg2N1, kSg2N2});
    REQUIRE(s.run(1040.0));
    r.d1 = s.projection(kSg2N1).delay(0);
    r.d2 = s.projection(kSg2N2).delay(0);
    CHECK(s.projection(kSg1N1).delay(0) == 1.0);
    CHECK(s.projection(kSg1N2).delay(0) == 1.0);
}

// Every inhibition of `loser` (= every spike of its rival) moves exactly the loser's
// SG2 delay by the step (mapped through the bounds), at the rival's spike time.
void check_one_shift_per_inhibition(const SeedRun& r, std::uint32_t plastic, std::size_t rival,
                                    const std::function<double(double)>& next, double d0) {
    const auto ch = r.changes.of(plastic);
    const auto& rival_spikes = r.spikes.times[rival];
    std::size_t k = 0;
    double d = d0;
    for (double t : rival_spikes) {
        const double want = next(d);
        if (want == d) continue;  // no effective change (clamped at a bound): nothing reported
        REQUIRE(k < ch.size());
        CHECK(ch[k].t == t);
        CHECK(ch[k].old_value == Approx(d).margin(1e-12));
        CHECK(ch[k].new_value == Approx(want).margin(1e-12));
        CHECK(ch[k].by == "loser_delay_shift");
        d = want;
        ++k;
    }
    CHECK(k == ch.size());
}

// Summary for the issue note (full spike and change lists: run with -s and extend here).
void report(const char* what, const SeedRun& r) {
    std::cout << what << ": N1 " << r.spikes.times[kN1].size() << " spikes, N2 " << r.spikes.times[kN2].size()
              << " spikes, " << r.changes.changes.size() << " delay changes; final d1 = " << r.d1
              << " ms, d2 = " << r.d2 << " ms\n";
}

}  // namespace

TEST_CASE("loser_delay_shift: each inhibition shifts exactly the loser's SG2 delay (clamp)",
          "[plasticity][loser_delay_shift][two_neuron]") {
    SeedRun r;
    const double max = 20.0;
    run_seed(r, {0.0, max, sim::BoundPolicy::Clamp});
    auto next = [&](double d) { return std::min(d + 1.0, max); };
    check_one_shift_per_inhibition(r, kSg2N1, kN2, next, 0.0);
    check_one_shift_per_inhibition(r, kSg2N2, kN1, next, 1.0);
    CHECK(r.changes.of(kSg1N1).empty());
    CHECK(r.changes.of(kSg1N2).empty());
    CHECK(r.changes.changes.size() == r.changes.of(kSg2N1).size() + r.changes.of(kSg2N2).size());
    report("clamp [0, 20]", r);
}

TEST_CASE("loser_delay_shift: shifts wrap within one pattern period",
          "[plasticity][loser_delay_shift][two_neuron]") {
    SeedRun r;
    run_seed(r, {0.0, 13.0, sim::BoundPolicy::Wrap});
    auto next = [](double d) { return d + 1.0 >= 13.0 ? d + 1.0 - 13.0 : d + 1.0; };
    check_one_shift_per_inhibition(r, kSg2N1, kN2, next, 0.0);
    check_one_shift_per_inhibition(r, kSg2N2, kN1, next, 1.0);
    CHECK(r.changes.of(kSg1N1).empty());
    CHECK(r.changes.of(kSg1N2).empty());
    report("wrap [0, 13)", r);
}
