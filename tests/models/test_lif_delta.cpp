// lif_delta against its closed form: membrane decay, the crossing time under
// constant current, absolute refractoriness, and a jump crossing at the input
// instant, in the model and through the engine.
#include <catch2/catch.hpp>
#include <cmath>
#include <fstream>
#include <sstream>

#include "models/lif_delta.hpp"
#include "sim/config/loader.hpp"
#include "sim/simulation.hpp"
#include "tests/support/seed_network.hpp"

using namespace delaysim;
using models::LifDelta;

namespace {

// Explicit source spikes at `times` -> one lif_delta neuron, weight w mV, delay d ms.
sim::Network source_to_neuron(std::vector<double> times, double w, double d, const sim::ParamValues& v = {}) {
    sim::ParamValues src;
    src.lists["times_ms"] = std::move(times);
    sim::Network net;
    net.populations.push_back(testing::make_population("explicit_source", "S", 1, src));
    net.populations.push_back(testing::make_population("lif_delta", "N", 1, v));
    net.projections.emplace_back("s_n", 0, 1, LifDelta::kPortEx, testing::one_synapse(w, d),
                                 sim::DelayBounds{}, sim::InflightPolicy::Keep, 1, 1);
    return net;
}

}  // namespace

TEST_CASE("lif_delta decays exponentially to E_L", "[models][lif_delta]") {
    auto n = testing::make_population("lif_delta", "n", 1);
    n->set_value(0, LifDelta::kV, -55.0);
    for (double t : {0.0, 0.3, 1.0, 10.0, 55.5})
        CHECK(std::abs(n->value(0, LifDelta::kV, t) - (-65.0 + 10.0 * std::exp(-t / 10.0))) < 1e-12);
    CHECK(n->next_spike(0, 0.0, 1e9) == sim::kNever);  // V_inf = E_L < V_th: never
    // value() does not move the state; advance + a jump below threshold adds w exactly.
    n->advance(0, 5.0);
    n->receive(0, LifDelta::kPortIn, -3.0, 5.0);
    CHECK(std::abs(n->value(0, LifDelta::kV, 5.0) - (-65.0 + 10.0 * std::exp(-0.5) - 3.0)) < 1e-12);
}

TEST_CASE("lif_delta with constant current fires at the analytic times", "[models][lif_delta]") {
    // V_inf = -65 + 500 * 10/250 = -45 mV > V_th = -50: ISI = t_ref + tau ln((V_inf - V_reset)/(V_inf -
    // V_th)).
    sim::ParamValues v;
    v.real["I_e_pA"] = 500.0;
    v.real["t_ref_ms"] = 3.0;
    sim::Network net;
    net.populations.push_back(testing::make_population("lif_delta", "n", 1, v));
    sim::Simulation s(std::move(net));
    testing::SpikeLog log(1);
    s.add_observer(&log);
    s.run(100.0);
    const double free = 10.0 * std::log(20.0 / 5.0);
    REQUIRE(log.times[0].size() == 6);  // 13.86 + k * 16.86 < 100 for k = 0..5
    for (std::size_t k = 0; k < log.times[0].size(); ++k)
        CHECK(std::abs(log.times[0][k] - (free + static_cast<double>(k) * (free + 3.0))) < 1e-9);
}

TEST_CASE("lif_delta is absolutely refractory: V clamped, inputs ignored", "[models][lif_delta]") {
    sim::ParamValues v;
    v.real["t_ref_ms"] = 5.0;
    v.real["V_reset_mV"] = -70.0;
    auto n = testing::make_population("lif_delta", "n", 1, v);
    n->fire(0, 1.0);
    n->advance(0, 3.0);
    n->receive(0, LifDelta::kPortEx, 10.0, 3.0);  // lost
    CHECK(n->value(0, LifDelta::kV, 5.999) == -70.0);
    // From 6 ms V relaxes from V_reset as if the input never came.
    CHECK(std::abs(n->value(0, LifDelta::kV, 8.0) - (-65.0 - 5.0 * std::exp(-0.2))) < 1e-12);
    n->advance(0, 6.0);  // the end of the period: inputs count again
    n->receive(0, LifDelta::kPortEx, 10.0, 6.0);
    CHECK(std::abs(n->value(0, LifDelta::kV, 6.0) - (-60.0)) < 1e-12);

    // Through the engine: a 20 mV input 1 ms after a spike is lost, one after t_ref is not.
    sim::ParamValues ref;
    ref.real["t_ref_ms"] = 2.0;
    sim::Simulation s(source_to_neuron({1.0, 2.0, 3.5}, 20.0, 0.5, ref));
    testing::SpikeLog log(2);
    s.add_observer(&log);
    s.run(10.0);
    REQUIRE(log.times[1].size() == 2);
    CHECK(log.times[1][0] == 1.5);  // 2.5 is inside [1.5, 3.5): ignored
    CHECK(log.times[1][1] == 4.0);
}

TEST_CASE("lif_delta fires at the instant an input jumps it over threshold", "[models][lif_delta]") {
    // Two 8 mV inputs 1 ms apart: the second reaches -65 + 8 e^{-0.1} + 8 = -49.76 mV >= -50.
    sim::Simulation s(source_to_neuron({10.0, 11.0}, 8.0, 1.234));
    testing::SpikeLog log(2);
    s.add_observer(&log);
    s.run(30.0);
    REQUIRE(log.times[1].size() == 1);
    CHECK(log.times[1][0] == 11.0 + 1.234);
    // 3 ms apart the first has decayed too far: -65 + 8 e^{-0.3} + 8 = -51.07 mV, no spike.
    sim::Simulation late(source_to_neuron({10.0, 13.0}, 8.0, 1.234));
    testing::SpikeLog none(2);
    late.add_observer(&none);
    late.run(30.0);
    CHECK(none.times[1].empty());
}

TEST_CASE("lif_delta as IntFire1: threshold 1, decay to 0", "[models][lif_delta]") {
    // IntFire1: m' = -m/tau, m += w, spike at m >= 1 then m = 0. With inputs w at 0
    // and at d, the second fires iff w e^{-d/tau} + w >= 1: d <= tau ln(w/(1 - w)).
    sim::ParamValues v;
    v.real["E_L_mV"] = 0.0;
    v.real["V_reset_mV"] = 0.0;
    v.real["V_th_mV"] = 1.0;
    const double w = 0.6, d_max = 10.0 * std::log(w / (1.0 - w));
    for (double d : {d_max - 1e-6, d_max + 1e-6}) {
        auto n = testing::make_population("lif_delta", "n", 1, v);
        n->set_value(0, LifDelta::kV, 0.0);
        n->receive(0, LifDelta::kPortEx, w, 0.0);
        CHECK(n->next_spike(0, 0.0, 100.0) == sim::kNever);
        n->advance(0, d);
        n->receive(0, LifDelta::kPortEx, w, d);
        CHECK((n->next_spike(0, d, 100.0) == d) == (d < d_max));
    }
}

TEST_CASE("lif_delta runs from a model file", "[models][lif_delta]") {
    auto loaded = config::load_config_text(R"(
[simulation]
t_stop_ms = 50.0
[[population]]
name = "N"
model = "lif_delta"
params = { I_e_pA = 500.0, t_ref_ms = 3.0 }
)",
                                           "test.toml");
    auto s = config::make_simulation(loaded.lowered);
    testing::SpikeLog log(1);
    s->add_observer(&log);
    s->run(loaded.lowered.t_stop);
    REQUIRE(log.times[0].size() == 3);
    CHECK(std::abs(log.times[0][2] - (3 * 10.0 * std::log(4.0) + 2 * 3.0)) < 1e-9);
}

TEST_CASE("invalid lif_delta parameters are user errors", "[models][lif_delta][bad_input]") {
    sim::ParamValues v;
    v.real["V_reset_mV"] = -50.0;
    CHECK_THROWS_AS(testing::make_population("lif_delta", "n", 1, v), sim::UserError);
    v.real["V_reset_mV"] = -60.0;
    v.real["tau_m_ms"] = 0.0;
    CHECK_THROWS_AS(testing::make_population("lif_delta", "n", 1, v), sim::UserError);
}

TEST_CASE("lif_delta in batched slices gives the event loop's spikes", "[models][lif_delta][batching]") {
    // configs/lif_delta_network.toml: E and I are batched (t_ref > 0, delays >= 0.5 ms).
    std::ifstream in(std::string(DELAYSIM_SOURCE_DIR) + "/configs/lif_delta_network.toml");
    std::stringstream text;
    text << in.rdbuf();
    // Also with a dense drive (~5 inputs per node and slice, so that the no-spike
    // proofs decide for several inputs at once: absorb), and with a weight rule on the
    // drive (inputs watched by a hook take may_spike_before instead).
    const int variant = GENERATE(0, 1, 2);
    const bool dense = variant > 0;
    std::string config = text.str();
    if (variant == 2)
        config +=
            "\n[[plasticity]]\nrule = \"stdp_weight\"\nprojections = [\"drive_E\"]\n"
            "params = { w_min = 0.0, w_max = 1.0, a_plus = 0.02, a_minus = 0.02 }\n";
    if (dense) {
        for (auto [from, to] : {std::pair<std::string, std::string>{"rate_hz = 50.0", "rate_hz = 200.0"},
                                {"indegree = 10\nweight = 1.5", "indegree = 50\nweight = 0.45"}}) {
            REQUIRE(config.find(from) != std::string::npos);
            config.replace(config.find(from), from.size(), to);
        }
    }
    INFO("variant " << variant);
    std::vector<std::vector<std::pair<sim::Index, double>>> runs[2];
    for (int batching = 0; batching < 2; ++batching) {
        auto loaded = config::load_config_text(config, "lif_delta_network.toml");
        loaded.lowered.batching = batching == 1;
        auto s = config::make_simulation(loaded.lowered);
        struct Log : sim::Observer {
            std::vector<std::vector<std::pair<sim::Index, double>>> by_pop{3};
            void on_spike(std::uint32_t pop, sim::Index i, sim::Time t) override {
                by_pop[pop].push_back({i, t});
            }
        } log;
        s->add_observer(&log);
        s->run(loaded.lowered.t_stop);
        CHECK(s->batched(1) == (batching == 1));
        CHECK(s->batched(2) == (batching == 1));
        runs[batching] = log.by_pop;
    }
    for (std::size_t p = 1; p < 3; ++p) {
        REQUIRE(runs[0][p].size() == runs[1][p].size());
        CHECK(runs[0][p].size() > 100);
        for (std::size_t k = 0; k < runs[0][p].size(); ++k) {
            CHECK(runs[0][p][k].first == runs[1][p][k].first);
            CHECK(std::abs(runs[0][p][k].second - runs[1][p][k].second) < 1e-9);
        }
    }
}
