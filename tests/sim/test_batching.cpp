// Slice batching (sim/slices.hpp) must give the results of the event-by-event loop:
// the same network is run three ways (mode 0: set_batching(false) forces the
// loop; 1: batched, whole slices superposed; 2: batched, set_superposition(false)
// takes every input one by one) and compared spike by spike, sample by sample
// and change by change.
// Differences can only come from rounding (the two paths split the exact
// propagation at different times), so the tolerance is 1e-9 ms.
#include <catch2/catch.hpp>

#include <cmath>
#include <random>

#include "sim/simulation.hpp"
#include "tests/support/observers.hpp"
#include "tests/support/plasticity_support.hpp"
#include "tests/support/probe.hpp"

using namespace delaysim;
using delaysim::testing::ChangeLog;
using delaysim::testing::make_population;
using delaysim::testing::make_rule;
using delaysim::testing::reals;
using delaysim::testing::Spikes;

namespace {

// Samples V of a few nodes of population 1 (E).
struct VSampler : sim::Observer {
    const sim::Simulation* sim = nullptr;
    std::vector<double> t, v;
    void on_sample(sim::Time ts) override {
        for (sim::Index i : {0, 7, 42}) {
            t.push_back(ts);
            v.push_back(sim->population(1).value(i, 0, ts));
        }
    }
};

sim::SynapseList random_synapses(std::mt19937_64& rng, sim::Index ns, sim::Index nt, int k, double w,
                                 double dmin, double dmax) {
    sim::SynapseList l;
    std::uniform_int_distribution<sim::Index> pick(0, ns - 1);
    std::uniform_real_distribution<double> delay(dmin, dmax);
    for (sim::Index j = 0; j < nt; ++j)
        for (int c = 0; c < k; ++c) {
            l.source.push_back(static_cast<std::uint32_t>(pick(rng)));
            l.target.push_back(static_cast<std::uint32_t>(j));
            l.weight.push_back(w);
            l.delay.push_back(delay(rng));
        }
    return l;
}

// Poisson drive -> E (400) and I (100) lif_exp, recurrent E/I with continuous
// delays in [dmin, 3] ms; population indices: 0 drive, 1 E, 2 I. Projection 2 is E->E.
sim::Network lif_network(double dmin, sim::DelayBounds ee_bounds = {}) {
    std::mt19937_64 rng(12345);
    sim::Network net;
    net.populations.push_back(
        make_population("poisson_source", "drive", 200, reals({{"rate_hz", 40.0}, {"seed", 7}})));
    const auto lif = reals({{"I_e_pA", 300.0}});
    net.populations.push_back(make_population("lif_exp", "E", 400, lif));
    net.populations.push_back(make_population("lif_exp", "I", 100, lif));
    using sim::InflightPolicy;
    auto add = [&](const char* name, std::uint32_t s, std::uint32_t t, std::size_t port, int k, double w,
                   sim::DelayBounds b = {}) {
        const sim::Index ns = net.populations[s]->size(), nt = net.populations[t]->size();
        net.projections.emplace_back(name, s, t, port, random_synapses(rng, ns, nt, k, w, dmin, 3.0), b,
                                     InflightPolicy::Keep, ns, nt);
    };
    add("drive_E", 0, 1, 0, 20, 60.0);
    add("drive_I", 0, 2, 0, 20, 60.0);
    add("E_E", 1, 1, 0, 40, 25.0, ee_bounds);
    add("E_I", 1, 2, 0, 40, 25.0);
    add("I_E", 2, 1, 1, 20, -90.0);
    add("I_I", 2, 2, 1, 20, -90.0);
    return net;
}

void require_same_spikes(const Spikes& a, const Spikes& b, std::uint32_t pops) {
    for (std::uint32_t p = 0; p < pops; ++p) {
        const auto x = a.of(p), y = b.of(p);
        INFO("population " << p);
        REQUIRE(x.size() == y.size());
        for (std::size_t i = 0; i < x.size(); ++i) {
            INFO("spike " << i << " node " << x[i].node << " / " << y[i].node << " t " << x[i].t << " / "
                          << y[i].t);
            REQUIRE(x[i].node == y[i].node);
            REQUIRE(std::abs(x[i].t - y[i].t) < 1e-9);
        }
    }
}

}  // namespace

TEST_CASE("slice batching reproduces the event-by-event spike trains and samples of a LIF network") {
    Spikes spikes[3];
    VSampler samples[3];
    for (int batched = 0; batched < 3; ++batched) {
        sim::Simulation s(lif_network(0.4));
        s.set_batching(batched != 0);
        s.set_superposition(batched == 1);
        s.add_observer(&spikes[batched]);
        samples[batched].sim = &s;
        s.add_observer(&samples[batched]);
        s.set_sample_interval(0.37);  // cuts slices at odd places
        REQUIRE(s.run(300.0));
        CHECK(s.batched(1) == (batched != 0));
        CHECK(s.batched(2) == (batched != 0));
        CHECK_FALSE(s.batched(0));  // sources stay in the event loop
        if (batched) CHECK(s.slice_width() == Approx(0.4).margin(0.01));
    }
    REQUIRE(spikes[0].of(1).size() > 500);  // a network that actually fires
    REQUIRE(spikes[0].of(2).size() > 100);
    require_same_spikes(spikes[0], spikes[1], 3);
    require_same_spikes(spikes[0], spikes[2], 3);
    REQUIRE(samples[0].v.size() > 2000);
    for (int m = 1; m < 3; ++m) {
        REQUIRE(samples[0].v.size() == samples[m].v.size());
        for (std::size_t i = 0; i < samples[0].v.size(); ++i) {
            REQUIRE(samples[0].t[i] == samples[m].t[i]);
            REQUIRE(samples[0].v[i] == Approx(samples[m].v[i]).margin(1e-9));
        }
    }
}

TEST_CASE(
    "superposed slices reproduce the event-by-event spike trains and samples; cut slices are not "
    "superposed") {
    Spikes spikes[3];
    VSampler samples[3];
    std::uint64_t superposed[3] = {};
    for (int mode = 0; mode < 3; ++mode) {
        sim::Simulation s(lif_network(0.4));
        s.set_batching(mode != 0);
        s.set_superposition(mode == 1);
        s.add_observer(&spikes[mode]);
        samples[mode].sim = &s;
        s.add_observer(&samples[mode]);
        s.set_sample_interval(2.1);  // most slices are whole
        REQUIRE(s.run(300.0));
        superposed[mode] = s.superposed_updates();
    }
    CHECK(superposed[0] == 0);
    CHECK(superposed[1] > 10000);
    CHECK(superposed[2] == 0);
    REQUIRE(spikes[0].of(1).size() > 500);
    require_same_spikes(spikes[0], spikes[1], 3);
    require_same_spikes(spikes[0], spikes[2], 3);
    REQUIRE(samples[0].v.size() > 300);
    for (int m = 1; m < 3; ++m) {
        REQUIRE(samples[0].v.size() == samples[m].v.size());
        for (std::size_t i = 0; i < samples[0].v.size(); ++i)
            REQUIRE(samples[0].v[i] == Approx(samples[m].v[i]).margin(1e-9));
    }
    // Samples every 0.37 ms cut every 0.4 ms slice: with an observer that may read
    // any node (VSampler keeps Observer::reads_state's default), none is superposed.
    sim::Simulation s(lif_network(0.4));
    VSampler any;
    any.sim = &s;
    s.add_observer(&any);
    s.set_sample_interval(0.37);
    REQUIRE(s.run(20.0));
    CHECK(s.superposed_updates() == 0);
}

// An observer that says which nodes it samples: the others are superposed across
// the sample times, and rule changes are in force exactly up to each of them.
TEST_CASE("with samples inside slices, the nodes nobody samples are superposed, same results") {
    struct Declared : VSampler {
        bool reads_state(std::uint32_t p, sim::Index i) const override {
            return p == 1 && (i == 0 || i == 7 || i == 42);
        }
    };
    struct DelaySampler : sim::Observer {
        const sim::Simulation* sim = nullptr;
        std::vector<double> d;
        void on_sample(sim::Time) override {
            for (sim::Index k = 0; k < sim->projection(2).size(); k += 97)
                d.push_back(sim->projection(2).delay(k));
        }
        bool reads_state(std::uint32_t, sim::Index) const override { return false; }
    };
    const sim::DelayBounds bounds{0.4, 6.0, sim::BoundPolicy::Clamp};
    Spikes spikes[3];
    Declared samples[3];
    DelaySampler delays[3];
    std::uint64_t superposed[3] = {};
    for (int mode = 0; mode < 3; ++mode) {
        sim::Simulation s(lif_network(0.4, bounds));
        s.set_batching(mode != 0);
        s.set_superposition(mode == 1);
        s.add_rule(make_rule("delay_shift_stdp", reals({{"eta", 0.3}, {"window_ms", 8.0}})), {2});
        s.add_observer(&spikes[mode]);
        samples[mode].sim = &s;
        s.add_observer(&samples[mode]);
        delays[mode].sim = &s;
        s.add_observer(&delays[mode]);
        s.set_sample_interval(0.37);
        REQUIRE(s.run(200.0));
        superposed[mode] = s.superposed_updates();
    }
    CHECK(superposed[1] > 10000);
    CHECK(superposed[2] == 0);
    REQUIRE(spikes[0].of(1).size() > 300);
    require_same_spikes(spikes[0], spikes[1], 3);
    require_same_spikes(spikes[0], spikes[2], 3);
    for (int m = 1; m < 3; ++m) {
        REQUIRE(samples[0].v.size() == samples[m].v.size());
        for (std::size_t i = 0; i < samples[0].v.size(); ++i)
            REQUIRE(samples[0].v[i] == Approx(samples[m].v[i]).margin(1e-9));
        REQUIRE(delays[0].d.size() == delays[m].d.size());
        for (std::size_t i = 0; i < delays[0].d.size(); ++i) {
            INFO("mode " << m << " delay sample " << i);
            REQUIRE(delays[0].d[i] == Approx(delays[m].d[i]).margin(1e-9));
        }
    }
}

TEST_CASE(
    "slice batching with delay_shift_stdp: the same changes at the same times, spikes expanded with the "
    "delay in force") {
    // Rules move E->E delays within [0.4, 6] ms; the slices are 0.4 ms wide, so
    // many changes fall in the same slice as a spike of the changed synapse's source.
    const sim::DelayBounds bounds{0.4, 6.0, sim::BoundPolicy::Clamp};
    Spikes spikes[3];
    ChangeLog changes[3];
    for (int batched = 0; batched < 3; ++batched) {
        sim::Simulation s(lif_network(0.4, bounds));
        s.set_batching(batched != 0);
        s.set_superposition(batched == 1);
        s.add_rule(make_rule("delay_shift_stdp", reals({{"eta", 0.3}, {"window_ms", 8.0}})), {2});
        s.add_observer(&spikes[batched]);
        s.add_observer(&changes[batched]);
        REQUIRE(s.run(250.0));
        CHECK(s.batched(1) == (batched != 0));
        // A delay-only rule's delivered hooks run after superposition.
        CHECK((s.superposed_updates() > 10000) == (batched == 1));
    }
    require_same_spikes(spikes[0], spikes[1], 3);
    require_same_spikes(spikes[0], spikes[2], 3);
    const auto& a = changes[0].changes;
    REQUIRE(a.size() > 1000);
    for (int m = 1; m < 3; ++m) {
        const auto& b = changes[m].changes;
        REQUIRE(a.size() == b.size());
        for (std::size_t i = 0; i < a.size(); ++i) {
            INFO("mode " << m << " change " << i);
            REQUIRE(a[i].synapse == b[i].synapse);
            REQUIRE(std::abs(a[i].t - b[i].t) < 1e-9);
            REQUIRE(a[i].new_value == Approx(b[i].new_value).margin(1e-9));
            REQUIRE(a[i].old_value == Approx(b[i].old_value).margin(1e-9));
        }
        // Reported in time order, as the event loop reports them.
        for (std::size_t i = 1; i < b.size(); ++i) REQUIRE(b[i - 1].t <= b[i].t);
    }
}

TEST_CASE("batched spikes reach event-loop nodes with zero delay, and a run can be split") {
    auto build = [] {
        sim::Network net = lif_network(0.4);
        net.populations.push_back(std::make_unique<delaysim::testing::Probe>(1));  // population 3
        sim::SynapseList all_e;
        for (std::uint32_t i = 0; i < 400; ++i) {
            all_e.source.push_back(i);
            all_e.target.push_back(0);
            all_e.weight.push_back(1.0);
            all_e.delay.push_back(0.0);
        }
        net.projections.emplace_back("E_probe", 1, 3, 0, std::move(all_e), sim::DelayBounds{},
                                     sim::InflightPolicy::Keep, 400, 1);
        return net;
    };
    std::vector<delaysim::testing::Probe::Arrival> arrivals[3];
    Spikes spikes[3];
    for (int mode = 0; mode < 3; ++mode) {  // 0: event loop; 1: batched; 2: batched, run in three parts
        sim::Simulation s(build());
        s.set_batching(mode != 0);
        s.add_observer(&spikes[mode]);
        if (mode == 2) {
            REQUIRE(s.run(55.55));
            REQUIRE(s.run(120.0));  // a slice boundary (0.4 * 300)
            REQUIRE(s.run(200.0));
        } else {
            REQUIRE(s.run(200.0));
        }
        CHECK_FALSE(s.batched(3));
        arrivals[mode] = static_cast<delaysim::testing::Probe&>(s.population(3)).arrivals;
    }
    REQUIRE(spikes[0].of(1).size() > 300);
    for (int mode = 1; mode < 3; ++mode) {
        require_same_spikes(spikes[0], spikes[mode], 3);
        REQUIRE(arrivals[mode].size() == arrivals[0].size());
        REQUIRE(arrivals[0].size() == spikes[0].of(1).size());  // one per E spike, at once
        for (std::size_t i = 0; i < arrivals[0].size(); ++i)
            REQUIRE(std::abs(arrivals[mode][i].t - arrivals[0][i].t) < 1e-9);
    }
}

TEST_CASE("populations that cannot be batched stay in the event loop; a delay below the slice is refused") {
    SECTION("delays shorter than the smallest slice") {
        sim::Simulation s(lif_network(0.001));
        REQUIRE(s.run(5.0));
        CHECK_FALSE(s.batched(1));
        CHECK(s.slice_width() == 0.0);
        REQUIRE(s.batching_notes().size() == 2);  // E and I, each with its reason
        CHECK_THAT(s.batching_notes()[0], Catch::Contains("'E' runs event by event") &&
                                              Catch::Contains("has a delay of") &&
                                              Catch::Contains("0.01 ms"));
    }
    SECTION("a rule with a pre-spike hook on a projection onto it") {
        sim::Simulation s(lif_network(0.4));
        s.add_rule(make_rule("constant_drift", reals({{"drift_ms", 0.01}})), {2});
        REQUIRE(s.run(5.0));
        CHECK_FALSE(s.batched(1));
        CHECK(s.batched(2));
        REQUIRE(s.batching_notes().size() == 1);
        CHECK_THAT(s.batching_notes()[0], Catch::Contains("'E'") && Catch::Contains("pre-spike hook"));
    }
    SECTION("set_delay below the slice width inside a run is refused") {
        struct Meddler : sim::Observer {
            sim::Simulation* sim = nullptr;
            void on_spike(std::uint32_t, sim::Index, sim::Time) override {
                sim->set_delay(2, 0, 0.1, "observer");
            }
        } meddler;
        sim::Simulation s(lif_network(0.4));
        meddler.sim = &s;
        s.add_observer(&meddler);
        REQUIRE_THROWS_AS(s.run(50.0), sim::UserError);
    }
}

TEST_CASE("a delay set below the slice width between runs re-plans the slices, pending spikes kept") {
    Spikes spikes[3];
    for (int batched = 0; batched < 3; ++batched) {
        sim::Simulation s(lif_network(0.4));
        s.set_batching(batched != 0);
        s.set_superposition(batched == 1);
        s.add_observer(&spikes[batched]);
        REQUIRE(s.run(50.3));  // stops inside a slice, spikes in flight
        CHECK(s.batched(1) == (batched != 0));
        for (sim::Index k = 0; k < 40; ++k) s.set_delay(2, k, 0.05, "test");
        REQUIRE(s.run(120.0));
        if (batched) {
            CHECK(s.batched(1));
            CHECK(s.slice_width() == Approx(0.05));
        }
        s.set_delay(2, 0, 0.001, "test");  // too short for slices: E leaves batching
        REQUIRE(s.run(200.0));
        CHECK_FALSE(s.batched(1));
        CHECK(s.batched(2) == (batched != 0));
    }
    REQUIRE(spikes[0].of(1).size() > 300);
    require_same_spikes(spikes[0], spikes[1], 3);
    require_same_spikes(spikes[0], spikes[2], 3);
}

TEST_CASE("a spike emitted in a slice before a rule changes its synapse's delay leaves with the old delay") {
    // SA drives A at 10 and 12.8 ms and SB drives B at 12.88 ms (strong, 0.5 ms delays); A -> B
    // (1 ms, weak) is plastic. B fires at ~13.45 ms: delay_shift_stdp moves A->B
    // (its spike from ~10.5 ms arrived at ~11.5 ms). A's second spike (~13.37 ms) is
    // in the same 0.5 ms slice, just before that change: it must arrive 1 ms later.
    auto build = [] {
        sim::Network net;
        net.populations.push_back(delaysim::testing::source_at("SA", {10.0, 12.8}));
        const auto fast = reals({{"tau_syn_ex_ms", 0.2}});  // one spike per strong input
        net.populations.push_back(make_population("lif_exp", "A", 1, fast));
        net.populations.push_back(make_population("lif_exp", "B", 1, fast));
        net.populations.push_back(delaysim::testing::source_at("SB", {12.88}));
        net.projections.emplace_back("S_A", 0, 1, 0, delaysim::testing::one_synapse(50000.0, 0.5),
                                     sim::DelayBounds{}, sim::InflightPolicy::Keep, 1, 1);
        net.projections.emplace_back("S_B", 3, 2, 0, delaysim::testing::one_synapse(50000.0, 0.5),
                                     sim::DelayBounds{}, sim::InflightPolicy::Keep, 1, 1);
        net.projections.emplace_back("A_B", 1, 2, 0, delaysim::testing::one_synapse(1.0, 1.0),
                                     sim::DelayBounds{1.0, 6.0, sim::BoundPolicy::Clamp},
                                     sim::InflightPolicy::Keep, 1, 1);
        return net;
    };
    std::vector<delaysim::testing::ArrivalProbe::Arrival> arrivals[3];
    Spikes spikes[3];
    for (int batched = 0; batched < 3; ++batched) {
        sim::Simulation s(build());
        s.set_batching(batched != 0);
        s.set_superposition(batched == 1);
        s.add_rule(make_rule("delay_shift_stdp", reals({{"eta", 0.5}, {"window_ms", 10.0}})), {2});
        s.add_rule(std::make_unique<delaysim::testing::ArrivalProbe>(&arrivals[batched]), {2});
        s.add_observer(&spikes[batched]);
        s.set_sample_interval(0.0);
        REQUIRE(s.run(30.0));
        CHECK(s.batched(1) == (batched != 0));
        if (batched) CHECK(s.slice_width() == 0.5);
    }
    require_same_spikes(spikes[0], spikes[1], 3);
    require_same_spikes(spikes[0], spikes[2], 3);
    const auto a = spikes[1].of(1), b = spikes[1].of(2);
    REQUIRE(a.size() == 2);
    REQUIRE(b.size() == 1);
    REQUIRE(std::floor(a[1].t / 0.5) == std::floor(b[0].t / 0.5));  // the same slice
    REQUIRE(a[1].t < b[0].t);
    for (int m = 0; m < 3; ++m) {
        REQUIRE(arrivals[m].size() == 2);
        CHECK(arrivals[m][0].t == Approx(a[0].t + 1.0).margin(1e-12));
        CHECK(arrivals[m][1].t == Approx(a[1].t + 1.0).margin(1e-12));  // the old delay
        CHECK(arrivals[m][1].delay > 1.4);                              // though the delay has moved
    }
}

TEST_CASE("inputs and checks beyond the slice ring are kept and come back in time") {
    // A delay far beyond the ring (it spans ~6 ms here) sends inputs to the far
    // list; a drive above rheobase puts checks (next spike bounds) beyond it too.
    Spikes spikes[3];
    for (int batched = 0; batched < 3; ++batched) {
        sim::Network net = lif_network(0.4);
        net.populations[2] = make_population("lif_exp", "I", 100, reals({{"I_e_pA", 380.0}}));
        // Q has no input: its checks (~10 ms ahead after each spike) wait in the far list.
        net.populations.push_back(make_population("lif_exp", "Q", 5, reals({{"I_e_pA", 380.0}})));
        sim::Simulation s(std::move(net));
        s.set_batching(batched != 0);
        s.set_superposition(batched == 1);
        s.add_observer(&spikes[batched]);
        REQUIRE(s.run(20.0));
        for (sim::Index k = 0; k < s.projection(2).size(); k += 3)
            s.set_delay(2, k, 37.3 + 1e-3 * static_cast<double>(k % 997), "test");
        REQUIRE(s.run(150.0));
        CHECK(s.batched(1) == (batched != 0));
        CHECK(s.batched(3) == (batched != 0));
    }
    REQUIRE(spikes[0].of(2).size() > 100);
    REQUIRE(spikes[0].of(3).size() >= 10);
    require_same_spikes(spikes[0], spikes[1], 4);
    require_same_spikes(spikes[0], spikes[2], 4);
}

TEST_CASE(
    "slice batching with stdp_weight: weight-only rules keep batching on the actual delays, same results") {
    Spikes spikes[3];
    ChangeLog changes[3];
    for (int batched = 0; batched < 3; ++batched) {
        sim::Simulation s(lif_network(0.4));  // default bounds: delay_min_ms = 0
        s.set_batching(batched != 0);
        s.set_superposition(batched == 1);
        s.add_rule(make_rule("stdp_weight", reals({{"a_plus", 2.0}, {"a_minus", 2.4}, {"w_max", 60.0}})),
                   {2});
        s.add_observer(&spikes[batched]);
        s.add_observer(&changes[batched]);
        // A weight potentiated by a spike must be the one a later input of the same
        // slice delivers (this test found the engine reading it before the spike).
        REQUIRE(s.run(200.0));
        CHECK(s.batched(1) == (batched != 0));  // stdp_weight never writes delays
    }
    const auto& a = changes[0].changes;
    require_same_spikes(spikes[0], spikes[1], 3);
    require_same_spikes(spikes[0], spikes[2], 3);
    REQUIRE(a.size() > 1000);
    for (int m = 1; m < 3; ++m) {
        const auto& b = changes[m].changes;
        REQUIRE(a.size() == b.size());
        for (std::size_t i = 0; i < a.size(); ++i) {
            INFO("mode " << m << " change " << i);
            REQUIRE(a[i].variable == sim::SynapseVariable::Weight);
            REQUIRE(a[i].synapse == b[i].synapse);
            REQUIRE(std::abs(a[i].t - b[i].t) < 1e-9);
            REQUIRE(a[i].new_value == Approx(b[i].new_value).margin(1e-9));
        }
    }
}
