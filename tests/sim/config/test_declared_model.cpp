// [[model]] tables: a declared lif_exp gives the built-in's spikes through the
// engine; a declared two-variable model (the seed's decaying threshold) fires at
// the times of its closed form; a Jordan block (tau_syn = tau_m) is exact; bad
// declarations are located errors that say what is wrong.
#include <catch2/catch.hpp>
#include <cmath>
#include <fstream>
#include <sstream>

#include "models/linear_population.hpp"
#include "sim/config/loader.hpp"
#include "sim/simulation.hpp"
#include "tests/support/seed_network.hpp"

using namespace delaysim;

namespace {

std::string read_file(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

struct Spikes : sim::Observer {
    std::vector<std::vector<std::pair<sim::Index, double>>> by_pop;
    explicit Spikes(std::size_t n) : by_pop(n) {}
    void on_spike(std::uint32_t pop, sim::Index i, sim::Time t) override { by_pop[pop].push_back({i, t}); }
};

Spikes run_text(const std::string& text) {
    auto loaded = config::load_config_text(text, "test.toml");
    auto s = config::make_simulation(loaded.lowered);
    Spikes log(s->network().populations.size());
    s->add_observer(&log);
    s->run(loaded.lowered.t_stop);
    return log;
}

void replace_all(std::string& s, const std::string& from, const std::string& to) {
    for (std::size_t k = s.find(from); k != std::string::npos; k = s.find(from, k + to.size()))
        s.replace(k, from.size(), to);
}

// The UserError that loading `text` throws (fails the test if none).
sim::UserError load_error(const std::string& text) {
    try {
        config::load_config_text(text, "test.toml");
    } catch (const sim::UserError& e) {
        return e;
    }
    FAIL("no error for:\n" << text);
    return sim::UserError("");
}

const std::string kTwoVariable = R"(
[simulation]
t_stop_ms = 100.0

[[model]]
name = "decaying_threshold"
variables = [{ name = "v", unit = "1" }, { name = "vth", unit = "1", initial = "th0" }]
params = { tau = 20.0, tau_th = 5.0, drive = 0.5, th0 = 8.0 }
equations = ["dv/dt = -v/tau + drive", "dvth/dt = -vth / tau_th"]
ports = { a = { v = 1 } }
threshold = "v >= vth"
reset = { v = 0, vth = "th0" }

[[population]]
name = "N"
model = "decaying_threshold"
)";

}  // namespace

TEST_CASE("declared lif_exp gives the built-in lif_exp's spikes", "[config][declared_model]") {
    // configs/declared_lif_exp.toml: E uses the declared model, I the built-in. Run it
    // as written and with E switched to the built-in: every spike of every population
    // must agree to 1e-9 ms.
    const std::string text = read_file(std::string(DELAYSIM_SOURCE_DIR) + "/configs/declared_lif_exp.toml");
    REQUIRE(text.find("model = \"lif_exp_declared\"\nsize = 40") != std::string::npos);
    std::string builtin = text;
    replace_all(builtin, "model = \"lif_exp_declared\"\nsize = 40", "model = \"lif_exp\"\nsize = 40");
    for (bool batching : {true, false}) {
        INFO("batching " << batching);
        std::string a = text, b = builtin;
        if (!batching)
            for (std::string* s : {&a, &b}) replace_all(*s, "seed = 11", "seed = 11\nbatching = false");
        const Spikes declared = run_text(a), reference = run_text(b);
        REQUIRE(declared.by_pop.size() == reference.by_pop.size());
        std::size_t n = 0;
        for (std::size_t p = 0; p < declared.by_pop.size(); ++p) {
            REQUIRE(declared.by_pop[p].size() == reference.by_pop[p].size());
            for (std::size_t k = 0; k < declared.by_pop[p].size(); ++k) {
                CHECK(declared.by_pop[p][k].first == reference.by_pop[p][k].first);
                CHECK(std::abs(declared.by_pop[p][k].second - reference.by_pop[p][k].second) < 1e-9);
            }
            n += declared.by_pop[p].size();
        }
        CHECK(declared.by_pop[1].size() > 100);  // E fires: the comparison is not vacuous
        CHECK(n > 200);
    }
}

TEST_CASE("declared lif_exp's trace equals the closed form", "[config][declared_model]") {
    const std::string text = read_file(std::string(DELAYSIM_SOURCE_DIR) + "/configs/declared_lif_exp.toml");
    auto loaded = config::load_config_text(text, "test.toml");
    sim::Population& e = *loaded.lowered.network.populations[1];
    REQUIRE(e.model() == "lif_exp_declared");
    CHECK(e.value(0, 0, 0.0) == -65.0);  // initial = "E_L_mV"
    e.receive(0, 0, 100.0, 0.0);         // 100 pA on port ex; I_e = 300 pA
    const double c = 250.0, tm = 10.0, ts = 2.0, w = 100.0, v_inf = -65.0 + 300.0 * tm / c;
    for (double t : {0.1, 1.0, 3.0, 7.0, 20.0}) {
        const double psp = w / c * tm * ts / (tm - ts) * (std::exp(-t / tm) - std::exp(-t / ts));
        CHECK(std::abs(e.value(0, 0, t) - (v_inf + (-65.0 - v_inf) * std::exp(-t / tm) + psp)) < 1e-12);
        CHECK(std::abs(e.value(0, 1, t) - w * std::exp(-t / ts)) < 1e-12);
    }
}

TEST_CASE("a declared two-variable model fires at the times of its closed form", "[config][declared_model]") {
    // From v = 0, vth = th0: v(t) = drive tau (1 - e^{-t/tau}), vth(t) = th0 e^{-t/tau_th}.
    // The first t with v >= vth, by bisection on the closed form; after each spike the
    // state is the initial one again (t_ref = 0), so spikes come every T.
    const double tau = 20, tau_th = 5, drive = 0.5, th0 = 8;
    auto g = [&](double t) { return drive * tau * (1 - std::exp(-t / tau)) - th0 * std::exp(-t / tau_th); };
    double lo = 0, hi = 100;
    REQUIRE(g(lo) < 0);
    REQUIRE(g(hi) > 0);
    for (int k = 0; k < 200; ++k) (g(0.5 * (lo + hi)) >= 0 ? hi : lo) = 0.5 * (lo + hi);
    const Spikes s = run_text(kTwoVariable);
    REQUIRE(s.by_pop[0].size() == static_cast<std::size_t>(100.0 / hi));
    for (std::size_t k = 0; k < s.by_pop[0].size(); ++k)
        CHECK(std::abs(s.by_pop[0][k].second - static_cast<double>(k + 1) * hi) < 1e-9);

    // The state itself: both variables against their closed forms.
    auto loaded = config::load_config_text(kTwoVariable, "test.toml");
    sim::Population& n = *loaded.lowered.network.populations[0];
    n.receive(0, 0, 1.5, 0.0);  // v += 1.5
    for (double t : {0.5, 2.0, 9.0}) {
        CHECK(std::abs(n.value(0, 0, t) - (drive * tau + (1.5 - drive * tau) * std::exp(-t / tau))) < 1e-12);
        CHECK(std::abs(n.value(0, 1, t) - th0 * std::exp(-t / tau_th)) < 1e-12);
    }
}

TEST_CASE("a declared model with a repeated rate (tau_syn = tau_m) is exact", "[config][declared_model]") {
    // dV/dt = -V/tau + I/C, dI/dt = -I/tau: a Jordan block. A jump I += w gives
    // V(t) = (w/C) t e^{-t/tau} (peak w tau/(C e) at t = tau), handled by the Schur form.
    const std::string text = R"(
[simulation]
t_stop_ms = 50.0
[[model]]
name = "alpha"
variables = [{ name = "V", unit = "mV" }, { name = "I", unit = "pA" }]
params = { tau_ms = 10.0, C_pF = 100.0, th_mV = 3.0 }
equations = ["dV/dt = -V/tau_ms + I/C_pF", "dI/dt = -I/tau_ms"]
ports = { ex = { I = 1 } }
threshold = "V >= th_mV"
reset = { V = 0 }
refractory_ms = 1000.0
clamp = ["V"]
[[population]]
name = "N"
model = "alpha"
)";
    auto loaded = config::load_config_text(text, "test.toml");
    auto& n = dynamic_cast<models::LinearPopulation&>(*loaded.lowered.network.populations[0]);
    CHECK(n.form() == models::LinearFlow::Form::Schur);
    const double w = 100.0, tau = 10.0, c = 100.0;  // peak 10/e = 3.68 mV > 3 mV
    n.receive(0, 0, w, 0.0);
    for (double t : {0.5, 5.0, 10.0, 30.0})
        CHECK(std::abs(n.value(0, 0, t) - w / c * t * std::exp(-t / tau)) < 1e-12);
    auto v = [&](double t) { return w / c * t * std::exp(-t / tau) - 3.0; };
    double lo = 0, hi = tau;  // rising flank
    for (int k = 0; k < 200; ++k) (v(0.5 * (lo + hi)) >= 0 ? hi : lo) = 0.5 * (lo + hi);
    CHECK(std::abs(n.next_spike(0, 0.0, 100.0) - hi) < 1e-12);
    // A smaller input peaks just below threshold: no spike, however long the horizon.
    n.advance(0, 0.0);
    n.set_value(0, 1, 3.0 * c * std::exp(1.0) / tau * 0.999);  // peak 0.999 * 3 mV
    CHECK(n.next_spike(0, 0.0, 1e6) == sim::kNever);
}

TEST_CASE("bad [[model]] declarations are located errors", "[config][declared_model][bad_input]") {
    auto with = [](const std::string& from, const std::string& to) {
        std::string t = kTwoVariable;
        REQUIRE(t.find(from) != std::string::npos);
        replace_all(t, from, to);
        return t;
    };
    SECTION("not linear: a product of state variables") {
        const auto e = load_error(with("\"dv/dt = -v/tau + drive\"", "\"dv/dt = -v*vth + drive\""));
        CHECK_THAT(e.what(), Catch::Contains("not linear") && Catch::Contains("product"));
        CHECK(e.where().line == 9);
        CHECK(e.where().column == 14 + 1 + 10);  // the '*' inside the string
    }
    SECTION("not linear: a function") {
        const auto e = load_error(with("\"dvth/dt = -vth / tau_th\"", "\"dvth/dt = -exp(vth)\""));
        CHECK_THAT(e.what(), Catch::Contains("not linear") && Catch::Contains("exp"));
    }
    SECTION("not linear: division by a state variable") {
        const auto e = load_error(with("-v/tau", "-tau/v"));
        CHECK_THAT(e.what(), Catch::Contains("not linear") && Catch::Contains("division"));
    }
    SECTION("complex eigenvalues") {
        // v' = vth, vth' = -v - 0.1 vth: a damped oscillator.
        const auto e = load_error(with("[\"dv/dt = -v/tau + drive\", \"dvth/dt = -vth / tau_th\"]",
                                       "[\"dv/dt = vth\", \"dvth/dt = -v - 0.1*vth\"]"));
        CHECK_THAT(e.what(), Catch::Contains("complex eigenvalues") && Catch::Contains("oscillate"));
        CHECK(e.where().line == 9);  // the equations
    }
    SECTION("unknown variable in the threshold") {
        const auto e = load_error(with("\"v >= vth\"", "\"v >= vthr\""));
        CHECK_THAT(e.what(),
                   Catch::Contains("unknown name 'vthr'") && Catch::Contains("state variables: v, vth"));
        CHECK(e.where().line == 11);
        CHECK(e.where().column == 13 + 1 + 5);
    }
    SECTION("a threshold without >=") {
        CHECK_THAT(load_error(with("\"v >= vth\"", "\"v > vth\"")).what(), Catch::Contains("lhs >= rhs"));
    }
    SECTION("missing and duplicate equations") {
        CHECK_THAT(load_error(with(", \"dvth/dt = -vth / tau_th\"", "")).what(),
                   Catch::Contains("no equation for dvth/dt"));
        CHECK_THAT(load_error(with("\"dvth/dt = -vth / tau_th\"", "\"dv/dt = 0\"")).what(),
                   Catch::Contains("a second equation for dv/dt"));
    }
    SECTION("unknown variables in jumps, reset and clamp; a jump that depends on the state") {
        CHECK_THAT(load_error(with("a = { v = 1 }", "a = { u = 1 }")).what(),
                   Catch::Contains("unknown state variable 'u'"));
        CHECK_THAT(load_error(with("reset = { v = 0,", "reset = { w = 0,")).what(),
                   Catch::Contains("unknown state variable 'w'"));
        CHECK_THAT(load_error(with("a = { v = 1 }", "a = { v = \"vth\" }")).what(),
                   Catch::Contains("must not depend on state variables"));
    }
    SECTION("a reset that stays at threshold") {
        CHECK_THAT(
            load_error(with("reset = { v = 0, vth = \"th0\" }", "reset = { v = 9, vth = \"th0\" }")).what(),
            Catch::Contains("fire forever"));
    }
    SECTION("a built-in name, an unknown parameter of a population") {
        CHECK_THAT(load_error(with("name = \"decaying_threshold\"", "name = \"lif_exp\"")).what(),
                   Catch::Contains("built-in"));
        CHECK_THAT(load_error(kTwoVariable + "params = { tau_x = 1.0 }\n").what(), Catch::Contains("tau_x"));
    }
}
