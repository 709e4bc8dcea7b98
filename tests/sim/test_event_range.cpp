// A spike's zero-delay deliveries through one projection are queued as one range
// (EventQueue::push_now_range) and expanded when they come up: the deliveries
// must be those of one event per synapse, in the same order, to the bit. A
// recurrent lif_delta network whose every recurrent delay is 0 (deliveries make
// nodes fire at once, whose own zero-delay deliveries follow in the next round),
// three identical twins that fire at the same instants (their ranges queue side
// by side), a Retime projection (one event per synapse, between the ranges in
// the FIFO) and one with mixed delays (one event per synapse), run with ranges
// and without: the log of spikes and deliveries, in order, must be equal. A run
// stopped in the middle of a range resumes from a checkpoint to the same log.
#include <catch2/catch.hpp>

#include <csignal>
#include <random>

#include "sim/serialize.hpp"
#include "sim/simulation.hpp"
#include "tests/support/plasticity_support.hpp"

using namespace delaysim;
using delaysim::testing::make_population;
using delaysim::testing::reals;

namespace {

struct Entry {
    int kind;  // 0 spike (a: population, b: node), 1 delivery (a: projection, b: synapse)
    std::uint64_t a, b, target;
    sim::Time t;
    bool operator==(const Entry&) const = default;
};

// Spikes (as an observer) and deliveries (through Forward, a rule on every
// projection) in one log, in the order they happen. Optionally stops the run
// after delivery `stop_at`.
struct Log : sim::Observer {
    std::vector<Entry> entries;
    std::size_t stop_at = 0;
    volatile std::sig_atomic_t stop = 0;
    std::size_t deliveries = 0;
    void delivered(plasticity::SynapseHandle& s, sim::Time t) {
        // (The rule's slot is the projection's index: Forward is attached to all, in order.)
        entries.push_back({1, s.slot(), s.index(), s.target(), t});
        if (++deliveries == stop_at) stop = 1;
    }
    bool reads_state(std::uint32_t, sim::Index) const override { return false; }
    void on_spike(std::uint32_t p, sim::Index n, sim::Time t) override { entries.push_back({0, p, n, 0, t}); }
};

// Populations: 0 drive (Poisson), 1 E (120), 2 I (30), 3 twins (3, identical inputs).
sim::Network network() {
    std::mt19937_64 rng(77);
    sim::Network net;
    net.populations.push_back(
        make_population("poisson_source", "drive", 40, reals({{"rate_hz", 30.0}, {"seed", 5}})));
    // Delta synapses (voltage jumps): an input can fire a node at once.
    const auto lif = reals({{"I_e_pA", 390.0}});  // V_inf just above threshold
    net.populations.push_back(make_population("lif_delta", "E", 120, lif));
    net.populations.push_back(make_population("lif_delta", "I", 30, lif));
    net.populations.push_back(make_population("lif_delta", "twins", 3, lif));
    auto add = [&](const char* name, std::uint32_t s, std::uint32_t t, std::size_t port, int k, double w,
                   bool mixed, sim::InflightPolicy policy) {
        const sim::Index ns = net.populations[s]->size(), nt = net.populations[t]->size();
        std::uniform_int_distribution<sim::Index> pick(0, ns - 1);
        sim::SynapseList l;
        for (sim::Index j = 0; j < nt; ++j)
            for (int c = 0; c < k; ++c) {
                l.source.push_back(static_cast<std::uint32_t>(pick(rng)));
                l.target.push_back(static_cast<std::uint32_t>(j));
                l.weight.push_back(w * (1.0 + 0.01 * static_cast<double>(rng() % 7)));
                l.delay.push_back(mixed && rng() % 2 ? 0.3 : 0.0);
            }
        net.projections.emplace_back(name, s, t, port, l, sim::DelayBounds{0.0, 5.0}, policy, ns, nt);
    };
    const auto keep = sim::InflightPolicy::Keep;
    add("drive_E", 0, 1, 0, 4, 4.0, false, keep);                      // 0
    add("E_E", 1, 1, 0, 12, 1.5, false, keep);                         // 1: chains within an instant
    add("E_I", 1, 2, 0, 12, 1.5, false, sim::InflightPolicy::Retime);  // 2: one event per synapse
    add("I_E", 2, 1, 1, 8, -3.0, false, keep);                         // 3
    add("I_E_mixed", 2, 1, 1, 4, -1.0, true, keep);                    // 4: some 0, some 0.3 ms
    // Every twin gets the same synapses: they fire at the same instants.
    sim::SynapseList twins;
    std::uniform_int_distribution<std::uint32_t> pick(0, 119);
    std::vector<std::uint32_t> src(30);
    for (auto& s : src) s = pick(rng);
    for (std::uint32_t j = 0; j < 3; ++j)
        for (std::size_t c = 0; c < src.size(); ++c) {
            twins.source.push_back(src[c]);
            twins.target.push_back(j);
            twins.weight.push_back(c % 5 == 0 ? -1.0 : 1.2);
            twins.delay.push_back(0.0);
        }
    net.projections.emplace_back("E_twins", 1, 3, 0, twins, sim::DelayBounds{}, keep, 120, 3);  // 5
    add("twins_E", 3, 1, 0, 10, 1.5, false, keep);                                              // 6
    return net;
}

// A simulation of network() logging into `log`, ranges on or off.
std::unique_ptr<sim::Simulation> make(Log& log, bool ranges) {
    auto s = std::make_unique<sim::Simulation>(network());
    s->set_zero_delay_ranges(ranges);
    s->set_horizon(120.0);
    std::vector<std::uint32_t> all;
    for (std::uint32_t q = 0; q < 7; ++q) all.push_back(q);
    struct Forward : plasticity::Rule {
        Log* to;
        explicit Forward(Log* l) : Rule("log"), to(l) {}
        unsigned hooks() const override { return plasticity::kDelivered; }
        bool writes_delays() const override { return false; }
        bool writes_weights() const override { return false; }
        bool checkpointable() const override { return true; }
        void on_delivered(plasticity::SynapseHandle& h, sim::Time t) override { to->delivered(h, t); }
    };
    s->add_rule(std::make_unique<Forward>(&log), all);
    s->add_observer(&log);
    s->set_stop_flag(&log.stop);
    return s;
}

void require_same(const std::vector<Entry>& a, const std::vector<Entry>& b) {
    REQUIRE(a.size() == b.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
        INFO("entry " << i << ": kind " << a[i].kind << " " << a[i].a << " " << a[i].b << " at " << a[i].t);
        REQUIRE(a[i] == b[i]);  // times bit for bit
    }
}

}  // namespace

TEST_CASE("zero-delay ranges deliver what one event per synapse delivers, in the same order",
          "[sim][event_path][event_range]") {
    Log with, without;
    {
        auto s = make(with, true);
        REQUIRE(s->run(120.0));
        CHECK_FALSE(s->batched(1));
    }
    {
        auto s = make(without, false);
        REQUIRE(s->run(120.0));
    }
    // The network does what the test is about: nodes fired by a zero-delay
    // delivery at the instant of their spike (chains), twins firing together
    // (ranges side by side), Retime deliveries (single events in the FIFO).
    std::size_t chained = 0, twin_ties = 0, spikes = 0, retimed = 0;
    const Entry* last_twin = nullptr;
    for (std::size_t i = 0; i < with.entries.size(); ++i) {
        const Entry& e = with.entries[i];
        if (e.kind == 1) {
            retimed += e.a == 2;
            continue;
        }
        ++spikes;
        if (e.a == 3) {
            twin_ties += last_twin && last_twin->t == e.t;
            last_twin = &e;
        }
        for (std::size_t j = i; j-- > 0 && with.entries[j].t == e.t;)
            if (with.entries[j].kind == 1 && with.entries[j].target == e.b &&
                (with.entries[j].a == 1 || with.entries[j].a == 6) && e.a == 1) {
                ++chained;
                break;
            }
    }
    INFO("spikes " << spikes << ", chained " << chained << ", twin ties " << twin_ties << ", retimed "
                   << retimed);
    REQUIRE(spikes > 500);
    REQUIRE(chained > 50);
    REQUIRE(twin_ties > 10);
    REQUIRE(retimed > 1000);
    require_same(with.entries, without.entries);
}

TEST_CASE("a run stopped inside a zero-delay range resumes from a checkpoint to the same deliveries",
          "[sim][event_path][event_range][checkpoint]") {
    Log one;
    make(one, true)->run(120.0);
    // Stop after a delivery in the middle of a range of E_E (the next one is
    // the same spike's next synapse).
    std::size_t stop_at = 0, seen = 0;
    const std::size_t want = GENERATE(40, 900, 2500);
    for (std::size_t i = 1; i + 1 < one.entries.size(); ++i) {
        const Entry& e = one.entries[i];
        if (e.kind != 1) continue;
        ++seen;
        const Entry& n = one.entries[i + 1];
        if (seen >= want && e.a == 1 && n.kind == 1 && n.a == 1 && n.b == e.b + 1 && n.t == e.t) {
            stop_at = seen;
            break;
        }
    }
    REQUIRE(stop_at > 0);
    INFO("stopped after delivery " << stop_at);
    Log resumed;
    sim::Writer w;
    {
        auto a = make(resumed, true);
        resumed.stop_at = stop_at;
        REQUIRE_FALSE(a->run(120.0));  // stopped
        a->save(w);
    }
    REQUIRE(resumed.deliveries == stop_at);
    resumed.stop = 0;
    resumed.stop_at = 0;
    auto b = make(resumed, true);
    sim::Reader r(w.bytes().data(), w.bytes().size());
    b->restore(r);
    REQUIRE(b->run(120.0));
    require_same(one.entries, resumed.entries);
}
