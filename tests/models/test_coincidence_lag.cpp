// coincidence_lag (models/coincidence_lag.hpp) in the engine: spike times against
// an RK4 reference (step <= 1e-4 ms), D moved through Simulation::set_delay keeps
// the chain's charge, lag-projection set-up errors.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>
#include <vector>

#include "models/coincidence_lag.hpp"
#include "sim/simulation.hpp"
#include "tests/support/seed_network.hpp"

using namespace delaysim;

namespace {

struct Setup {
    int n = 8;
    double d = 2.0;                   // initial D, ms
    double t_change = -1, d_new = 0;  // optional change of D at t_change
    double t_stop = 160.0;
};

std::vector<double> pattern(int periods) {
    std::vector<double> t;
    for (int p = 0; p < periods; ++p)
        for (double x : {1.0, 2.0, 3.0, 4.0, 6.0, 8.0, 9.0}) t.push_back(13.0 * p + x);
    return t;
}

// RK4 reference of the seed parameters (tau 1000, tau_s 0.5, tau_th 50, gain 2000,
// th0 8). Inputs: port a at pattern + 1 ms (axonal), port b at pattern (lag port).
std::vector<double> rk4_spikes(const Setup& c) {
    const int n = c.n;
    const double tau = 1000, ts1 = 0.5, ts2 = 0.5, tth = 50, gain = 2000, th0 = 8, h_max = 1e-4;
    double d = c.d;
    // y = (v, s1, u, x_1..x_n, vth)
    std::vector<double> y(n + 4, 0.0);
    y[n + 3] = th0;
    auto deriv = [&](const std::vector<double>& s, std::vector<double>& f) {
        const double tc = d / n;
        f[0] = (-s[0] + gain * s[1] * s[2 + n]) / tau;
        f[1] = -s[1] / ts1;
        f[2] = -s[2] / ts2;
        for (int k = 1; k <= n; ++k) f[2 + k] = (s[1 + k] - s[2 + k]) / tc;
        f[n + 3] = -s[n + 3] / tth;
    };
    std::vector<double> k1(n + 4), k2(n + 4), k3(n + 4), k4(n + 4), tmp(n + 4);
    auto step = [&](std::vector<double>& s, double h) {
        deriv(s, k1);
        for (int i = 0; i < n + 4; ++i) tmp[i] = s[i] + 0.5 * h * k1[i];
        deriv(tmp, k2);
        for (int i = 0; i < n + 4; ++i) tmp[i] = s[i] + 0.5 * h * k2[i];
        deriv(tmp, k3);
        for (int i = 0; i < n + 4; ++i) tmp[i] = s[i] + h * k3[i];
        deriv(tmp, k4);
        for (int i = 0; i < n + 4; ++i) s[i] += h / 6 * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]);
    };
    struct In {
        double t;
        int kind;  // 0: port a, 1: port b, 2: change of D
    };
    std::vector<In> ev;
    for (double t : pattern(4)) ev.push_back({t + 1.0, 0}), ev.push_back({t, 1});
    if (c.t_change >= 0) ev.push_back({c.t_change, 2});
    ev.push_back({c.t_stop, 3});
    std::stable_sort(ev.begin(), ev.end(), [](const In& a, const In& b) { return a.t < b.t; });
    std::vector<double> spikes, fa(n + 4), fb(n + 4);
    double t = 0.0;
    for (const In& e : ev) {
        while (t < e.t) {
            const double h = std::min(h_max, e.t - t);
            std::vector<double> s = y;
            step(s, h);
            const double g0 = y[0] - y[n + 3], g1 = s[0] - s[n + 3];
            if (g0 < 0 && g1 >= 0) {  // crossing: cubic Hermite on [t, t+h], then an exact-size step
                deriv(y, fa);
                deriv(s, fb);
                const double d0 = (fa[0] - fa[n + 3]) * h, d1 = (fb[0] - fb[n + 3]) * h;
                auto herm = [&](double x) {
                    const double x2 = x * x, x3 = x2 * x;
                    return (2 * x3 - 3 * x2 + 1) * g0 + (x3 - 2 * x2 + x) * d0 + (-2 * x3 + 3 * x2) * g1 +
                           (x3 - x2) * d1;
                };
                double lo = 0, hi = 1;
                for (int it = 0; it < 100; ++it) (herm(0.5 * (lo + hi)) < 0 ? lo : hi) = 0.5 * (lo + hi);
                const double tc = hi * h;
                step(y, tc);
                t += tc;
                spikes.push_back(t);
                y[0] = 0.0;
                y[n + 3] = th0;
                continue;
            }
            y = s;
            t += h;
        }
        t = e.t;
        if (e.kind == 0) y[1] += 1.0;
        if (e.kind == 1) y[2] += 1.0;
        if (e.kind == 2) {  // keep the occupancies tau_c x_k
            for (int k = 1; k <= n; ++k) y[2 + k] *= d / c.d_new;
            d = c.d_new;
        }
    }
    return spikes;
}

sim::Network lag_network(const Setup& c, sim::DelayBounds bounds = {0.1, 20.0, sim::BoundPolicy::Clamp}) {
    sim::ParamValues src, neuron;
    src.lists["times_ms"] = pattern(4);
    neuron.real["lag_stages"] = c.n;
    sim::Network net;
    net.populations.push_back(testing::make_population("explicit_source", "A", 1, src));
    net.populations.push_back(testing::make_population("explicit_source", "B", 1, src));
    net.populations.push_back(testing::make_population("coincidence_lag", "N", 1, neuron));
    const sim::DelayBounds fixed{};
    net.projections.emplace_back("a_n", 0, 2, 0, testing::one_synapse(1, 1.0), fixed,
                                 sim::InflightPolicy::Keep, 1, 1);
    net.projections.emplace_back("b_n", 1, 2, 1, testing::one_synapse(1, c.d), bounds,
                                 sim::InflightPolicy::Keep, 1, 1);
    return net;
}

struct Log : sim::Observer {
    std::vector<double> spikes;
    std::vector<double> old_d, new_d;
    void on_spike(std::uint32_t pop, sim::Index, sim::Time t) override {
        if (pop == 2) spikes.push_back(t);
    }
    void on_synapse_change(std::uint32_t, sim::Index, sim::SynapseVariable, double o, double nw,
                           const std::string&, sim::Time) override {
        old_d.push_back(o);
        new_d.push_back(nw);
    }
};

double compare(const std::vector<double>& a, const std::vector<double>& b) {
    REQUIRE(a.size() == b.size());
    double err = 0.0;
    for (std::size_t k = 0; k < a.size(); ++k) err = std::max(err, std::abs(a[k] - b[k]));
    return err;
}

}  // namespace

TEST_CASE("coincidence_lag spike times agree with an RK4 reference", "[lag]") {
    // N = 4, D = 2: the chain rate N/D equals the trace rate 1/tau_s2 (degenerate case).
    for (const Setup c : {Setup{8, 2.0}, Setup{4, 2.0}, Setup{1, 0.7}, Setup{16, 3.0}, Setup{64, 2.5}}) {
        sim::Simulation s(lag_network(c));
        Log log;
        s.add_observer(&log);
        REQUIRE(s.run(c.t_stop));
        const std::vector<double> ref = rk4_spikes(c);
        REQUIRE(!ref.empty());
        const double err = compare(log.spikes, ref);
        std::printf("N=%2d D=%.1f: %zu spikes, first %.9f ms, max |t - t_rk4| = %.2e ms\n", c.n, c.d,
                    ref.size(), ref.front(), err);
        CHECK(err < 1e-6);
    }
}

TEST_CASE("moving D through Simulation::set_delay keeps the chain's charge", "[lag]") {
    Setup c{8, 2.0, 27.3, 3.5};
    sim::Simulation s(lag_network(c));
    Log log;
    s.add_observer(&log);
    REQUIRE(s.run(c.t_change));
    sim::Population& n = s.population(2);
    const auto charge = static_cast<std::size_t>(n.variable_index("lag_charge"));
    const auto lag_ms = static_cast<std::size_t>(n.variable_index("lag_ms"));
    n.advance(0, s.now());
    const double q_before = n.value(0, charge, s.now());
    s.set_delay(1, 0, c.d_new, "test");
    const double q_after = n.value(0, charge, s.now());
    std::printf("charge at t=%.1f: before %.15g after %.15g\n", s.now(), q_before, q_after);
    CHECK(q_before > 0.0);
    CHECK(std::abs(q_after - q_before) <= 1e-14 * q_before);
    CHECK(n.value(0, lag_ms, s.now()) == c.d_new);
    CHECK(s.projection(1).delay(0) == c.d_new);
    REQUIRE(log.new_d.size() == 1);
    CHECK(log.old_d[0] == 2.0);
    // The run goes on with the new D exactly as the RK4 reference with rescaled stages.
    REQUIRE(s.run(c.t_stop));
    const double err = compare(log.spikes, rk4_spikes(c));
    std::printf("after the change: %zu spikes, max |t - t_rk4| = %.2e ms\n", log.spikes.size(), err);
    CHECK(err < 1e-6);
    // Bounds apply: [0.1, 20] clamps.
    s.set_delay(1, 0, 50.0, "test");
    CHECK(n.value(0, lag_ms, s.now()) == 20.0);
}

TEST_CASE("lag projections: axonal delay 0, D from delay_ms, set-up errors", "[lag]") {
    CHECK_THROWS_AS(sim::Simulation(lag_network(Setup{}, {0.0, 20.0, sim::BoundPolicy::Clamp})),
                    sim::UserError);
    sim::Simulation s(lag_network(Setup{8, 5.0}));
    const auto lag_ms = static_cast<std::size_t>(s.population(2).variable_index("lag_ms"));
    CHECK(s.population(2).value(0, lag_ms, 0.0) == 5.0);
    CHECK(s.population(2).has_lag(1));
    CHECK_FALSE(s.population(2).has_lag(0));
}
