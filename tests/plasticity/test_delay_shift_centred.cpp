// delay_shift_centred: delay_shift_stdp's shifts, shared out so that each neuron's
// mean input delay is conserved.
//
// Set-up (lif_exp N, defaults): a drive source fires N through a fixed 1 ms delay
// with 4000 pA at 0 and 100 ms (one spike each, ~1.2 ms after the arrival). A source
// S of three nodes spikes once at 0 ms through three weak (1 pA) plastic synapses
// with delays 0.5, 1.5 and 3 ms: two arrive before N's first spike (paired at it),
// one after it (a late pair, paired at its arrival). Nothing is near N's second
// spike, so there every synapse only takes what it still owes.
// Oracle: delay_shift_stdp on the same network gives each synapse's own shift
// delta_k (its changes are exactly those shifts); the centred rule must end at
//   d_k = d_k0 + delta_k - (delta_0 + delta_1 + delta_2) / 3,
// conserving the sum, and also when the three synapses are split over two
// projections onto N. One synapse alone (n = 1) never moves.
#include <catch2/catch.hpp>
#include <numeric>

#include "sim/simulation.hpp"
#include "tests/support/plasticity_support.hpp"

using namespace delaysim;

namespace {

const std::vector<double> kD0 = {0.5, 1.5, 3.0};

std::unique_ptr<sim::Population> sources(const std::string& name, std::size_t n) {
    sim::ParamValues v;
    v.lists["times_ms"] = {0.0};
    return testing::make_population("explicit_source", name, static_cast<sim::Index>(n), v);
}

sim::SynapseList synapses(std::size_t first, std::size_t count) {
    sim::SynapseList l;
    for (std::size_t k = first; k < first + count; ++k) {
        l.source.push_back(static_cast<std::uint32_t>(k - first));
        l.target.push_back(0);
        l.weight.push_back(1.0);
        l.delay.push_back(kD0[k]);
    }
    return l;
}

// split = 0: one plastic projection of three synapses; split = 2: synapses 0, 1 in
// one projection and synapse 2 in another (both onto N).
sim::Network network(std::size_t split) {
    sim::Network net;
    net.populations.push_back(testing::source_at("drive", {0.0, 100.0}));
    net.populations.push_back(testing::make_population("lif_exp", "N", 1));
    net.projections.emplace_back("drive_n", 0, 1, 0, testing::one_synapse(4000.0, 1.0), sim::DelayBounds{},
                                 sim::InflightPolicy::Keep, 1, 1);
    const sim::DelayBounds bounds{0.0, 20.0, sim::BoundPolicy::Clamp};
    if (split == 0) {
        net.populations.push_back(sources("S", 3));
        net.projections.emplace_back("s_n", 2, 1, 0, synapses(0, 3), bounds, sim::InflightPolicy::Keep, 3, 1);
    } else {
        net.populations.push_back(sources("S", split));
        net.populations.push_back(sources("T", 3 - split));
        net.projections.emplace_back("s_n", 2, 1, 0, synapses(0, split), bounds, sim::InflightPolicy::Keep,
                                     static_cast<sim::Index>(split), 1);
        net.projections.emplace_back("t_n", 3, 1, 0, synapses(split, 3 - split), bounds,
                                     sim::InflightPolicy::Keep, static_cast<sim::Index>(3 - split), 1);
    }
    return net;
}

struct Result {
    std::vector<double> delays;  // final, synapses 0..2
    std::vector<testing::Change> changes;
    std::vector<double> post;
};

Result learn(const std::string& rule, std::size_t split) {
    sim::Simulation s(network(split));
    testing::ChangeLog log;
    testing::SpikeLog spikes(split == 0 ? 3 : 4);
    s.add_observer(&log);
    s.add_observer(&spikes);
    std::vector<std::uint32_t> plastic = {1};
    if (split != 0) plastic.push_back(2);
    s.add_rule(testing::make_rule(rule, testing::reals({{"eta", 0.5}, {"window_ms", 3.0}})), plastic);
    s.run(150.0);
    Result r{{}, log.changes, spikes.times[1]};
    for (std::uint32_t q : plastic)
        for (sim::Index k = 0; k < s.projection(q).size(); ++k) r.delays.push_back(s.projection(q).delay(k));
    return r;
}

}  // namespace

TEST_CASE("delay_shift_centred shares delay_shift_stdp's shifts out and conserves the sum",
          "[plasticity][delay_shift_centred]") {
    const Result ref = learn("delay_shift_stdp", 0);
    REQUIRE(ref.post.size() == 2);
    REQUIRE(ref.post[0] > 1.5);  // arrivals 0.5 and 1.5 before the first spike,
    REQUIRE(ref.post[0] < 3.0);  // 3.0 after it, within the 3 ms window
    std::vector<double> delta(3);
    for (std::size_t k = 0; k < 3; ++k) delta[k] = ref.delays[k] - kD0[k];
    // the oracle's shifts are the pairing formula: eta * (t_post - t_arrival)
    for (std::size_t k = 0; k < 3; ++k) CHECK(delta[k] == Approx(0.5 * (ref.post[0] - kD0[k])).margin(1e-12));
    const double mean = (delta[0] + delta[1] + delta[2]) / 3.0;

    for (std::size_t split : {0, 2}) {
        INFO("split " << split);
        const Result c = learn("delay_shift_centred", split);
        REQUIRE(c.post == ref.post);  // 1 pA inputs at the same arrival times: same spikes
        for (std::size_t k = 0; k < 3; ++k)
            CHECK(c.delays[k] == Approx(kD0[k] + delta[k] - mean).margin(1e-12));
        const double sum = std::accumulate(c.delays.begin(), c.delays.end(), 0.0);
        CHECK(sum == Approx(kD0[0] + kD0[1] + kD0[2]).margin(1e-12));
        // the owed shares were taken at the second spike, where nothing was paired
        bool at_second = false;
        for (const auto& ch : c.changes) at_second = at_second || ch.t == c.post[1];
        CHECK(at_second);
        for (const auto& ch : c.changes) CHECK(ch.by == "delay_shift_centred");
    }
}

TEST_CASE("delay_shift_centred: one synapse onto a neuron keeps its delay",
          "[plasticity][delay_shift_centred]") {
    // The alignment set-up of delay_shift_stdp's test, in small: a drive fires N, one
    // plastic synapse arrives 1.5 ms before; delay_shift_stdp moves it, the centred rule not.
    auto run = [](const std::string& rule) {
        sim::Network net;
        net.populations.push_back(testing::source_at("drive", {0.0, 20.0, 40.0}));
        net.populations.push_back(testing::make_population("lif_exp", "N", 1));
        net.projections.emplace_back("drive_n", 0, 1, 0, testing::one_synapse(4000.0, 1.0),
                                     sim::DelayBounds{}, sim::InflightPolicy::Keep, 1, 1);
        net.projections.emplace_back("s_n", 0, 1, 0, testing::one_synapse(1.0, 0.5),
                                     sim::DelayBounds{0.0, 20.0, sim::BoundPolicy::Clamp},
                                     sim::InflightPolicy::Keep, 1, 1);
        sim::Simulation s(std::move(net));
        testing::ChangeLog log;
        s.add_observer(&log);
        s.add_rule(testing::make_rule(rule, testing::reals({{"eta", 0.5}})), {1});
        s.run(60.0);
        return std::make_pair(s.projection(1).delay(0), log.changes.size());
    };
    const auto stdp = run("delay_shift_stdp");
    CHECK(stdp.first > 0.5);
    CHECK(stdp.second > 0);
    const auto centred = run("delay_shift_centred");
    CHECK(centred.first == 0.5);
    CHECK(centred.second == 0);
}
