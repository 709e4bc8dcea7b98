// The model contract (sim/population.hpp), for every built-in neuron model of the
// registry and a model declared in a model file ([[model]], LinearPopulation):
// random input trains, processed event by event as the engine does, and at every
// step
//   - the exact next spike (next_spike) and every check a SpikeBounds capability
//     files are compared with a reference crossing found independently of the
//     model's own root search: a fine scan of the closed-form state (value()) for
//     the first sample at or past threshold, refined by bisection. A bound never
//     passes it; an exact bound is the spike; "never" means the scan finds none;
//   - after each spike: the state is below threshold and the next spike comes no
//     earlier than the refractory period;
//   - two populations fed the same inputs hold bit-identical states (determinism);
// and at the end of each train one slice of inputs goes through the Batching
// (absorb) or Superposition (settle) capability on one twin and input by input on
// the other: an accepted slice has no spike input by input and ends in the same
// state (to rounding), its check is a bound on the next spike; a refused one
// leaves the state unchanged.
// A new built-in model fails the first TEST_CASE until it gets a Subject below
// (its threshold, weights and rate: what the contract needs to drive it).
#include <catch2/catch.hpp>
#include <cmath>
#include <functional>
#include <iomanip>
#include <map>
#include <optional>
#include <random>

#include "models/linear_population.hpp"
#include "models/registry.hpp"
#include "models/small_linear.hpp"
#include "sim/config/loader.hpp"
#include "tests/support/seed_network.hpp"
#include "tests/support/slice_sum.hpp"

using namespace delaysim;

namespace {

struct Subject {
    sim::ParamValues params;
    // >= 0: node i is at or past threshold at t (no event since its last update).
    std::function<double(const sim::Population&, sim::Index, sim::Time)> margin;
    std::vector<std::pair<double, double>> weights;  // per port: uniform [lo, hi]
    double rate = 1.0;                               // inputs per ms per node
    double t_ref = 0.0;                              // ms: no spike sooner after one
    std::vector<double> port_odds;                   // per port: relative frequency
};

double v_minus(const sim::Population& p, sim::Index i, sim::Time t, double v_th) {
    return p.value(i, 0, t) - v_th;
}

// Every built-in neuron model: its drive for the contract.
std::map<std::string, Subject> subjects() {
    std::map<std::string, Subject> s;
    {
        Subject x;  // lif_exp, three rates, slightly below rheobase
        x.params.real["I_e_pA"] = 300.0;
        x.params.real["tau_syn_in_ms"] = 5.0;
        x.margin = [](const sim::Population& p, sim::Index i, sim::Time t) {
            return v_minus(p, i, t, -50.0);
        };
        x.weights = {{0.0, 700.0}, {-900.0, 0.0}};
        x.port_odds = {0.8, 0.2};
        x.rate = 1.0;
        x.t_ref = 2.0;
        s["lif_exp"] = x;
    }
    {
        Subject x;  // lif_delta, jumps in mV
        x.params.real["I_e_pA"] = 300.0;
        x.margin = [](const sim::Population& p, sim::Index i, sim::Time t) {
            return v_minus(p, i, t, -50.0);
        };
        x.weights = {{0.0, 5.0}, {-5.0, 0.0}};
        x.port_odds = {0.8, 0.2};
        x.rate = 1.0;
        x.t_ref = 2.0;
        s["lif_delta"] = x;
    }
    for (const char* name : {"coincidence", "coincidence_lag"}) {
        Subject x;  // the seed's neuron: v against the decaying threshold vth
        x.margin = [](const sim::Population& p, sim::Index i, sim::Time t) {
            return p.value(i, 0, t) - p.value(i, 1, t);
        };
        x.weights = {{0.0, 5.0}, {0.0, 5.0}, {0.0, 0.0}};
        x.port_odds = {0.495, 0.495, 0.01};
        x.rate = 2.0;
        s[name] = x;
    }
    return s;
}

// A declared model: lif_exp with three rates (the modal form of LinearPopulation).
const char* kDeclared = R"(
[simulation]
t_stop_ms = 10.0
[[model]]
name = "declared_lif"
variables = [
  { name = "V_m", unit = "mV", initial = "E_L_mV" },
  { name = "I_ex", unit = "pA" },
  { name = "I_in", unit = "pA" },
]
params = { C_m_pF = 250.0, tau_m_ms = 10.0, E_L_mV = -65.0, V_th_mV = -50.0, V_reset_mV = -65.0, t_ref_ms = 2.0, I_e_pA = 0.0, tau_syn_ex_ms = 2.0, tau_syn_in_ms = 5.0 }
equations = [
  "dV_m/dt = -(V_m - E_L_mV)/tau_m_ms + (I_ex + I_in + I_e_pA)/C_m_pF",
  "dI_ex/dt = -I_ex/tau_syn_ex_ms",
  "dI_in/dt = -I_in/tau_syn_in_ms",
]
ports = { ex = { I_ex = 1.0 }, in = { I_in = 1.0 } }
threshold = "V_m >= V_th_mV"
reset = { V_m = "V_reset_mV" }
refractory_ms = "t_ref_ms"
clamp = ["V_m"]
[[population]]
name = "P"
model = "declared_lif"
size = SIZE
)";

// The same model with two more variables, decoupled and decaying (a and b): five
// variables, past SmallLinear's size, so the general LinearPopulation (modal form).
std::string five_variables() {
    std::string text = kDeclared;
    auto after = [&](const std::string& anchor, const std::string& extra) {
        text.insert(text.find(anchor) + anchor.size(), extra);
    };
    after("{ name = \"I_in\", unit = \"pA\" },",
          "\n  { name = \"a\", unit = \"1\" },\n  { name = \"b\", unit = \"1\" },");
    after("\"dI_in/dt = -I_in/tau_syn_in_ms\",", "\n  \"da/dt = -a/3.0\",\n  \"db/dt = -b/7.0\",");
    return text;
}

std::unique_ptr<sim::Population> declared(sim::Index size, std::string text = kDeclared) {
    text.replace(text.find("SIZE"), 4, std::to_string(size));
    config::LoadedConfig loaded = config::load_config_text(text, "contract.toml");
    return std::move(loaded.lowered.network.populations.at(0));
}

struct Input {
    sim::Time t;
    std::size_t port;
    double w;
};

class Contract {
public:
    Contract(const Subject& s, std::uint64_t seed) : s_(s), rng_(seed) {}

    // The first crossing of the closed form after t, by scan and bisection; kNever if none.
    sim::Time reference(const sim::Population& p, sim::Index i, sim::Time t, sim::Time horizon) const {
        if (s_.margin(p, i, t) >= 0.0) return t;
        for (sim::Time lo = t;;) {
            sim::Time hi = std::min(lo + kScan, horizon);
            if (s_.margin(p, i, hi) >= 0.0) {
                for (int k = 0; k < 60; ++k) {
                    const sim::Time m = lo + 0.5 * (hi - lo);
                    (s_.margin(p, i, m) >= 0.0 ? hi : lo) = m;
                }
                return hi;
            }
            if (hi >= horizon) return sim::kNever;
            lo = hi;
        }
    }

    // The checks at node i, time t (no event since): exact spike and bounds vs the reference.
    void check_bounds(sim::Population& p, sim::Index i, sim::Time t) {
        const sim::Time horizon = t + kHorizon;
        const sim::Time e = p.next_spike(i, t, horizon), r = reference(p, i, t, horizon);
        INFO(std::setprecision(17) << p.model() << " node " << i << " t " << t << " exact " << e
                                   << " reference " << r);
        REQUIRE(e >= t);
        if (r != sim::kNever) {
            ++crossings;
            REQUIRE(e <= r + kTol);  // never later than the crossing the scan found
            // Earlier only by an excursion narrower than the scan step: then at threshold there.
            if (e < r - kTol) REQUIRE(s_.margin(p, i, e) >= -kMarginTol);
        } else if (e != sim::kNever) {
            REQUIRE(s_.margin(p, i, e) >= -kMarginTol);  // a touch between two samples
        }
        const sim::Capabilities& caps = p.capabilities();
        if (!caps.bounds) return;
        const sim::Time first = std::min(e, r);
        for (int until = 0; until < 2; ++until) {
            const sim::Bound b = until ? caps.bounds->spike_bound_until(i, t, t + 0.5 * kHorizon, horizon)
                                       : caps.bounds->spike_bound(i, t, horizon);
            INFO("bound " << b.t << (b.exact ? " exact" : "") << (until ? " (until)" : ""));
            REQUIRE(b.t >= t);
            REQUIRE(b.t <= first + kTol);
            if (b.exact) REQUIRE(b.t == Approx(e).epsilon(1e-12));
            if (b.t == sim::kNever) REQUIRE(first == sim::kNever);
            bounds_checked += 1;
            exact_bounds += b.exact;
        }
    }

    // Fire every spike of node i before t_stop (event loop order), checking the reset.
    void fire_until(sim::Population& p, sim::Index i, sim::Time& t, sim::Time t_stop, bool check) {
        for (int guard = 0; guard < 1000; ++guard) {
            if (check) check_bounds(p, i, t);
            const sim::Time ts = p.next_spike(i, t, t_stop);
            if (!(ts < t_stop)) return;
            p.advance(i, ts);
            p.fire(i, ts);
            t = ts;
            if (check) {
                ++spikes;
                INFO(p.model() << " node " << i << " spike at " << ts);
                REQUIRE(s_.margin(p, i, ts) < 0.0);
                REQUIRE(p.next_spike(i, ts, ts + kHorizon) >= ts + s_.t_ref);
                if (s_.t_ref == 0.0) REQUIRE(p.next_spike(i, ts, ts + kHorizon) > ts);
            }
        }
        FAIL("more than 1000 spikes between two inputs");
    }

    void deliver(sim::Population& p, sim::Index i, sim::Time& t, const Input& in, bool check) {
        fire_until(p, i, t, in.t, check);
        p.advance(i, in.t);
        p.receive(i, in.port, in.w, in.t);
        t = in.t;
    }

    Input draw(sim::Time t) {
        std::exponential_distribution<double> gap(s_.rate);
        std::discrete_distribution<std::size_t> port(s_.port_odds.begin(), s_.port_odds.end());
        const std::size_t q = port(rng_);
        std::uniform_real_distribution<double> w(s_.weights[q].first, s_.weights[q].second);
        return {t + gap(rng_), q, w(rng_)};
    }

    // Every variable of nodes i of a and b at t: bit for bit.
    static void require_same(const sim::Population& a, const sim::Population& b, sim::Index i, sim::Time t) {
        for (std::size_t v = 0; v < a.variables().size(); ++v) REQUIRE(a.value(i, v, t) == b.value(i, v, t));
    }

    const Subject& s_;
    std::mt19937_64 rng_;
    int crossings = 0, spikes = 0, bounds_checked = 0, exact_bounds = 0;
    static constexpr double kScan = 0.02, kHorizon = 30.0, kTol = 1e-9, kMarginTol = 1e-6;
};

struct Tally {
    int crossings = 0, spikes = 0, bounds = 0, accepted = 0, refused = 0, settled = 0;
};

// The whole contract on `nodes` nodes of twins a and b (same model, parameters and seed).
Tally run_contract(sim::Population& a, sim::Population& b, const Subject& s, std::uint64_t seed) {
    Contract c(s, seed);
    Tally tally;
    const sim::Capabilities& caps = a.capabilities();
    const bool superpose = caps.superposition && a.ports().size() <= sim::SliceKernel::kPorts;
    for (sim::Index i = 0; i < a.size(); ++i) {
        // A random prefix: a reachable state (refractory, after spikes, near threshold).
        sim::Time ta = 0.0, tb = 0.0;
        const int n_prefix = 5 + static_cast<int>(c.rng_() % 40);
        Input in = c.draw(0.0);
        for (int k = 0; k < n_prefix; ++k, in = c.draw(in.t)) {
            c.deliver(a, i, ta, in, false);
            c.deliver(b, i, tb, in, true);
            REQUIRE(ta == tb);
            Contract::require_same(a, b, i, ta);  // deterministic
        }
        c.fire_until(a, i, ta, in.t, false);
        c.fire_until(b, i, tb, in.t, true);
        if (!caps.batching) continue;
        // One slice [t0, t1) from t0 = the node's time.
        const sim::Time t0 = ta, t1 = t0 + 0.5;
        std::uniform_real_distribution<double> when(t0, t1);
        // (Up to 8 inputs of up to 3x the train's weights: slices near the proofs' edge.)
        std::vector<sim::SliceInput> slice(1 + c.rng_() % 8);
        for (sim::SliceInput& x : slice) {
            const Input d = c.draw(t0);
            x = {when(c.rng_),
                 d.w * (1.0 + 2.0 * (c.rng_() % 2)),
                 0,
                 0,
                 0,
                 static_cast<std::uint32_t>(d.port)};
        }
        std::sort(slice.begin(), slice.end(), [](const auto& x, const auto& y) { return x.t < y.t; });
        // The engine's precondition for both: its check (a bound) comes after the first input.
        const sim::Time check =
            caps.bounds ? caps.bounds->spike_bound(i, t0, 1e9).t : a.next_spike(i, t0, 1e9);
        if (!(check > slice.front().t)) continue;
        std::vector<double> before(a.variables().size());
        for (std::size_t v = 0; v < before.size(); ++v) before[v] = a.value(i, v, t0);
        const bool settle = superpose && c.rng_() % 2 == 0;
        std::optional<sim::Time> next;
        if (settle) {
            const sim::SliceSum sum = testing::slice_sum(caps.superposition->slice_kernel(), slice, t1);
            next = caps.superposition->settle(i, sum, {t0, t1, c.rng_() % 2 ? check : t0, 1e9});
        } else {
            next = caps.batching->absorb(i, slice.data(), slice.size(), 1e9);
        }
        // The twin, input by input: any spike before the end of what was applied?
        const sim::Time end = settle ? t1 : slice.back().t;
        int spikes_b = 0;
        for (const sim::SliceInput& x : slice) {
            const sim::Time ts = b.next_spike(i, tb, std::nextafter(x.t, sim::kNever));
            spikes_b += ts <= x.t;
            c.deliver(b, i, tb, {x.t, x.port, x.w}, false);
        }
        const sim::Time ts = b.next_spike(i, tb, 1e9);
        spikes_b += ts < end;
        INFO(std::setprecision(17) << a.model() << " node " << i << (settle ? " settle" : " absorb") << " t0 "
                                   << t0 << " inputs " << slice.size() << " first " << slice.front().t);
        if (!next) {
            ++tally.refused;
            for (std::size_t v = 0; v < before.size(); ++v) REQUIRE(a.value(i, v, t0) == before[v]);
            continue;
        }
        ++tally.accepted;
        tally.settled += settle;
        REQUIRE(spikes_b == 0);  // accepted only with a proof of no spike
        for (std::size_t v = 0; v < before.size(); ++v) {
            const double x = a.value(i, v, end), y = b.value(i, v, end);
            REQUIRE(x == Approx(y).epsilon(1e-9).margin(1e-9));
        }
        REQUIRE(*next >= end);
        REQUIRE(*next <= b.next_spike(i, end, 1e9) + Contract::kTol);
    }
    tally.crossings = c.crossings;
    tally.spikes = c.spikes;
    tally.bounds = c.bounds_checked;
    return tally;
}

}  // namespace

TEST_CASE("every built-in neuron model keeps the model contract", "[models][contract]") {
    const std::map<std::string, Subject> table = subjects();
    int models = 0;
    for (const models::ModelInfo& m : models::model_registry()) {
        if (m.is_source || m.origin != "built-in") continue;  // (plug-ins a test registered: not ours)
        INFO("model " << m.name);
        const auto it = table.find(m.name);
        REQUIRE(it != table.end());  // a new model: give it a Subject above
        const sim::Index n = 60;
        auto a = testing::make_population(m.name, "a", n, it->second.params);
        auto b = testing::make_population(m.name, "b", n, it->second.params);
        const Tally t = run_contract(*a, *b, it->second, 1000 + static_cast<std::uint64_t>(models));
        CAPTURE(t.crossings, t.spikes, t.bounds, t.accepted, t.refused);
        CHECK(t.spikes > 20);  // the drive reaches threshold: the checks near it ran
        CHECK(t.crossings > 20);
        if (a->capabilities().bounds) CHECK(t.bounds > 1000);
        if (a->capabilities().batching) CHECK(t.accepted > 5);
        ++models;
    }
    CHECK(models >= 4);
}

TEST_CASE("a declared linear model keeps the model contract", "[models][contract]") {
    // Three variables (LIF with two exponential currents): the fixed-size core
    // (models/small_linear.hpp), batched and superposed by default.
    Subject s = subjects().at("lif_exp");
    s.weights = {{0.0, 550.0}, {-400.0, 0.0}};  // no I_e: room below threshold for the generic proof
    s.rate = 3.0;
    auto a = declared(60), b = declared(60);
    auto* la = dynamic_cast<models::SmallLinear<3>*>(a.get());
    REQUIRE((la && dynamic_cast<models::SmallLinear<3>*>(b.get())));
    REQUIRE(la->batches());
    REQUIRE(la->superposes());
    const Tally t = run_contract(*a, *b, s, 77);
    CAPTURE(t.crossings, t.spikes, t.bounds, t.accepted, t.refused, t.settled);
    CHECK(t.spikes > 20);
    CHECK(t.crossings > 20);
    CHECK(t.bounds > 1000);
    CHECK(t.settled > 5);
    CHECK(t.accepted - t.settled > 5);  // absorbed
    CHECK(t.refused > 5);
}

TEST_CASE("a declared linear model past the fixed size keeps the model contract", "[models][contract]") {
    Subject s = subjects().at("lif_exp");
    s.weights = {{0.0, 550.0}, {-400.0, 0.0}};
    s.rate = 3.0;
    auto a = declared(60, five_variables()), b = declared(60, five_variables());
    auto* la = dynamic_cast<models::LinearPopulation*>(a.get());
    auto* lb = dynamic_cast<models::LinearPopulation*>(b.get());
    REQUIRE((la && lb && la->enable_batching() && lb->enable_batching()));  // Modal, stable, t_ref > 0
    REQUIRE(la->form() == models::LinearFlow::Form::Modal);
    const Tally t = run_contract(*a, *b, s, 78);
    CAPTURE(t.crossings, t.spikes, t.bounds, t.accepted, t.refused);
    CHECK(t.spikes > 20);
    CHECK(t.crossings > 20);
    CHECK(t.bounds > 1000);
    CHECK(t.accepted > 5);
    CHECK(t.refused > 5);
}
