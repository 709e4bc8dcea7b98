#include <catch2/catch.hpp>
#include <cmath>

#include "models/lif_exp.hpp"
#include "sim/simulation.hpp"
#include "tests/support/seed_network.hpp"

using namespace delaysim;
using models::LifExp;

TEST_CASE("LIF with constant current fires at the analytic times", "[models][lif]") {
    // V_inf = E_L + I_e tau_m / C_m = -45 mV > V_th: the interval from reset is
    // tau_m ln((V_inf - V_reset)/(V_inf - V_th)), plus t_ref after each spike.
    sim::ParamValues v;
    v.real["I_e_pA"] = 500.0;
    sim::Network net;
    net.populations.push_back(testing::make_population("lif_exp", "lif", 1, v));
    sim::Simulation s(std::move(net));
    testing::SpikeLog log(1);
    s.add_observer(&log);
    s.run(100.0);
    const double isi = 10.0 * std::log(20.0 / 5.0);
    REQUIRE(log.times[0].size() == 6);
    for (std::size_t k = 0; k < log.times[0].size(); ++k)
        CHECK(std::abs(log.times[0][k] - (isi + static_cast<double>(k) * (isi + 2.0))) < 1e-9);
}

TEST_CASE("LIF response to one synaptic input equals the analytic PSP", "[models][lif]") {
    auto n = testing::make_population("lif_exp", "lif", 1);
    n->receive(0, LifExp::kPortEx, 100.0, 0.0);  // 100 pA
    const double c = 250.0, tm = 10.0, ts = 2.0, w = 100.0;
    for (double t : {0.1, 0.5, 1.0, 3.0, 7.0, 20.0, 80.0}) {
        const double psp = w / c * tm * ts / (tm - ts) * (std::exp(-t / tm) - std::exp(-t / ts));
        CHECK(std::abs(n->value(0, LifExp::kV, t) - (-65.0 + psp)) < 1e-12);
        CHECK(std::abs(n->value(0, LifExp::kIex, t) - w * std::exp(-t / ts)) < 1e-12);
    }
}

TEST_CASE("LIF is clamped during the refractory period while currents integrate", "[models][lif]") {
    sim::ParamValues v;
    v.real["t_ref_ms"] = 5.0;
    auto n = testing::make_population("lif_exp", "lif", 1, v);
    n->fire(0, 0.0);
    n->receive(0, LifExp::kPortIn, -50.0, 0.0);
    CHECK(n->value(0, LifExp::kV, 4.999) == -65.0);
    CHECK(n->value(0, LifExp::kIin, 4.0) == Approx(-50.0 * std::exp(-2.0)).epsilon(1e-14));
    // After 5 ms the remaining current acts from V_reset.
    const double i5 = -50.0 * std::exp(-2.5), x = 1.0;
    const double psp = i5 / 250.0 * 10.0 * 2.0 / 8.0 * (std::exp(-x / 10.0) - std::exp(-x / 2.0));
    CHECK(n->value(0, LifExp::kV, 6.0) == Approx(-65.0 + psp).epsilon(1e-13));
}

TEST_CASE("LIF spike time after strong input matches bisection on the closed form", "[models][lif]") {
    auto n = testing::make_population("lif_exp", "lif", 1);
    n->receive(0, LifExp::kPortEx, 3000.0, 0.0);
    const double t = n->next_spike(0, 0.0, 100.0);
    REQUIRE(std::isfinite(t));
    double lo = 0.0, hi = t + 0.5;  // the first crossing lies on the rising flank
    REQUIRE(n->value(0, LifExp::kV, lo) < -50.0);
    for (int i = 0; i < 100; ++i) {
        const double mid = 0.5 * (lo + hi);
        (n->value(0, LifExp::kV, mid) >= -50.0 ? hi : lo) = mid;
    }
    CHECK(std::abs(t - hi) < 1e-12);
    CHECK(n->next_spike(0, 0.0, t - 1e-9) == sim::kNever);
}

TEST_CASE("invalid LIF parameters are user errors", "[models][lif][bad_input]") {
    const auto* m = models::find_model("lif_exp");
    auto make = [&](std::map<std::string, double> real) {
        sim::ParamValues v;
        v.real = std::move(real);
        return m->make("L", 1, sim::Params(m->params, v, "population 'L'"), 0);
    };
    CHECK_THROWS_WITH(make({{"tau_m_ms", -1.0}}), Catch::Contains("'tau_m_ms'"));
    CHECK_THROWS_WITH(make({{"C_m_pF", 0.0}}), Catch::Contains("'C_m_pF'"));
    CHECK_THROWS_WITH(make({{"V_reset_mV", -40.0}}), Catch::Contains("'V_reset_mV'"));
    CHECK_THROWS_WITH(make({{"tau_syn_ex_ms", 10.0}}), Catch::Contains("'tau_syn_ex_ms'"));
    CHECK_THROWS_WITH(make({{"t_ref_ms", std::nan("")}}), Catch::Contains("finite"));
}
