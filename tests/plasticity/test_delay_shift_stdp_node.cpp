// delay_shift_stdp's node-level post-spike hook (kPostSpikeNode: one call per
// post spike, per-node last post-spike time, per-synapse last arrival) against an
// independent reference: the rule as a per-synapse rule (kPostSpike, the engine
// walks every incoming synapse; both times kept per synapse), written out here.
// Both must make the same changes, bit for bit and in the same order (the order
// of the /plasticity events), in the event loop, in slices (with and without
// superposition) and with two threads, on a recurrent network with two plastic
// projections onto the same neurons (two slots) and repeated source-target pairs.
#include <catch2/catch.hpp>
#include <random>
#include <utility>

#include "plasticity/delay_shift_stdp.hpp"
#include "sim/simulation.hpp"
#include "tests/support/plasticity_support.hpp"

using namespace delaysim;

namespace {

// The per-synapse form of delay_shift_stdp (its equations: plasticity/delay_shift_stdp.hpp).
class PerSynapseReference : public plasticity::Rule {
public:
    PerSynapseReference(double eta, double window) : Rule("delay_shift_stdp"), eta_(eta), window_(window) {}
    unsigned hooks() const override { return plasticity::kDelivered | plasticity::kPostSpike; }
    bool writes_weights() const override { return false; }
    void attach(std::size_t slot, const sim::Projection& p) override {
        if (state_.size() <= slot) state_.resize(slot + 1);
        state_[slot].assign(p.size(), {});
    }
    void on_delivered(plasticity::SynapseHandle& s, sim::Time t) override {
        Synapse& st = state_[s.slot()][s.index()];
        st.last_arrival = t;
        const sim::Time lag = st.last_post - t;
        if (lag <= 0.0 && -lag <= window_) s.set_delay(s.delay() + eta_ * lag);  // late pairs on
    }
    void on_post_spike(plasticity::SynapseHandle& s, sim::Time t) override {
        Synapse& st = state_[s.slot()][s.index()];
        st.last_post = t;
        const sim::Time lag = t - st.last_arrival;
        if (lag >= 0.0 && lag <= window_) s.set_delay(s.delay() + eta_ * lag);
    }

private:
    struct Synapse {
        sim::Time last_arrival = -sim::kNever, last_post = -sim::kNever;
    };
    double eta_, window_;
    std::vector<std::vector<Synapse>> state_;
};

// delay_shift_stdp that counts its delivered-hook calls, with or without its
// ArrivalLog (without: the engine calls the hook at every arrival).
class CountingShift : public plasticity::DelayShiftStdp {
public:
    CountingShift(const sim::Params& p, bool log, std::size_t* calls)
        : DelayShiftStdp(p), log_(log), calls_(calls) {}
    void on_delivered(plasticity::SynapseHandle& s, sim::Time t) override {
        ++*calls_;
        DelayShiftStdp::on_delivered(s, t);
    }
    std::optional<plasticity::ArrivalLog> arrival_log(std::size_t slot) override {
        return log_ ? DelayShiftStdp::arrival_log(slot) : std::nullopt;
    }

private:
    bool log_;
    std::size_t* calls_;
};

sim::SynapseList random_synapses(std::mt19937_64& rng, sim::Index ns, sim::Index nt, int k, double w) {
    std::uniform_int_distribution<std::uint32_t> src(0, static_cast<std::uint32_t>(ns - 1));
    std::uniform_real_distribution<double> d(0.5, 4.0);
    sim::SynapseList l;
    for (std::uint32_t j = 0; j < nt; ++j)
        for (int i = 0; i < k; ++i) {
            l.source.push_back(src(rng));  // (repeats: several synapses between one pair)
            l.target.push_back(j);
            l.weight.push_back(w);
            l.delay.push_back(d(rng));
        }
    return l;
}

sim::Network network() {
    std::mt19937_64 rng(2024);
    sim::Network net;
    net.populations.push_back(testing::make_population("poisson_source", "drive", 100,
                                                       testing::reals({{"rate_hz", 40.0}, {"seed", 3}})));
    net.populations.push_back(
        testing::make_population("lif_exp", "E", 200, testing::reals({{"I_e_pA", 300.0}})));
    const sim::DelayBounds b{0.5, 6.0, sim::BoundPolicy::Clamp};
    net.projections.emplace_back("drive_E", 0, 1, 0, random_synapses(rng, 100, 200, 20, 60.0), b,
                                 sim::InflightPolicy::Keep, 100, 200);
    net.projections.emplace_back("E_E", 1, 1, 0, random_synapses(rng, 200, 200, 30, 25.0), b,
                                 sim::InflightPolicy::Keep, 200, 200);
    return net;
}

struct Result {
    std::vector<testing::Change> changes;
    std::vector<double> delays;
    std::vector<std::pair<sim::Index, sim::Time>> spikes;
};

struct SpikeLog : sim::Observer {
    std::vector<std::pair<sim::Index, sim::Time>> spikes;  // E's, in report order
    void on_spike(std::uint32_t pop, sim::Index node, sim::Time t) override {
        if (pop == 1) spikes.emplace_back(node, t);
    }
};

Result run(bool reference, int mode, int counting = 0, std::size_t* calls = nullptr) {
    sim::Simulation s(network());
    s.set_batching(mode != 0);
    s.set_superposition(mode == 1 || mode == 3);
    if (mode == 3) s.set_threads(2);
    testing::ChangeLog log;
    SpikeLog spikes;
    s.add_observer(&log);
    s.add_observer(&spikes);
    const double eta = 0.3, window = 8.0;
    if (counting) {
        const plasticity::RuleInfo* info = plasticity::find_rule("delay_shift_stdp");
        const sim::Params p(info->params, testing::reals({{"eta", eta}, {"window_ms", window}}),
                            "delay_shift_stdp");
        s.add_rule(std::make_unique<CountingShift>(p, counting == 1, calls), {0, 1});
    } else if (reference)
        s.add_rule(std::make_unique<PerSynapseReference>(eta, window), {0, 1});
    else
        s.add_rule(
            testing::make_rule("delay_shift_stdp", testing::reals({{"eta", eta}, {"window_ms", window}})),
            {0, 1});
    REQUIRE(s.run(300.0));
    Result r{log.changes, {}, spikes.spikes};
    for (std::uint32_t q = 0; q < 2; ++q)
        for (sim::Index k = 0; k < s.projection(q).size(); ++k) r.delays.push_back(s.projection(q).delay(k));
    return r;
}

}  // namespace

TEST_CASE("delay_shift_stdp (node-level post-spike hook) makes the per-synapse rule's changes, in its order",
          "[plasticity][delay_shift_stdp]") {
    const char* modes[] = {"event loop", "slices, superposed", "slices, input by input", "slices, 2 threads"};
    const Result ref = run(true, 0);
    REQUIRE(ref.changes.size() > 5000);
    REQUIRE(ref.spikes.size() > 1000);
    std::size_t post_side = 0;  // changes made at a post spike (delay lengthened), not at an arrival
    for (const auto& c : ref.changes) post_side += c.new_value > c.old_value;
    CHECK(post_side > 1000);
    for (int mode = 0; mode < 4; ++mode) {
        INFO(modes[mode]);
        const Result ref_m = mode == 0 ? ref : run(true, mode);
        const Result got = run(false, mode);
        REQUIRE(got.spikes == ref_m.spikes);
        REQUIRE(got.changes.size() == ref_m.changes.size());
        for (std::size_t i = 0; i < got.changes.size(); ++i) {
            const auto &a = ref_m.changes[i], &b = got.changes[i];
            INFO("change " << i << " at " << a.t << " / " << b.t);
            REQUIRE(a.projection == b.projection);
            REQUIRE(a.synapse == b.synapse);
            REQUIRE(a.t == b.t);
            REQUIRE(a.old_value == b.old_value);
            REQUIRE(a.new_value == b.new_value);
            REQUIRE(a.by == b.by);
        }
        REQUIRE(got.delays == ref_m.delays);
    }
}

// The ArrivalLog path (sim/slices_arrivals.cpp): the engine stores the arrivals of
// nodes that settle a superposed slice and calls the hook only for pairs. Same
// changes in the same order as calling it at every arrival, with far fewer calls.
TEST_CASE("delay_shift_stdp's ArrivalLog: the same changes as a hook call per arrival, with fewer calls",
          "[plasticity][delay_shift_stdp]") {
    for (int mode : {1, 3}) {  // superposed, 1 and 2 threads
        INFO("mode " << mode);
        std::size_t calls_all = 0, calls_logged = 0;
        const Result all = run(false, mode, 2, &calls_all);
        const Result logged = run(false, mode, 1, &calls_logged);
        REQUIRE(all.changes.size() > 5000);
        REQUIRE(logged.spikes == all.spikes);
        REQUIRE(logged.changes.size() == all.changes.size());
        for (std::size_t i = 0; i < all.changes.size(); ++i) {
            INFO("change " << i);
            REQUIRE(logged.changes[i].t == all.changes[i].t);
            REQUIRE(logged.changes[i].synapse == all.changes[i].synapse);
            REQUIRE(logged.changes[i].new_value == all.changes[i].new_value);
        }
        REQUIRE(logged.delays == all.delays);
        // The log stored the rest (here ~half the arrivals pair: rate x window is high).
        CHECK(calls_logged * 4 < calls_all * 3);
    }
}
