// SmallLinear's per-instant decay factors on the event loop (Population::on_event_loop;
// models/small_linear.hpp, Instant): a free step within an epoch is G(t) H(t0) per rate
// class instead of an exponential. The factors are functions of the times alone, so the
// state must not depend on what was cached (the same calls in another interleaving of
// nodes, so that no instant is shared, give the same bits), and must agree with the
// direct exponentials (on_event_loop(false), the batched path's advance) to rounding,
// across epoch boundaries (E = 16 ms for lif_exp's default rates), refractory spans
// and instants shared by many nodes. Checkpoints: test_event_path.cpp's resume test
// also takes one at an epoch boundary.
#include <catch2/catch.hpp>

#include <cmath>
#include <random>

#include "sim/observer.hpp"
#include "tests/support/seed_network.hpp"

using namespace delaysim;
using delaysim::testing::make_population;

namespace {

struct Step {
    sim::Index node;
    sim::Time t;
    int what;  // 0 advance only, 1 input on port ex, 2 on port in, 3 fire
    double w;
};

// Per node a sequence of times (shared instants: many nodes at one t, as zero-delay
// deliveries of one spike), through 100 ms (six epochs).
std::vector<Step> steps(sim::Index nodes) {
    std::mt19937_64 rng(7);
    std::uniform_real_distribution<double> gap(0.0, 1.5), w(0.0, 300.0);
    std::vector<Step> out;
    sim::Time t = 0.0;
    while (t < 100.0) {
        t += rng() % 4 == 0 ? 0.0 : gap(rng);  // some instants repeat
        for (sim::Index i = 0; i < nodes; ++i) {
            if (rng() % 3 == 0) continue;
            const int what = rng() % 40 == 0 ? 3 : static_cast<int>(rng() % 3);
            out.push_back({i, t, what, w(rng)});
        }
    }
    return out;
}

void apply(sim::Population& P, const Step& s) {
    P.advance(s.node, s.t);
    if (s.what == 1 || s.what == 2) P.receive(s.node, static_cast<std::size_t>(s.what - 1), s.w, s.t);
    if (s.what == 3) P.fire(s.node, s.t);
}

}  // namespace

TEST_CASE("the event loop's per-instant decay factors: independent of the cache, equal to the exponentials",
          "[sim][event_path][models]") {
    constexpr sim::Index n = 12;
    const std::vector<Step> seq = steps(n);
    auto cached = make_population("lif_exp", "A", n);   // time order: instants shared
    auto by_node = make_population("lif_exp", "B", n);  // node after node: none shared
    auto direct = make_population("lif_exp", "C", n);   // the exponentials
    cached->on_event_loop(true);
    by_node->on_event_loop(true);
    direct->on_event_loop(false);
    for (const Step& s : seq) apply(*cached, s), apply(*direct, s);
    for (sim::Index i = 0; i < n; ++i)
        for (const Step& s : seq)
            if (s.node == i) apply(*by_node, s);
    const sim::Time t_end = 100.0 + 3.0;
    std::size_t differ = 0;
    for (sim::Index i = 0; i < n; ++i)
        for (std::size_t v = 0; v < cached->variables().size(); ++v) {
            // (value() steps from the node's time with exponentials, the same for all three.)
            const double a = cached->value(i, v, t_end), b = by_node->value(i, v, t_end);
            const double c = direct->value(i, v, t_end);
            INFO("node " << i << ", variable " << cached->variables()[v].name);
            REQUIRE(a == b);  // bit for bit
            CHECK(std::abs(a - c) <= 1e-11 * (std::abs(c) + 1.0));
            differ += a != c;
        }
    // The factors round differently from one exponential: some bits differ, which shows
    // that the per-instant path was taken.
    CHECK(differ > 0);
}
