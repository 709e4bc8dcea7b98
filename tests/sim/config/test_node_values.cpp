// Per-node parameters and initial values (lists and distributions) reach the
// right nodes: lif_exp nodes with their own I_e fire at the analytic times,
// Poisson nodes at their own rates; draws are seeded, in range, located errors.
#include <catch2/catch.hpp>

#include <cmath>
#include <map>

#include "sim/config/loader.hpp"
#include "sim/observer.hpp"

using namespace delaysim;
using config::load_config_text;

namespace {

struct SpikeLog : sim::Observer {
    std::map<std::pair<std::uint32_t, sim::Index>, std::vector<double>> t;
    void on_spike(std::uint32_t pop, sim::Index node, sim::Time at) override { t[{pop, node}].push_back(at); }
};

SpikeLog run(const std::string& text) {
    auto c = load_config_text(text, "test.toml");
    auto sim = config::make_simulation(c.lowered);
    SpikeLog log;
    sim->add_observer(&log);
    sim->run(c.lowered.t_stop);
    return log;
}

std::string error_of(const std::string& text) {
    try {
        load_config_text(text, "test.toml");
    } catch (const sim::UserError& e) {
        return e.what() + std::string(" @") + std::to_string(e.where().line) + ":" +
               std::to_string(e.where().column);
    }
    return "no error";
}

const std::string kSim = "[simulation]\nt_stop_ms = 200\nseed = 11\n";

// One lif_exp population of `size` nodes with `params` (a TOML inline table body).
std::string lif(const std::string& params, int size = 4, const std::string& initial = "") {
    return kSim + "[[population]]\nname = \"E\"\nmodel = \"lif_exp\"\nsize = " + std::to_string(size) +
           "\nparams = { " + params + " }\n" + (initial.empty() ? "" : "initial = { " + initial + " }\n");
}

// Initial V of every node (V_m at t = 0).
std::vector<double> initial_v(const std::string& text) {
    auto c = load_config_text(text, "test.toml");
    const sim::Population& p = *c.lowered.network.populations.at(0);
    std::vector<double> v;
    for (sim::Index i = 0; i < p.size(); ++i) v.push_back(p.value(i, 0, 0.0));
    return v;
}

}  // namespace

TEST_CASE("per-node I_e and V_th: each lif_exp node fires at its own analytic times", "[loader][per_node]") {
    // From V = E_L with constant drive, V(t) = V_inf + (E_L - V_inf) e^{-t/tau}:
    // first spike at tau ln((V_inf - E_L)/(V_inf - V_th)), then every
    // t_ref + tau ln((V_inf - V_reset)/(V_inf - V_th)) (V_reset = E_L here).
    const double tau = 10.0, c_m = 250.0, e_l = -65.0, t_ref = 2.0;
    const std::vector<double> i_e = {0.0, 400.0, 500.0, 900.0}, v_th = {-50.0, -52.0, -50.0, -45.0};
    const SpikeLog log = run(lif("I_e_pA = [0, 400, 500, 900], V_th_mV = [-50, -52, -50, -45]"));
    for (sim::Index i = 0; i < 4; ++i) {
        INFO("node " << i);
        const double v_inf = e_l + i_e[i] * tau / c_m;
        auto it = log.t.find({0, i});
        if (v_inf <= v_th[i]) {
            CHECK(it == log.t.end());
            continue;
        }
        REQUIRE(it != log.t.end());
        const double first = tau * std::log((v_inf - e_l) / (v_inf - v_th[i]));
        const double isi = t_ref + first;
        CHECK(it->second.at(0) == Approx(first).epsilon(1e-10));
        CHECK(it->second.size() == static_cast<std::size_t>(std::floor((200.0 - first) / isi)) + 1);
        CHECK(it->second.back() ==
              Approx(first + isi * static_cast<double>(it->second.size() - 1)).epsilon(1e-9));
    }
}

TEST_CASE("per-node t_ref and V_reset reach their nodes", "[loader][per_node]") {
    const double tau = 10.0, e_l = -65.0, v_inf = e_l + 500.0 * tau / 250.0, v_th = -50.0;
    const std::vector<double> t_ref = {1.0, 5.0}, v_reset = {-65.0, -55.0};
    const SpikeLog log = run(lif("I_e_pA = 500, t_ref_ms = [1, 5], V_reset_mV = [-65, -55]", 2));
    const double first = tau * std::log((v_inf - e_l) / (v_inf - v_th));
    for (sim::Index i = 0; i < 2; ++i) {
        INFO("node " << i);
        const auto& t = log.t.at({0, i});
        REQUIRE(t.size() >= 2);
        CHECK(t[0] == Approx(first).epsilon(1e-10));
        CHECK(t[1] - t[0] ==
              Approx(t_ref[i] + tau * std::log((v_inf - v_reset[i]) / (v_inf - v_th))).epsilon(1e-9));
    }
}

TEST_CASE("per-node Poisson rates", "[loader][per_node]") {
    const std::string text =
        "[simulation]\nt_stop_ms = 20000\nseed = 5\n[[population]]\nname = \"P\"\n"
        "model = \"poisson_source\"\nsize = 3\nparams = { rate_hz = [0, 20, 200] }\n";
    const SpikeLog log = run(text);
    CHECK(log.t.count({0, 0}) == 0);
    for (sim::Index i = 1; i < 3; ++i) {
        const double expected = (i == 1 ? 20.0 : 200.0) * 20.0;  // rate * 20 s
        const double n = static_cast<double>(log.t.at({0, i}).size());
        INFO("node " << i << ": " << n << " spikes, expected " << expected);
        CHECK(std::abs(n - expected) < 5.0 * std::sqrt(expected));
    }
}

TEST_CASE("parameter and initial-value distributions are seeded, per node and in range",
          "[loader][per_node]") {
    // E_L sets each node's initial V, so a drawn E_L is visible at t = 0.
    const std::string drawn =
        lif(R"(E_L_mV = { dist = "uniform", low = -70, high = -60 }, V_reset_mV = -75)", 200);
    const std::vector<double> a = initial_v(drawn), b = initial_v(drawn);
    CHECK(a == b);
    double mean = 0.0;
    for (double x : a) {
        CHECK(x >= -70.0);
        CHECK(x < -60.0);
        mean += x / 200.0;
    }
    CHECK(std::abs(mean + 65.0) < 5.0 * (10.0 / std::sqrt(12.0)) / std::sqrt(200.0));
    CHECK(a[0] != a[1]);
    std::string other = drawn;
    other.replace(other.find("seed = 11"), 9, "seed = 12");
    CHECK(initial_v(other) != a);

    // A truncated normal for the initial V: inside [low, high], redrawn, not clamped.
    const std::string init =
        lif("", 300, R"(V_m = { dist = "normal", mean = -60, sd = 5, low = -62, high = -58 })");
    const std::vector<double> v = initial_v(init);
    CHECK(v == initial_v(init));
    int at_edge = 0;
    for (double x : v) {
        CHECK(x >= -62.0);
        CHECK(x <= -58.0);
        at_edge += (x == -62.0 || x == -58.0);
    }
    CHECK(at_edge == 0);
    // The initial draw uses its own stream: adding a parameter draw leaves it alone (to
    // rounding: a per-node I_e moves the linear core's stored coordinates, 1e-13 mV; a
    // different draw differs by ~1 mV).
    const std::vector<double> with_i_e =
        initial_v(lif(R"(I_e_pA = { dist = "uniform", low = 0, high = 10 })", 300,
                      R"(V_m = { dist = "normal", mean = -60, sd = 5, low = -62, high = -58 })"));
    REQUIRE(with_i_e.size() == v.size());
    for (std::size_t i = 0; i < v.size(); ++i) CHECK(std::abs(with_i_e[i] - v[i]) < 1e-11);
}

TEST_CASE("per-node values: located errors", "[loader][per_node][errors]") {
    using Catch::Contains;
    CHECK_THAT(error_of(lif("tau_m_ms = [10, 11, 12, 13]")),
               Contains("parameter 'tau_m_ms' cannot vary per node (per-node parameters: E_L_mV") &&
                   Contains("@8:"));
    CHECK_THAT(error_of(lif(R"(C_m_pF = { dist = "uniform", low = 1, high = 2 })")),
               Contains("'C_m_pF' cannot vary per node") && Contains("@8:"));
    CHECK_THAT(error_of(lif("I_e_pA = [1, 2]")), Contains("'I_e_pA' lists 2 values for 4 nodes"));
    CHECK_THAT(error_of(lif("t_ref_ms = [1, 2, -3, 4]")),
               Contains("parameter 't_ref_ms' of node 2 = -3 (ms) is outside its allowed range"));
    CHECK_THAT(error_of(lif("V_th_mV = [-50, -50, -70, -50]")),
               Contains("'V_reset_mV' must be below 'V_th_mV' (node 2)"));
    CHECK_THAT(error_of(lif(R"(I_e_pA = { dist = "gauss", mean = 1 })")),
               Contains("unknown distribution 'gauss'") && Contains("@8:"));
    CHECK_THAT(error_of(lif(R"(I_e_pA = { dist = "uniform", low = 1, sd = 2 })")), Contains("'sd'"));
    CHECK_THAT(error_of(lif(R"(I_e_pA = { dist = "uniform", low = 2, high = 1 })")),
               Contains("uniform needs finite low <= high"));
    CHECK_THAT(error_of(lif(R"(I_e_pA = { dist = "normal", mean = 0, sd = 1, low = 10, high = 11 })")),
               Contains("fell outside [10, 11]"));
    CHECK_THAT(error_of(lif(R"(bogus = { dist = "uniform", low = 1, high = 2 })")),
               Contains("unknown parameter 'bogus'"));
    CHECK_THAT(error_of(lif("", 4, R"(V_m = { dist = "uniform", low = -60, high = inf })")),
               Contains("uniform needs finite low <= high") && Contains("@9:"));
    // Rules take no per-node values.
    CHECK_THAT(error_of(lif("") +
                        "[[projection]]\nname = \"q\"\nsource = \"E\"\ntarget = \"E\"\nport = \"ex\"\n"
                        "delay_ms = 1\n[[plasticity]]\nrule = \"delay_shift_stdp\"\nprojections = [\"q\"]\n"
                        "params = { eta = [1, 2] }\n"),
               Contains("must be a single number, not a list"));
}

TEST_CASE("per-node lif_exp values: batched slices and superposition agree with the event loop",
          "[loader][per_node][batching]") {
    // The batched fast paths (bounds, headroom, settle) read each node's own V_inf
    // and V_th: the same network must give the same spikes with and without them.
    const std::string net = R"(
[simulation]
t_stop_ms = 300
seed = 9
batching = BATCHING
[[population]]
name = "P"
model = "poisson_source"
size = 200
params = { rate_hz = { dist = "uniform", low = 5, high = 40 } }
[[population]]
name = "E"
model = "lif_exp"
size = 100
params = { I_e_pA = { dist = "uniform", low = 100, high = 420 }, V_th_mV = { dist = "normal", mean = -50, sd = 2, low = -54, high = -46 }, t_ref_ms = [)" +
                            [] {
                                std::string s;
                                for (int i = 0; i < 100; ++i)
                                    s += (i ? ", " : "") + std::to_string(1 + i % 3);
                                return s;
                            }() +
                            R"(] }
[[projection]]
name = "pe"
source = "P"
target = "E"
port = "ex"
connect = "fixed_indegree"
indegree = 20
weight = { dist = "uniform", low = 20, high = 120 }
delay_ms = { dist = "uniform", low = 1, high = 3 }
)";
    auto with = [&](const char* b) {
        std::string t = net;
        t.replace(t.find("BATCHING"), 8, b);
        return run(t);
    };
    const SpikeLog batched = with("true"), events = with("false");
    std::size_t n = 0;
    for (const auto& [key, times] : events.t) {
        if (key.first != 1) continue;
        INFO("node " << key.second);
        REQUIRE(batched.t.count(key));
        const auto& b = batched.t.at(key);
        REQUIRE(b.size() == times.size());
        for (std::size_t k = 0; k < b.size(); ++k) CHECK(std::abs(b[k] - times[k]) < 1e-9);
        n += times.size();
    }
    CHECK(n > 200);  // enough spikes for the comparison to mean something
    for (const auto& [key, times] : batched.t) CHECK(events.t.count(key) == 1);
}
