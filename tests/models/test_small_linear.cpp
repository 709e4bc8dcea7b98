// The fixed-size linear core (models/small_linear.hpp) against independent
// references: Eigen's matrix exponential of the augmented system evaluated directly,
// the general LinearPopulation on the same spec (also against the built-in lif_exp,
// which is this core); plus which systems make_linear_population gives it, and the
// batching proof's refusal when an inhibitory input comes after a free crossing.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <random>

#include "models/linear_population.hpp"
#include "models/small_linear.hpp"
#include "sim/simulation.hpp"
#include "tests/models/linear_reference.hpp"
#include "tests/support/seed_network.hpp"
#include "tests/support/slice_sum.hpp"

using namespace delaysim;
using models::LinearModelSpec;
using testing::expm_reference;

namespace {

// LIF with two exponential currents, lif_exp's equations and defaults (mV, pA, pF, ms).
LinearModelSpec lif_two_currents(double i_e, double tau_in) {
    const double c_m = 250.0, tau_m = 10.0, e_l = -65.0, tau_ex = 2.0;
    LinearModelSpec s;
    s.name = "lif2";
    s.variables = {{"V_m", "mV", ""}, {"I_ex", "pA", ""}, {"I_in", "pA", ""}};
    s.ports = {{"ex", sim::PortKind::Input, ""}, {"in", sim::PortKind::Input, ""}};
    s.a = Eigen::Matrix3d{
        {-1.0 / tau_m, 1.0 / c_m, 1.0 / c_m}, {0.0, -1.0 / tau_ex, 0.0}, {0.0, 0.0, -1.0 / tau_in}};
    s.b = Eigen::Vector3d{e_l / tau_m + i_e / c_m, 0.0, 0.0};
    s.jumps = {Eigen::Vector3d{0.0, 1.0, 0.0}, Eigen::Vector3d{0.0, 0.0, 1.0}};
    s.theta = Eigen::RowVector3d{1.0, 0.0, 0.0};
    s.theta_c = 50.0;  // V - (-50) >= 0
    s.reset_m = Eigen::Matrix3d{{0.0, 0.0, 0.0}, {0.0, 1.0, 0.0}, {0.0, 0.0, 1.0}};
    s.reset_c = Eigen::Vector3d{-65.0, 0.0, 0.0};
    s.t_ref_ms = 2.0;
    s.clamped = {true, false, false};
    s.initial = Eigen::Vector3d{e_l, 0.0, 0.0};
    return s;
}

// A random stable upper-triangular system with distinct rates (modal), n variables,
// threshold x_0 >= 1, one port adding to every variable, reset x_0 = 0.
LinearModelSpec random_spec(int n, std::mt19937_64& rng) {
    std::uniform_real_distribution<double> u(-1.0, 1.0);
    LinearModelSpec s;
    s.name = "random" + std::to_string(n);
    for (int k = 0; k < n; ++k) s.variables.push_back({"x" + std::to_string(k), "1", ""});
    s.ports = {{"in", sim::PortKind::Input, ""}};
    s.a = Eigen::MatrixXd::Zero(n, n);
    for (int r = 0; r < n; ++r) {
        s.a(r, r) = -(0.1 + 0.3 * r + 0.05 * (u(rng) + 1.0));
        for (int c = r + 1; c < n; ++c) s.a(r, c) = 0.3 * u(rng);
    }
    s.b = Eigen::VectorXd::Zero(n);
    s.b(0) = 0.08;
    s.jumps = {Eigen::VectorXd::Constant(n, 0.3)};
    s.theta = Eigen::RowVectorXd::Zero(n);
    s.theta(0) = 1.0;
    s.theta_c = -1.0;
    s.reset_m = Eigen::MatrixXd::Identity(n, n);
    s.reset_m(0, 0) = 0.0;
    s.reset_c = Eigen::VectorXd::Zero(n);
    s.t_ref_ms = 1.0;
    s.clamped.assign(static_cast<std::size_t>(n), false);
    s.clamped[0] = true;
    s.initial = Eigen::VectorXd::Zero(n);
    return s;
}

bool is_small(const sim::Population& p) {
    return dynamic_cast<const models::SmallLinear<1>*>(&p) ||
           dynamic_cast<const models::SmallLinear<2>*>(&p) ||
           dynamic_cast<const models::SmallLinear<3>*>(&p) || dynamic_cast<const models::SmallLinear<4>*>(&p);
}

// Drive a (its node ia) and b (node 0) with the same random inputs event by event (spikes fired as the
// engine does) and compare every variable and every spike time.
int compare_driven(sim::Population& a, sim::Population& b, std::mt19937_64& rng, double w_lo, double w_hi,
                   double rate, double t_stop, sim::Index ia = 0) {
    std::exponential_distribution<double> gap(rate);
    std::uniform_real_distribution<double> w(w_lo, w_hi);
    std::uniform_int_distribution<std::size_t> port(0, a.ports().size() - 1);
    sim::Time t = 0.0;
    int spikes = 0;
    while (t < t_stop) {
        const sim::Time t_in = t + gap(rng);
        for (;;) {
            const sim::Time sa = a.next_spike(ia, t, t_in), sb = b.next_spike(0, t, t_in);
            REQUIRE((sa == sim::kNever) == (sb == sim::kNever));
            if (sa == sim::kNever) break;
            REQUIRE(sa == Approx(sb).margin(1e-9));
            a.advance(ia, sa);
            b.advance(0, sa);
            a.fire(ia, sa);
            b.fire(0, sa);
            t = sa;
            ++spikes;
        }
        a.advance(ia, t_in);
        b.advance(0, t_in);
        const std::size_t p = port(rng);
        const double x = w(rng);
        a.receive(ia, p, x, t_in);
        b.receive(0, p, x, t_in);
        t = t_in;
        for (std::size_t v = 0; v < a.variables().size(); ++v)
            REQUIRE(a.value(ia, v, t) == Approx(b.value(0, v, t)).epsilon(1e-10).margin(1e-9));
    }
    return spikes;
}

}  // namespace

TEST_CASE("make_linear_population gives small stable modal systems the fixed-size core",
          "[models][small_linear]") {
    std::mt19937_64 rng(5);
    for (int n = 1; n <= 4; ++n) {
        auto p = models::make_linear_population("P", 1, random_spec(n, rng));
        CHECK(is_small(*p));
        CHECK(p->capabilities().batching != nullptr);  // t_ref > 0
    }
    LinearModelSpec big = random_spec(5, rng);
    CHECK(dynamic_cast<models::LinearPopulation*>(models::make_linear_population("P", 1, big).get()));
    LinearModelSpec jordan = random_spec(2, rng);  // a repeated rate without two eigenvectors: Schur
    jordan.a = Eigen::Matrix2d{{-0.2, 1.0}, {0.0, -0.2}};
    CHECK(dynamic_cast<models::LinearPopulation*>(models::make_linear_population("P", 1, jordan).get()));
    LinearModelSpec unstable = random_spec(2, rng);  // a growing mode: no decaying-term bounds
    unstable.a(1, 1) = 0.05;
    CHECK(dynamic_cast<models::LinearPopulation*>(models::make_linear_population("P", 1, unstable).get()));
    // lif_exp's equations: two ports each exciting the V mode and its own: superposed.
    auto lif = models::make_linear_population("P", 1, lif_two_currents(0.0, 5.0));
    REQUIRE(dynamic_cast<models::SmallLinear<3>*>(lif.get()));
    CHECK(lif->capabilities().superposition != nullptr);
    CHECK(lif->capabilities().bounds != nullptr);
    // lif_delta: one rate, so no bounds (the exact crossing is a logarithm), superposed.
    auto delta = testing::make_population("lif_delta", "D", 1);
    REQUIRE(dynamic_cast<models::SmallLinear<1>*>(delta.get()));
    CHECK(delta->capabilities().bounds == nullptr);
    CHECK(delta->capabilities().superposition != nullptr);
}

TEST_CASE("the fixed-size core follows the matrix exponential and the general population",
          "[models][small_linear]") {
    std::mt19937_64 rng(11);
    for (int n = 1; n <= 4; ++n)
        for (const bool dense : {false, true}) {
            INFO("n = " << n << (dense ? " dense" : " triangular"));
            LinearModelSpec s = random_spec(n, rng);
            if (dense) {  // the same rates in a mixed basis: A -> P A P^-1 (modes in Eigen's order, not the
                          // diagonal's)
                Eigen::MatrixXd p = Eigen::MatrixXd::Identity(n, n);
                std::uniform_real_distribution<double> m(-0.25, 0.25);
                for (int r = 0; r < n; ++r)
                    for (int c = 0; c < n; ++c) p(r, c) += m(rng);
                s.a = p * s.a * p.inverse();
                s.b = p * s.b;
            }
            auto small = models::make_linear_population("S", 1, s);
            REQUIRE(is_small(*small));
            models::LinearPopulation general("G", 1, s);
            // Free evolution from a random state against expm, at several times.
            Eigen::VectorXd x0 = Eigen::VectorXd::Zero(n);
            std::uniform_real_distribution<double> u(-0.5, 0.5);
            for (int k = 0; k < n; ++k) small->set_value(0, static_cast<std::size_t>(k), x0(k) = u(rng));
            for (double t : {0.0, 0.3, 2.0, 7.5, 40.0}) {
                const Eigen::VectorXd ref = expm_reference(s, x0, t);
                for (int k = 0; k < n; ++k)
                    CHECK(small->value(0, static_cast<std::size_t>(k), t) == Approx(ref(k)).margin(1e-12));
            }
            for (int k = 0; k < n; ++k) small->set_value(0, static_cast<std::size_t>(k), 0.0);
            const int spikes = compare_driven(*small, general, rng, 0.0, 0.9, 1.5, 400.0);
            CHECK(spikes > 10);
        }
}

TEST_CASE("the built-in lif_exp equals the general LinearPopulation on this file's equations",
          "[models][small_linear]") {
    // Same parameters (lif_exp's defaults, I_e = 300 pA, tau_syn_in = 5 ms); the oracle's
    // spec is written here (lif_two_currents), not taken from LifExp::spec.
    sim::ParamValues v;
    v.real["I_e_pA"] = 300.0;
    v.real["tau_syn_in_ms"] = 5.0;
    auto builtin = testing::make_population("lif_exp", "L", 1, v);
    REQUIRE(dynamic_cast<models::SmallLinear<3>*>(builtin.get()));
    models::LinearPopulation general("G", 1, lif_two_currents(300.0, 5.0));
    std::mt19937_64 rng(3);
    // Excitatory and inhibitory currents in pA, about two inputs per ms.
    const int spikes = compare_driven(*builtin, general, rng, -600.0, 900.0, 2.0, 400.0);
    CHECK(spikes > 20);
}

TEST_CASE("absorb refuses a slice whose late inhibitory input comes after a free crossing",
          "[models][small_linear][batching]") {
    // lif_delta-like, V_inf above threshold: the free V crosses at s* = 10 ln 2 ms; a strong
    // inhibitory input after it must not count against the crossing before it.
    LinearModelSpec s;
    s.name = "drift";
    s.variables = {{"V", "mV", ""}};
    s.ports = {{"ex", sim::PortKind::Input, ""}};
    s.a = Eigen::MatrixXd::Constant(1, 1, -0.1);
    s.b = Eigen::VectorXd::Constant(1, 2.0);  // V_inf = 20
    s.jumps = {Eigen::VectorXd::Ones(1)};
    s.theta = Eigen::RowVectorXd::Ones(1);
    s.theta_c = -10.0;  // V >= 10: from 0 at 10 ln 2 = 6.93 ms
    s.reset_m = Eigen::MatrixXd::Zero(1, 1);
    s.reset_c = Eigen::VectorXd::Zero(1);
    s.t_ref_ms = 1.0;
    s.clamped = {true};
    s.initial = Eigen::VectorXd::Zero(1);
    const sim::SliceInput in[2] = {{0.5, 0.01, 0, 0, 0, 0}, {9.0, -1000.0, 0, 0, 0, 0}};
    auto small = models::make_linear_population("S", 1, s);
    REQUIRE(small->capabilities().batching);
    CHECK(std::abs(small->next_spike(0, 0.0, 1e9) - 10.0 * std::log(2.0)) < 1e-12);
    CHECK_FALSE(small->capabilities().batching->absorb(0, in, 2, 1e9));
    CHECK(small->value(0, 0, 0.0) == 0.0);  // refused: unchanged
    models::LinearPopulation general("G", 1, s);
    REQUIRE(general.enable_batching());
    CHECK_FALSE(general.absorb(0, in, 2, 1e9));
}

TEST_CASE("absorb takes a slice across a refractory end and equals input-by-input processing",
          "[models][small_linear][batching]") {
    // Fired at 1 ms (refractory until 3 ms), not updated since: inputs before 3 ms are
    // applied on the refractory flow (no spike possible), those at or after it are
    // absorbed from the refractory end by the free proof.
    auto a = models::make_linear_population("A", 1, lif_two_currents(0.0, 5.0));
    auto b = models::make_linear_population("B", 1, lif_two_currents(0.0, 5.0));
    REQUIRE(a->capabilities().batching);
    for (auto* p : {a.get(), b.get()}) p->fire(0, 1.0);
    const sim::SliceInput in[4] = {{2.5, 100.0, 0, 0, 0, 0},
                                   {3.0, 200.0, 0, 0, 0, 0},
                                   {3.5, -80.0, 0, 0, 0, 1},
                                   {4.25, 150.0, 0, 0, 0, 0}};
    CHECK(a->capabilities().batching->absorb(0, in, 4, 1e9).has_value());
    for (const sim::SliceInput& x : in) {
        b->advance(0, x.t);
        b->receive(0, x.port, x.w, x.t);
    }
    for (std::size_t var = 0; var < 3; ++var) {
        const double va = a->value(0, var, 6.0), vb = b->value(0, var, 6.0);
        CHECK(std::abs(va - vb) <= 1e-12 * (std::abs(vb) + 1.0));
    }
    CHECK(std::abs(a->value(0, 0, 6.0) - (-65.0)) > 0.01);  // the inputs moved V
    // A jump onto a clamped variable while refractory is ignored (x_0 here), as receive
    // ignores it; every input before the refractory end: no proof needed, check from it.
    std::mt19937_64 rng(31);
    const LinearModelSpec r = random_spec(3, rng);
    auto c = models::make_linear_population("C", 1, r), d = models::make_linear_population("D", 1, r);
    REQUIRE(c->capabilities().batching);
    for (auto* p : {c.get(), d.get()}) p->fire(0, 1.0);  // refractory until 2 ms
    const sim::SliceInput ref[2] = {{1.25, 0.8, 0, 0, 0, 0}, {1.75, 0.6, 0, 0, 0, 0}};
    const sim::MaybeTime check = c->capabilities().batching->absorb(0, ref, 2, 1e9);
    REQUIRE(check.has_value());
    CHECK(*check >= 2.0);
    for (const sim::SliceInput& x : ref) {
        d->advance(0, x.t);
        d->receive(0, x.port, x.w, x.t);
    }
    for (double t : {1.8, 2.0, 3.0})
        for (std::size_t var = 0; var < 3; ++var) {
            const double vc = c->value(0, var, t), vd = d->value(0, var, t);
            CHECK(std::abs(vc - vd) <= 1e-12 * (std::abs(vd) + 1.0));
        }
    CHECK(std::abs(c->value(0, 0, 1.9)) < 1e-12);  // still clamped at the reset value
    CHECK(c->next_spike(0, 1.75, 1e9) == d->next_spike(0, 1.75, 1e9));
}

// settle on the slice grid (t = k h, as the engine's slices): a node left at a slice
// end and settled again m slices later steps with the core's table e^{lambda m h}
// (m <= 32) or, beyond, with std::exp; a node moved off the grid by an input taken
// alone steps from there. Every variable must equal input-by-input processing (each
// interval's own exponentials) to rounding.
TEST_CASE("settles m whole slices apart equal input-by-input processing to rounding",
          "[models][small_linear]") {
    const int n = 100;
    auto a = models::make_linear_population("A", n, lif_two_currents(0.0, 5.0));  // settle()
    auto b = models::make_linear_population("B", n, lif_two_currents(0.0, 5.0));  // one by one
    sim::Superposition* sup = a->capabilities().superposition;
    REQUIRE(sup);
    const sim::SliceKernel k = sup->slice_kernel();
    std::mt19937_64 rng(23);
    std::uniform_real_distribution<double> uni(0.0, 1.0);
    const double h = 0.1, horizon = 1e9;
    for (int i = 0; i < n; ++i) {
        std::int64_t slice = 0;  // the node is at slice_start(slice) (or just after it)
        double t_node = 0.0;
        for (int step = 0; step < 12; ++step) {
            const std::int64_t m = 1 + static_cast<std::int64_t>(rng() % 40);  // 33..40: past the table
            const std::int64_t k0 = slice + m - 1;
            const double t0 = static_cast<double>(k0) * h, t1 = static_cast<double>(k0 + 1) * h;
            const std::vector<sim::SliceInput> in = testing::small_slice_inputs(rng, t0, h);
            const sim::SliceSum sum = testing::slice_sum(k, in, t1);
            const double quiet = b->next_spike(i, t_node, horizon);
            sup->prepare_settle({t0, t1, quiet, horizon});
            REQUIRE(sup->settle(i, sum, {t0, t1, quiet, horizon}));  // far below threshold
            for (const auto& x : in) {
                b->advance(i, x.t);
                b->receive(i, x.port, x.w, x.t);
            }
            for (std::size_t var = 0; var < 3; ++var) {
                INFO("node " << i << " step " << step << " m " << m << " var " << var);
                REQUIRE(a->value(i, var, t1) == Approx(b->value(i, var, t1)).epsilon(1e-12).margin(1e-11));
            }
            slice = k0 + 1;
            t_node = t1;
            if (rng() % 4 == 0) {  // an input taken alone: the node leaves the grid
                const double t = t1 + 0.37 * h;
                for (auto* p : {a.get(), b.get()}) {
                    p->advance(i, t);
                    p->receive(i, 0, 25.0, t);
                }
                t_node = t;
                ++slice;
            }
        }
    }
}

// settle's backward bound (f(t1 - s) from f(t1)) must not miss a free crossing inside
// the slice that is over by t1: V rises through V_th (a strong decaying I_ex) and
// decays below it again before t1 = 10 ms.
TEST_CASE("settle refuses a slice whose free evolution crosses and returns below threshold",
          "[models][small_linear]") {
    auto a = models::make_linear_population("A", 1, lif_two_currents(0.0, 5.0));
    sim::Superposition* sup = a->capabilities().superposition;
    REQUIRE(sup);
    a->set_value(0, 0, -60.0);
    a->set_value(0, 1, 2500.0);  // V peaks near -48.2 mV at ~3.6 ms
    const double t0 = 0.0, t1 = 10.0, horizon = 1e9;
    const double cross = a->next_spike(0, t0, horizon);
    REQUIRE(cross > t0);
    REQUIRE(cross < t1);
    REQUIRE(a->value(0, 0, t1) < -50.0);
    const std::vector<sim::SliceInput> in = {{0.0, 1e-9, 0, 0, 0, 0}};
    const sim::SliceSum sum = testing::slice_sum(sup->slice_kernel(), in, t1);
    sup->prepare_settle({t0, t1, t0, horizon});  // quiet until t_first only
    CHECK_FALSE(sup->settle(0, sum, {t0, t1, t0, horizon}));
    CHECK(a->value(0, 0, t0) == -60.0);  // refused: unchanged
}

// Per-node reset values and refractory periods (LinearModelSpec::reset_c_node,
// t_ref_node): each node of one population against a population of one node with
// that node's values as the uniform ones, and the general LinearPopulation on the
// same per-node spec, every variable and spike time.
TEST_CASE("per-node reset values and refractory periods equal uniform populations node by node",
          "[models][small_linear]") {
    LinearModelSpec s = lif_two_currents(500.0, 5.0);  // V_inf = -45 mV: fires on its own
    const std::vector<double> v_reset = {-65.0, -58.0, -71.0}, t_ref = {2.0, 0.5, 3.5};
    for (const double v : v_reset) s.reset_c_node.push_back(Eigen::Vector3d{v, 0.0, 0.0});
    s.t_ref_node = t_ref;
    auto small = models::make_linear_population("P", 3, s);
    models::LinearPopulation general("G", 3, s);
    REQUIRE(is_small(*small));
    REQUIRE(small->capabilities().batching);
    for (sim::Index i = 0; i < 3; ++i) {
        LinearModelSpec u = lif_two_currents(500.0, 5.0);
        u.reset_c = Eigen::Vector3d{v_reset[i], 0.0, 0.0};
        u.t_ref_ms = t_ref[i];
        auto one = models::make_linear_population("U", 1, u);
        std::mt19937_64 rng(100 + i), rng2(100 + i);
        const int spikes = compare_driven(*small, *one, rng, -300.0, 400.0, 0.5, 200.0, i);
        CHECK(spikes >= 5);  // the resets and refractory periods were exercised
        auto one2 = models::make_linear_population("U2", 1, u);
        CHECK(compare_driven(general, *one2, rng2, -300.0, 400.0, 0.5, 200.0, i) == spikes);
    }
    // Bad per-node values: a clear error, not a crash.
    LinearModelSpec bad = s;
    bad.t_ref_node = {1.0, 2.0};
    CHECK_THROWS_AS(models::make_linear_population("B", 3, bad), sim::UserError);
    bad = s;
    bad.t_ref_node[1] = -1.0;
    CHECK_THROWS_AS(models::make_linear_population("B", 3, bad), sim::UserError);
    bad = s;
    bad.reset_c_node.pop_back();
    CHECK_THROWS_AS(models::make_linear_population("B", 3, bad), sim::UserError);
}

// Per-node threshold, drive and initial state (LinearModelSpec::theta_c_node, b_node,
// initial_node: lif_exp's V_th, E_L and I_e per node): each node against a population
// of one node with that node's values as the uniform ones, SmallLinear and the general
// LinearPopulation, every variable and spike time. The spec's own values are those of
// no node, and in the second round its equilibrium sits at its threshold (the reference
// moves: node_offsets).
TEST_CASE("per-node thresholds, drives and initial states equal uniform populations node by node",
          "[models][small_linear]") {
    const double c_m = 250.0, tau_m = 10.0;
    const std::vector<double> e_l = {-65.0, -60.0, -70.0}, i_e = {500.0, 300.0, 700.0},
                              v_th = {-50.0, -47.0, -55.0}, v0 = {-65.0, -52.0, -58.0};
    for (const double base_i_e : {100.0, 375.0}) {  // 375 pA: V_inf = -50 mV = V_th, the reference
        LinearModelSpec s = lif_two_currents(base_i_e, 5.0);
        s.t_ref_node = {2.0, 0.5, 3.5};
        for (std::size_t i = 0; i < 3; ++i) {
            s.b_node.push_back(Eigen::Vector3d{e_l[i] / tau_m + i_e[i] / c_m, 0.0, 0.0});
            s.theta_c_node.push_back(-v_th[i]);
            s.initial_node.push_back(Eigen::Vector3d{v0[i], 0.0, 0.0});
            s.reset_c_node.push_back(Eigen::Vector3d{e_l[i] - 2.0, 0.0, 0.0});
        }
        auto small = models::make_linear_population("P", 3, s);
        models::LinearPopulation general("G", 3, s);
        REQUIRE(is_small(*small));
        REQUIRE(small->capabilities().batching);
        for (sim::Index i = 0; i < 3; ++i) {
            LinearModelSpec u = lif_two_currents(0.0, 5.0);
            u.b = s.b_node[i];
            u.theta_c = -v_th[i];
            u.initial = s.initial_node[i];
            u.reset_c = s.reset_c_node[i];
            u.t_ref_ms = s.t_ref_node[i];
            for (std::size_t var = 0; var < 3; ++var) {
                INFO("base " << base_i_e << " node " << i << " var " << var);
                auto one = models::make_linear_population("U", 1, u);
                CHECK(small->value(i, var, 0.0) == Approx(one->value(0, var, 0.0)).epsilon(1e-14));
                CHECK(general.value(i, var, 0.0) == Approx(one->value(0, var, 0.0)).epsilon(1e-14));
            }
            auto one = models::make_linear_population("U", 1, u);
            std::mt19937_64 rng(200 + i), rng2(200 + i);
            const int spikes = compare_driven(*small, *one, rng, -300.0, 400.0, 0.5, 200.0, i);
            CHECK(spikes >= 5);  // the per-node thresholds and resets were exercised
            auto one2 = models::make_linear_population("U2", 1, u);
            CHECK(compare_driven(general, *one2, rng2, -300.0, 400.0, 0.5, 200.0, i) == spikes);
            // set_value and value round-trip through the node's offset.
            std::vector<std::unique_ptr<sim::Population>> both;
            both.push_back(models::make_linear_population("F", 3, s));
            both.push_back(std::make_unique<models::LinearPopulation>("F", 3, s));
            for (const auto& fresh : both) {
                fresh->set_value(i, 1, 40.0);
                fresh->set_value(i, 0, -51.25);
                CHECK(fresh->value(i, 0, 0.0) == Approx(-51.25).epsilon(1e-14));
                CHECK(fresh->value(i, 1, 0.0) == Approx(40.0).epsilon(1e-14));
                CHECK(fresh->value(i, 2, 0.0) == Approx(0.0).margin(1e-12));
            }
        }
    }
    // Bad per-node values: a clear error, not a crash.
    LinearModelSpec s = lif_two_currents(0.0, 5.0);
    s.theta_c_node = {50.0, 49.0};
    CHECK_THROWS_AS(models::make_linear_population("B", 3, s), sim::UserError);
    s.theta_c_node = {50.0, std::nan(""), 49.0};
    CHECK_THROWS_AS(models::make_linear_population("B", 3, s), sim::UserError);
    s = lif_two_currents(0.0, 5.0);
    s.b_node = {s.b, s.b};
    CHECK_THROWS_AS(models::make_linear_population("B", 3, s), sim::UserError);
    s.b_node = {s.b, Eigen::Vector2d{1.0, 0.0}, s.b};
    CHECK_THROWS_AS(models::make_linear_population("B", 3, s), sim::UserError);
    s = lif_two_currents(0.0, 5.0);
    s.initial_node = {s.initial};
    CHECK_THROWS_AS(models::make_linear_population("B", 3, s), sim::UserError);
    // A drive on a variable without leak (I_ex without decay) has no equilibrium to shift.
    s = lif_two_currents(0.0, 5.0);
    s.a(1, 1) = 0.0;
    s.b_node = {s.b, Eigen::Vector3d{s.b(0), 0.1, 0.0}};
    CHECK_THROWS_AS(models::make_linear_population("B", 2, s), sim::UserError);
    CHECK_THROWS_AS(models::LinearPopulation("B", 2, s), sim::UserError);
}

TEST_CASE("absorb under headroom equals input-by-input processing and never hides a crossing",
          "[models][small_linear][batching][headroom]") {
    // Below rheobase, every absorb's "never" leaves headroom; later slices within it are
    // applied without a proof and must lower it: the inputs add up until the node would
    // cross, which the exact search on an input-by-input twin finds. An absorb that
    // still says "never" then (H not lowered) fails here.
    auto a = models::make_linear_population("A", 1, lif_two_currents(0.0, 5.0));
    auto b = models::make_linear_population("B", 1, lif_two_currents(0.0, 5.0));
    REQUIRE(a->capabilities().batching);
    int nevers = 0;
    bool crossed = false;
    for (int step = 0; step < 400 && !crossed; ++step) {
        const double t = 0.2 * (step + 1);
        const sim::SliceInput in[3] = {
            {t, 60.0, 0, 0, 0, 0}, {t + 0.05, -20.0, 0, 0, 0, 1}, {t + 0.1, 60.0, 0, 0, 0, 0}};
        for (const sim::SliceInput& x : in) {
            b->advance(0, x.t);
            b->receive(0, x.port, x.w, x.t);
        }
        const sim::Time exact = b->next_spike(0, t + 0.1, 1e9);
        crossed = exact != sim::kNever;
        const sim::MaybeTime check = a->capabilities().batching->absorb(0, in, 3, 1e9);
        if (!check) {  // refused: the twin must be able to cross, state unchanged
            REQUIRE(crossed);
            break;
        }
        REQUIRE(*check <= exact);  // a "never" only where the exact search finds none
        nevers += *check == sim::kNever;
        for (std::size_t var = 0; var < 3; ++var) {
            const double va = a->value(0, var, t + 0.1), vb = b->value(0, var, t + 0.1);
            REQUIRE(std::abs(va - vb) <= 1e-10 * (std::abs(vb) + 1.0));
        }
    }
    CHECK(crossed);      // the inputs did reach threshold
    CHECK(nevers > 10);  // and many slices before were taken as "never"
}
