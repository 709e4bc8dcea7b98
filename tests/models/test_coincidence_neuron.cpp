#include <catch2/catch.hpp>
#include <cmath>

#include "models/coincidence_neuron.hpp"
#include "sim/simulation.hpp"
#include "tests/support/seed_network.hpp"

using namespace delaysim;
using models::CoincidenceNeuron;

namespace {

struct Y {
    double v, s1, s2, vth;
};
// The seed's equations, integrated by classical RK4 (the fine reference).
Y deriv(const Y& y) {
    return {(-y.v + 2000.0 * y.s1 * y.s2) / 1000.0, -y.s1 / 0.5, -y.s2 / 0.5, -y.vth / 50.0};
}
Y rk4(Y y, double h) {
    auto add = [](const Y& a, const Y& b, double k) {
        return Y{a.v + k * b.v, a.s1 + k * b.s1, a.s2 + k * b.s2, a.vth + k * b.vth};
    };
    const Y k1 = deriv(y), k2 = deriv(add(y, k1, h / 2)), k3 = deriv(add(y, k2, h / 2)),
            k4 = deriv(add(y, k3, h));
    return {y.v + h / 6 * (k1.v + 2 * k2.v + 2 * k3.v + k4.v),
            y.s1 + h / 6 * (k1.s1 + 2 * k2.s1 + 2 * k3.s1 + k4.s1),
            y.s2 + h / 6 * (k1.s2 + 2 * k2.s2 + 2 * k3.s2 + k4.s2),
            y.vth + h / 6 * (k1.vth + 2 * k2.vth + 2 * k3.vth + k4.vth)};
}
// First time v >= vth along the RK4 reference (step h), refined by bisection of
// the last step with RK4 sub-steps of the reference itself.
double reference_crossing(Y y, double h, double t_max) {
    double t = 0;
    while (t < t_max) {
        const Y next = rk4(y, h);
        if (next.v >= next.vth) {
            double lo = 0, hi = h;
            for (int i = 0; i < 60; ++i) {
                const double mid = 0.5 * (lo + hi);
                const Y m = rk4(y, mid);
                (m.v >= m.vth ? hi : lo) = mid;
            }
            return t + hi;
        }
        y = next;
        t += h;
    }
    return sim::kNever;
}

std::unique_ptr<sim::Population> neuron() {
    return testing::make_population("coincidence", "N", 1);
}

void set(sim::Population& n, const Y& y) {
    n.set_value(0, CoincidenceNeuron::kV, y.v);
    n.set_value(0, CoincidenceNeuron::kS1, y.s1);
    n.set_value(0, CoincidenceNeuron::kS2, y.s2);
    n.set_value(0, CoincidenceNeuron::kVth, y.vth);
}

}  // namespace

TEST_CASE("closed form matches a 1e-4 ms RK4 integration", "[models][coincidence]") {
    auto n = neuron();
    const Y y0{0.3, 1.7, 2.2, 8.0};
    set(*n, y0);
    Y y = y0;
    const double h = 1e-4;
    double worst = 0;
    for (int step = 1; step <= 200000; ++step) {  // 20 ms
        y = rk4(y, h);
        if (step % 1000 == 0) {
            const double t = step * h;
            auto rel = [](double a, double b) { return std::abs(a - b) / std::max(std::abs(b), 1e-12); };
            worst = std::max({worst, rel(n->value(0, CoincidenceNeuron::kV, t), y.v),
                              rel(n->value(0, CoincidenceNeuron::kVth, t), y.vth)});
            if (y.s1 > 1e-250) worst = std::max(worst, rel(n->value(0, CoincidenceNeuron::kS1, t), y.s1));
        }
    }
    INFO("worst relative error " << worst);
    CHECK(worst < 1e-6);
}

TEST_CASE("threshold crossings agree with bisection on the fine reference", "[models][coincidence]") {
    const std::vector<Y> cases = {
        {7.0, 3.0, 3.0, 8.0},  // fast crossing on the rise of v
        {5.0, 0.0, 0.0, 8.0},  // late: vth decays (50 ms) faster than v (1000 ms)
        {2.0, 2.0, 2.5, 8.0},  // rise not enough: crossing much later, after vth decayed
        {7.9, 0.5, 0.5, 8.0},  // nearly tangential start
    };
    for (const Y& y0 : cases) {
        auto n = neuron();
        set(*n, y0);
        const double t = n->next_spike(0, 0.0, 1000.0);
        const double ref = reference_crossing(y0, 1e-4, 200.0);
        INFO("v0=" << y0.v << " s1=" << y0.s1 << " s2=" << y0.s2 << " closed form " << t << " reference "
                   << ref);
        REQUIRE(std::isfinite(ref));
        CHECK(std::abs(t - ref) < 1e-9);
    }
}

TEST_CASE("a late crossing matches its analytic time", "[models][coincidence]") {
    // No input: 5 e^{-t/1000} = 8 e^{-t/50}  =>  t = ln(8/5) / (1/50 - 1/1000).
    auto n = neuron();
    set(*n, {5.0, 0.0, 0.0, 8.0});
    const double expected = std::log(8.0 / 5.0) / (1.0 / 50.0 - 1.0 / 1000.0);
    CHECK(std::abs(n->next_spike(0, 0.0, 1000.0) - expected) < 1e-9);
    CHECK(n->next_spike(0, 0.0, expected - 1e-6) == sim::kNever);  // beyond the horizon
}

TEST_CASE("a predicted crossing is revised by input or inhibition arriving before it",
          "[models][coincidence]") {
    const double late = std::log(8.0 / 5.0) / (1.0 / 50.0 - 1.0 / 1000.0);  // ~24.7 ms
    auto run = [&](const char* port_name, double at) {
        sim::ParamValues src;
        src.lists["times_ms"] = {at};
        sim::Network net;
        net.populations.push_back(testing::make_population("explicit_source", "src", 1, src));
        net.populations.push_back(neuron());
        set(*net.populations[1], {5.0, 0.0, 0.0, 8.0});
        const auto port = static_cast<std::size_t>(net.populations[1]->port_index(port_name));
        net.projections.emplace_back("in", 0, 1, port, testing::one_synapse(3.0, 0.0), sim::DelayBounds{},
                                     sim::InflightPolicy::Keep, 1, 1);
        sim::Simulation s(std::move(net));
        testing::SpikeLog log(2);
        s.add_observer(&log);
        s.run(60.0);
        return log.times[1];
    };
    SECTION("no input before the crossing: the prediction stands") {
        CHECK(run("a", 40.0).at(0) == Approx(late).epsilon(1e-12));
    }
    SECTION("inhibition at 10 ms cancels it") {
        CHECK(run("inhibit", 10.0).empty());
    }
    SECTION("input on port a alone does not change v (s2 = 0)") {
        CHECK(run("a", 10.0).at(0) == Approx(late).epsilon(1e-12));
    }
}

TEST_CASE("invalid coincidence parameters are user errors naming the parameter",
          "[models][coincidence][bad_input]") {
    const auto* m = models::find_model("coincidence");
    REQUIRE(m);
    auto make = [&](const std::string& key, double x) {
        sim::ParamValues v;
        v.real[key] = x;
        return m->make("N", 1, sim::Params(m->params, v, "population 'N'"), 0);
    };
    CHECK_THROWS_WITH(make("tau_ms", -5.0), Catch::Contains("'tau_ms'") && Catch::Contains("outside"));
    CHECK_THROWS_WITH(make("tau_th_ms", std::nan("")),
                      Catch::Contains("'tau_th_ms'") && Catch::Contains("finite"));
    CHECK_THROWS_WITH(make("th0", 0.0), Catch::Contains("'th0'"));
    CHECK_THROWS_WITH(make("tau_ms", 0.25), Catch::Contains("'tau_ms'") && Catch::Contains("differ"));
    CHECK_THROWS_WITH(make("tau_mss", 1.0),
                      Catch::Contains("unknown parameter 'tau_mss'") && Catch::Contains("tau_ms"));
}
