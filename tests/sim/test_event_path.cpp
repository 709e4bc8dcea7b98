// The event-by-event loop's cost-only devices must not change a single bit:
// deferred exact searches at checks (Simulation::handle_prediction) and the
// queue's FIFO tier for zero-delay deliveries (sim/event_queue.hpp; its order is
// tested against one priority queue in test_event_queue.cpp). A recurrent lif_exp
// network above rheobase (checks come often and inputs usually make them stale)
// with zero and continuous delays, and four identical "twin" nodes that cross at
// the same instant (their order is the seq order of their predictions), run with
// and without deferral: the spike lists must be equal to the bit, in order. A
// checkpoint taken while checks are deferred (both steps pending somewhere)
// resumes to the same spikes (also at and just before an epoch boundary of lif_exp's
// per-instant decay factors: test_event_decay.cpp).
#include <catch2/catch.hpp>

#include <random>

#include "sim/serialize.hpp"
#include "sim/simulation.hpp"
#include "tests/support/observers.hpp"
#include "tests/support/plasticity_support.hpp"

using namespace delaysim;
using delaysim::testing::make_population;
using delaysim::testing::reals;
using delaysim::testing::Spikes;

namespace {

// Populations: 0 drive (Poisson), 1 E (240), 2 I (60), 3 twins (4, identical
// inputs). Half the recurrent delays are exactly 0, the rest uniform in [0, 2) ms.
sim::Network network() {
    std::mt19937_64 rng(2024);
    sim::Network net;
    net.populations.push_back(
        make_population("poisson_source", "drive", 50, reals({{"rate_hz", 20.0}, {"seed", 3}})));
    const auto lif = reals({{"I_e_pA", 400.0}});  // above rheobase (375 pA): regular firing
    net.populations.push_back(make_population("lif_exp", "E", 240, lif));
    net.populations.push_back(make_population("lif_exp", "I", 60, lif));
    net.populations.push_back(make_population("lif_exp", "twins", 4, lif));
    auto add = [&](const char* name, std::uint32_t s, std::uint32_t t, std::size_t port, int k, double w) {
        const sim::Index ns = net.populations[s]->size(), nt = net.populations[t]->size();
        std::uniform_int_distribution<sim::Index> pick(0, ns - 1);
        std::uniform_real_distribution<double> delay(0.0, 2.0);
        sim::SynapseList l;
        for (sim::Index j = 0; j < nt; ++j)
            for (int c = 0; c < k; ++c) {
                l.source.push_back(static_cast<std::uint32_t>(pick(rng)));
                l.target.push_back(static_cast<std::uint32_t>(j));
                l.weight.push_back(w);
                l.delay.push_back(rng() % 2 ? 0.0 : delay(rng));
            }
        net.projections.emplace_back(name, s, t, port, l, sim::DelayBounds{}, sim::InflightPolicy::Keep, ns,
                                     nt);
    };
    add("drive_E", 0, 1, 0, 5, 40.0);
    add("E_E", 1, 1, 0, 30, 20.0);
    add("E_I", 1, 2, 0, 30, 20.0);
    add("I_E", 2, 1, 1, 15, -60.0);
    add("I_I", 2, 2, 1, 15, -60.0);
    // Every twin gets the same synapses (same sources, weights and delays, in the
    // same order), so the twins stay identical and spike at the same instants.
    sim::SynapseList twins;
    std::uniform_int_distribution<std::uint32_t> pick(0, 239);
    std::vector<std::uint32_t> src(40);
    for (auto& s : src) s = pick(rng);
    for (std::uint32_t j = 0; j < 4; ++j)
        for (std::size_t c = 0; c < src.size(); ++c) {
            twins.source.push_back(src[c]);
            twins.target.push_back(j);
            twins.weight.push_back(c % 5 == 0 ? -30.0 : 25.0);
            twins.delay.push_back(c % 2 ? 0.0 : 0.25 * static_cast<double>(c % 7));
        }
    net.projections.emplace_back("E_twins", 1, 3, 0, twins, sim::DelayBounds{}, sim::InflightPolicy::Keep,
                                 240, 4);
    add("twins_E", 3, 1, 0, 1, 30.0);
    return net;
}

}  // namespace

TEST_CASE("deferred exact searches give the spikes of searches at every check, to the bit",
          "[sim][event_path]") {
    Spikes spikes[2];
    std::uint64_t events[2] = {0, 0}, deliveries[2] = {0, 0};
    for (int defer = 0; defer < 2; ++defer) {
        sim::Simulation s(network());
        s.set_deferred_checks(defer != 0);
        s.add_observer(&spikes[defer]);
        REQUIRE(s.run(150.0));
        CHECK_FALSE(s.batched(1));  // zero delays: the event-by-event loop
        events[defer] = s.events_processed();
        deliveries[defer] = s.deliveries_processed();
    }
    const auto& a = spikes[0].all;
    const auto& b = spikes[1].all;
    REQUIRE(a.size() > 1000);  // a network that fires
    std::size_t twin_ties = 0;
    for (std::size_t i = 1; i < a.size(); ++i)
        twin_ties += a[i].pop == 3 && a[i - 1].pop == 3 && a[i].t == a[i - 1].t;
    REQUIRE(twin_ties > 10);  // the twins do cross at the same instants
    REQUIRE(a.size() == b.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
        INFO("spike " << i);
        REQUIRE(a[i].pop == b[i].pop);
        REQUIRE(a[i].node == b[i].node);
        REQUIRE(a[i].t == b[i].t);  // bit for bit, not within a tolerance
    }
    CHECK(deliveries[0] == deliveries[1]);
    // Deferral did happen: each deferred check is one more event.
    CHECK(events[1] > events[0] + 1000);
}

TEST_CASE("a checkpoint taken with deferred checks pending resumes to the same spikes, to the bit",
          "[sim][event_path][checkpoint]") {
    // 32: on an epoch boundary of lif_exp's per-instant decay factors (models/small_linear.hpp,
    // E = 16 ms here), 47.999 just before one.
    const double T = GENERATE(23.7, 32.0, 47.999, 61.3, 104.9);
    INFO("checkpoint at " << T);
    Spikes one, resumed;
    {
        sim::Simulation s(network());
        s.add_observer(&one);
        s.set_horizon(150.0);
        REQUIRE(s.run(150.0));
    }
    sim::Writer w;
    {
        sim::Simulation a(network());
        a.add_observer(&resumed);
        a.set_horizon(150.0);
        REQUIRE(a.run(T));
        a.save(w);
    }
    sim::Simulation b(network());
    b.add_observer(&resumed);
    b.set_horizon(150.0);
    sim::Reader r(w.bytes().data(), w.bytes().size());
    b.restore(r);
    REQUIRE(b.run(150.0));
    REQUIRE(one.all.size() > 1000);
    REQUIRE(resumed.all.size() == one.all.size());
    for (std::size_t i = 0; i < one.all.size(); ++i) {
        INFO("spike " << i);
        REQUIRE(resumed.all[i].pop == one.all[i].pop);
        REQUIRE(resumed.all[i].node == one.all[i].node);
        REQUIRE(resumed.all[i].t == one.all[i].t);
    }
}
