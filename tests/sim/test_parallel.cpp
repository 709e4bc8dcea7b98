// Threads (sim/parallel.hpp, README "Parallel runs"): the pool runs every lane
// and passes a lane's exception on; a simulation with N threads reports the
// spikes, the samples and the rules' changes of the one-thread run exactly (==,
// no tolerance), in the same order; a rule that needs serial execution keeps the
// run on one thread. (End to end, file by file: tests/tools/parallel.)
#include <catch2/catch.hpp>

#include <atomic>
#include <cstdlib>
#include <random>
#include <stdexcept>

#include "sim/parallel.hpp"
#include "sim/simulation.hpp"
#include "tests/support/plasticity_support.hpp"
#include "tests/support/seed_network.hpp"

using namespace delaysim;
using delaysim::testing::ChangeLog;
using delaysim::testing::make_population;
using delaysim::testing::make_rule;
using delaysim::testing::reals;

TEST_CASE("thread pool: every lane once per run, lane 0 on the caller", "[parallel]") {
    for (unsigned n : {1u, 2u, 5u}) {
        sim::ThreadPool pool(n);
        REQUIRE(pool.size() == n);
        std::vector<std::atomic<int>> hits(n);
        for (int k = 0; k < 200; ++k) pool.run([&](unsigned lane) { ++hits[lane]; });
        for (unsigned lane = 0; lane < n; ++lane) REQUIRE(hits[lane] == 200);
        const auto caller = std::this_thread::get_id();
        std::thread::id lane0;
        pool.run([&](unsigned lane) {
            if (lane == 0) lane0 = std::this_thread::get_id();
        });
        REQUIRE(lane0 == caller);
    }
}

TEST_CASE("thread pool: the lowest lane's exception is rethrown, the pool goes on", "[parallel]") {
    sim::ThreadPool pool(4);
    auto throwing = [](unsigned lane) {
        if (lane >= 2) throw std::runtime_error("lane " + std::to_string(lane));
    };
    REQUIRE_THROWS_WITH(pool.run(throwing), "lane 2");
    int sum = 0;
    std::mutex m;
    pool.run([&](unsigned lane) {
        std::lock_guard<std::mutex> lock(m);
        sum += static_cast<int>(lane);
    });
    REQUIRE(sum == 0 + 1 + 2 + 3);
}

TEST_CASE("lane scope: the thread's lane, restored on exit", "[parallel]") {
    REQUIRE(sim::Lane::current() == nullptr);
    sim::Lane a, b;
    {
        sim::Lane::Scope s1(&a);
        REQUIRE(sim::Lane::current() == &a);
        {
            sim::Lane::Scope s2(&b);
            REQUIRE(sim::Lane::current() == &b);
        }
        REQUIRE(sim::Lane::current() == &a);
    }
    REQUIRE(sim::Lane::current() == nullptr);
}

namespace {

struct Record : sim::Observer {
    struct S {
        std::uint32_t pop;
        sim::Index node;
        sim::Time t;
        bool operator==(const S&) const = default;
    };
    const sim::Simulation* sim = nullptr;
    std::vector<S> spikes;
    std::vector<double> samples;
    void on_spike(std::uint32_t p, sim::Index n, sim::Time t) override { spikes.push_back({p, n, t}); }
    bool boundary = false;  // boundary_network: 10 nodes, node 5 sampled
    void on_sample(sim::Time ts) override {
        if (boundary) return samples.push_back(sim->population(1).value(5, 0, ts));
        for (sim::Index i : {0, 3, 150}) samples.push_back(sim->population(1).value(i, 0, ts));
    }
    bool reads_state(std::uint32_t p, sim::Index i) const override {
        if (boundary) return p == 1 && i == 5;
        return p == 1 && (i == 0 || i == 3 || i == 150);
    }
};

// A rule that says it needs one thread (and does nothing).
struct SerialRule : plasticity::Rule {
    SerialRule() : Rule("serial_test") {}
    unsigned hooks() const override { return plasticity::kPostSpike; }
    bool needs_serial() const override { return true; }
};

// k synapses onto each of nt targets from random sources among ns, weights
// uniform in [w0, w1], delays in [d0, d1] ms (draw order: source, weight, delay).
sim::SynapseList random_synapses(std::mt19937_64& rng, sim::Index ns, sim::Index nt, int k, double w0,
                                 double w1, double d0, double d1) {
    sim::SynapseList l;
    std::uniform_int_distribution<sim::Index> pick(0, ns - 1);
    std::uniform_real_distribution<double> delay(d0, d1), weight(w0, w1);
    for (sim::Index j = 0; j < nt; ++j)
        for (int c = 0; c < k; ++c) {
            l.source.push_back(static_cast<std::uint32_t>(pick(rng)));
            l.target.push_back(static_cast<std::uint32_t>(j));
            l.weight.push_back(weight(rng));
            l.delay.push_back(delay(rng));
        }
    return l;
}

// Poisson drive -> E (300 lif_exp), E -> E recurrent, delays in [0.5, 4] ms.
sim::Network network() {
    std::mt19937_64 rng(99);
    sim::Network net;
    net.populations.push_back(
        make_population("poisson_source", "drive", 100, reals({{"rate_hz", 30.0}, {"seed", 3}})));
    net.populations.push_back(make_population("lif_exp", "E", 300, reals({{"I_e_pA", 320.0}})));
    auto synapses = [&](sim::Index ns, sim::Index nt, int k, double w0, double w1) {
        return random_synapses(rng, ns, nt, k, w0, w1, 0.5, 4.0);
    };
    net.projections.emplace_back("drive_E", 0, 1, 0, synapses(100, 300, 10, 150.0, 150.0), sim::DelayBounds{},
                                 sim::InflightPolicy::Keep, 100, 300);
    sim::DelayBounds b;
    b.min = 0.5;
    b.max = 6.0;
    net.projections.emplace_back("E_E", 1, 1, 0, synapses(300, 300, 30, 5.0, 30.0), b,
                                 sim::InflightPolicy::Keep, 300, 300);
    return net;
}

// Ties: one source onto 200 identical nodes, same delay and weight: the nodes
// spike at the same times, and the weight rule changes their synapses at the
// same times; the serial order of these ties must hold with threads.
sim::Network tied_network() {
    sim::Network net;
    net.populations.push_back(
        make_population("poisson_source", "drive", 1, reals({{"rate_hz", 80.0}, {"seed", 5}})));
    net.populations.push_back(make_population("lif_exp", "E", 200, reals({{"I_e_pA", 320.0}})));
    sim::SynapseList l;
    for (std::uint32_t j = 0; j < 200; ++j) {
        l.source.push_back(0);
        l.target.push_back(j);
        l.weight.push_back(900.0);
        l.delay.push_back(1.0);
    }
    net.projections.emplace_back("drive_E", 0, 1, 0, l, sim::DelayBounds{}, sim::InflightPolicy::Keep, 1,
                                 200);
    return net;
}

// Lane boundaries: 3 sources onto 10 nodes, every source onto every node
// through two synapses (so a lane boundary falls inside each source's range of
// synapses, between and at equal targets), half of them with equal delays
// (ties onto one node), and E -> E all to all under a delay rule. Any number
// of lanes, also more than nodes (empty lanes), must give the one-lane run.
sim::Network boundary_network() {
    sim::Network net;
    net.populations.push_back(
        make_population("poisson_source", "drive", 3, reals({{"rate_hz", 120.0}, {"seed", 7}})));
    net.populations.push_back(make_population("lif_exp", "E", 10, reals({{"I_e_pA", 300.0}})));
    sim::SynapseList d, e;
    for (std::uint32_t i = 0; i < 3; ++i)
        for (std::uint32_t j = 0; j < 10; ++j)
            for (int c = 0; c < 2; ++c) {
                d.source.push_back(i);
                d.target.push_back(j);
                d.weight.push_back(120.0 + 40.0 * c);
                d.delay.push_back(j % 2 ? 1.0 : 1.0 + 0.25 * c + 0.1 * i);
            }
    for (std::uint32_t i = 0; i < 10; ++i)
        for (std::uint32_t j = 0; j < 10; ++j) {
            if (i == j) continue;
            e.source.push_back(i);
            e.target.push_back(j);
            e.weight.push_back(40.0);
            e.delay.push_back(0.6 + 0.1 * ((i + j) % 4));
        }
    net.projections.emplace_back("drive_E", 0, 1, 0, d, sim::DelayBounds{}, sim::InflightPolicy::Keep, 3, 10);
    sim::DelayBounds b;
    b.min = 0.5;
    b.max = 6.0;
    net.projections.emplace_back("E_E", 1, 1, 0, e, b, sim::InflightPolicy::Keep, 10, 10);
    return net;
}

struct Result {
    Record rec;
    ChangeLog log;
    unsigned threads;
    std::vector<std::string> notes;
};

Result run(unsigned threads, bool serial_rule, bool tied = false, bool boundary = false) {
    Result r;
    sim::Simulation s(boundary ? boundary_network() : tied ? tied_network() : network());
    if (boundary)
        s.add_rule(make_rule("delay_shift_stdp", reals({{"eta", 0.05}, {"target_lag_ms", 1.0}})), {1});
    else if (!tied)
        s.add_rule(make_rule("delay_shift_stdp", reals({{"eta", 0.05}, {"target_lag_ms", 1.0}})), {1});
    s.add_rule(make_rule("stdp_weight", reals({{"a_plus", 2.0}, {"a_minus", 2.4}, {"w_max", 3000.0}})), {0});
    if (serial_rule) s.add_rule(std::make_unique<SerialRule>(), {1});
    r.rec.sim = &s;
    r.rec.boundary = boundary;
    s.add_observer(&r.rec);
    s.add_observer(&r.log);
    s.set_sample_interval(2.5);
    s.set_threads(threads);
    s.run(60.0);
    s.run(120.0);  // in two pieces: the pool carries over
    r.threads = s.threads();
    r.notes = s.batching_notes();
    return r;
}

}  // namespace

TEST_CASE("threads: spikes, samples and changes of the one-thread run, exactly", "[parallel]") {
    const bool tied = GENERATE(false, true);
    INFO((tied ? "tied network" : "random network"));
    setenv("DELAYSIM_PARALLEL_GRAIN", "1", 1);  // split every phase (small network)
    const Result one = run(1, false, tied);
    REQUIRE(one.threads == 1);
    REQUIRE(one.rec.spikes.size() > 300);
    REQUIRE(one.log.changes.size() > 1000);
    if (tied) {  // the ties are there: spikes of different nodes at one time
        std::size_t ties = 0;
        for (std::size_t k = 1; k < one.rec.spikes.size(); ++k)
            ties += one.rec.spikes[k].t == one.rec.spikes[k - 1].t;
        REQUIRE(ties > 100);
    }
    for (unsigned n : {2u, 3u, 4u, 7u}) {
        INFO(n << " threads");
        const Result r = run(n, false, tied);
        REQUIRE(r.threads == n);
        REQUIRE(r.rec.spikes == one.rec.spikes);
        REQUIRE(r.rec.samples == one.rec.samples);
        REQUIRE(r.log.changes.size() == one.log.changes.size());
        for (std::size_t k = 0; k < one.log.changes.size(); ++k) {
            const auto &a = one.log.changes[k], &b = r.log.changes[k];
            INFO("change " << k);
            REQUIRE((a.projection == b.projection && a.synapse == b.synapse && a.variable == b.variable &&
                     a.old_value == b.old_value && a.new_value == b.new_value && a.by == b.by && a.t == b.t));
        }
    }
    unsetenv("DELAYSIM_PARALLEL_GRAIN");
}

TEST_CASE("threads: a rule that needs serial execution keeps the run on one thread", "[parallel]") {
    const Result r = run(4, true);
    REQUIRE(r.threads == 1);
    bool noted = false;
    for (const std::string& n : r.notes) noted = noted || n.find("'serial_test'") != std::string::npos;
    REQUIRE(noted);
    // ... with the results of the parallel run (the rule does nothing).
    setenv("DELAYSIM_PARALLEL_GRAIN", "1", 1);
    const Result p = run(4, false);
    unsetenv("DELAYSIM_PARALLEL_GRAIN");
    REQUIRE(p.threads == 4);
    REQUIRE(p.rec.spikes == r.rec.spikes);
}

TEST_CASE("threads: lane boundaries inside a source's synapses, ties, more lanes than nodes", "[parallel]") {
    setenv("DELAYSIM_PARALLEL_GRAIN", "1", 1);
    const Result one = run(1, false, false, true);
    REQUIRE(one.rec.spikes.size() > 80);
    REQUIRE(one.log.changes.size() > 500);
    std::size_t ties = 0;  // nodes 1, 3, ... get their drive at equal times: equal spike times
    for (std::size_t k = 1; k < one.rec.spikes.size(); ++k)
        ties += one.rec.spikes[k].t == one.rec.spikes[k - 1].t;
    REQUIRE(ties > 20);
    for (unsigned n : {2u, 3u, 4u, 6u, 9u, 16u}) {
        INFO(n << " threads");
        const Result r = run(n, false, false, true);
        REQUIRE(r.threads == n);
        REQUIRE(r.rec.spikes == one.rec.spikes);
        REQUIRE(r.rec.samples == one.rec.samples);
        REQUIRE(r.log.changes.size() == one.log.changes.size());
        for (std::size_t k = 0; k < one.log.changes.size(); ++k) {
            const auto &a = one.log.changes[k], &b = r.log.changes[k];
            INFO("change " << k);
            REQUIRE((a.synapse == b.synapse && a.old_value == b.old_value && a.new_value == b.new_value &&
                     a.t == b.t));
        }
    }
    unsetenv("DELAYSIM_PARALLEL_GRAIN");
}

namespace {

// The order of a slot's inputs: batched spikes (E -> E) and an unbatched source
// (the Poisson drive, run event by event) reach the same nodes in the same
// slices. With threads, a sub-slice's spikes are expanded at the start of the
// next node phase, after the event loop has run: the drive's pushes must still
// follow that expansion in each slot, as with one thread. Superposed sums and
// absorbed inputs are added in slot order, so another order rounds differently.
sim::Network mixed_network() {
    std::mt19937_64 rng(17);
    sim::Network net;
    net.populations.push_back(
        make_population("poisson_source", "drive", 40, reals({{"rate_hz", 400.0}, {"seed", 11}})));
    net.populations.push_back(make_population("lif_exp", "E", 400, reals({{"I_e_pA", 330.0}})));
    auto synapses = [&](sim::Index ns, sim::Index nt, int k, double w0, double w1, double d0, double d1) {
        return random_synapses(rng, ns, nt, k, w0, w1, d0, d1);
    };
    net.projections.emplace_back("drive_E", 0, 1, 0, synapses(40, 400, 8, 20.0, 90.0, 0.5, 0.7),
                                 sim::DelayBounds{}, sim::InflightPolicy::Keep, 40, 400);
    net.projections.emplace_back("E_E", 1, 1, 0, synapses(400, 400, 40, -15.0, 35.0, 0.5, 0.7),
                                 sim::DelayBounds{}, sim::InflightPolicy::Keep, 400, 400);
    return net;
}

struct MixedResult {
    Record rec;
    unsigned threads = 0;
    std::uint64_t superposed = 0;
};

MixedResult run_mixed(unsigned threads) {
    MixedResult r;
    sim::Simulation s(mixed_network());
    r.rec.sim = &s;
    s.add_observer(&r.rec);
    s.set_sample_interval(0.35);  // sub-slices: samples inside slices (nodes 0, 3, 150)
    s.set_threads(threads);
    s.run(40.0);
    s.run(80.0);
    r.threads = s.threads();
    r.superposed = s.superposed_updates();
    return r;
}

}  // namespace

TEST_CASE("threads: an unbatched source's inputs follow the batched spikes' in each slot", "[parallel]") {
    setenv("DELAYSIM_PARALLEL_GRAIN", "1", 1);
    const MixedResult one = run_mixed(1);
    REQUIRE(one.threads == 1);
    REQUIRE(one.rec.spikes.size() > 2000);
    REQUIRE(one.superposed > 10000);  // the sums are taken in slot order
    std::size_t driven = 0, recurrent = 0;
    for (const Record::S& sp : one.rec.spikes) (sp.pop == 0 ? driven : recurrent)++;
    REQUIRE(driven > 500);
    REQUIRE(recurrent > 1000);
    for (unsigned n : {2u, 3u, 4u, 7u}) {
        INFO(n << " threads");
        const MixedResult r = run_mixed(n);
        REQUIRE(r.threads == n);
        REQUIRE(r.superposed == one.superposed);
        REQUIRE(r.rec.spikes == one.rec.spikes);
        REQUIRE(r.rec.samples == one.rec.samples);
    }
    unsetenv("DELAYSIM_PARALLEL_GRAIN");
}
