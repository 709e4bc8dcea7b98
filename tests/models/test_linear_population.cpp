// The generic linear population against an independent reference: Eigen's matrix
// exponential of the augmented system, evaluated directly, and a fine scan plus
// bisection for the first crossing. Random systems in all three situations the
// population distinguishes: triangular (modal), a general real-eigenvalue matrix
// (modal, non-normal basis), and a Jordan block (Schur form).
#include <catch2/catch.hpp>
#include <cmath>
#include <random>

#include "models/linear_population.hpp"
#include "sim/error.hpp"
#include "tests/models/linear_reference.hpp"

using namespace delaysim;
using models::LinearFlow;
using models::LinearModelSpec;
using models::LinearPopulation;
using testing::expm_reference;

namespace {

// n variables, threshold x_0 >= th, one port adding to every variable, reset x_0 = 0.
LinearModelSpec spec_for(const Eigen::MatrixXd& a, const Eigen::VectorXd& b, double th) {
    const Eigen::Index n = a.rows();
    LinearModelSpec s;
    s.name = "test_linear";
    for (Eigen::Index k = 0; k < n; ++k) s.variables.push_back({"x" + std::to_string(k), "1", ""});
    s.ports = {{"in", sim::PortKind::Input, ""}};
    s.a = a;
    s.b = b;
    s.jumps = {Eigen::VectorXd::Ones(n)};
    s.theta = Eigen::RowVectorXd::Zero(n);
    s.theta(0) = 1.0;
    s.theta_c = -th;
    s.reset_m = Eigen::MatrixXd::Identity(n, n);
    s.reset_m(0, 0) = 0.0;
    s.reset_c = Eigen::VectorXd::Zero(n);
    s.clamped.assign(static_cast<std::size_t>(n), false);
    s.initial = Eigen::VectorXd::Zero(n);
    return s;
}

// First t in [0, t_max] with x_0(t) >= th: scan in steps of dt, then bisect.
double reference_crossing(const LinearModelSpec& s, const Eigen::VectorXd& x0, double t_max, double dt) {
    auto f = [&](double t) { return s.theta.dot(expm_reference(s, x0, t)) + s.theta_c; };
    if (f(0) >= 0) return 0;
    for (double t = dt; t <= t_max; t += dt) {
        if (f(t) < 0) continue;
        double lo = t - dt, hi = t;
        for (int k = 0; k < 100; ++k) (f(0.5 * (lo + hi)) >= 0 ? hi : lo) = 0.5 * (lo + hi);
        return hi;
    }
    return sim::kNever;
}

struct Case {
    const char* what;
    Eigen::MatrixXd a;
    LinearFlow::Form form;
};

std::vector<Case> cases(std::mt19937_64& rng) {
    std::uniform_real_distribution<double> u(-1.0, 1.0);
    std::vector<Case> out;
    Eigen::MatrixXd tri = Eigen::MatrixXd::Zero(4, 4);  // a neuron with three synaptic traces
    tri.diagonal() << -0.1, -0.5, -0.2, -1.3;
    tri.row(0).tail(3) << 0.4, 0.3, -0.6;
    out.push_back({"triangular", tri, LinearFlow::Form::Modal});
    Eigen::MatrixXd s = Eigen::MatrixXd::Identity(3, 3);  // S D S^-1: coupled, non-normal
    for (int i = 0; i < 3; ++i)
        for (int j = 0; j < 3; ++j) s(i, j) += 0.4 * u(rng);
    out.push_back({"general", s * Eigen::Vector3d(-0.05, -0.3, -0.9).asDiagonal() * s.inverse(),
                   LinearFlow::Form::Modal});
    Eigen::MatrixXd jordan(3, 3);  // tau_syn = tau_m twice over: a 3x3 Jordan block
    jordan << -0.2, 0.5, 0.0, 0.0, -0.2, 0.7, 0.0, 0.0, -0.2;
    out.push_back({"Jordan block", jordan, LinearFlow::Form::Schur});
    return out;
}

}  // namespace

TEST_CASE("linear population: values equal the matrix exponential", "[models][linear]") {
    std::mt19937_64 rng(3);
    std::uniform_real_distribution<double> u(-1.0, 1.0);
    for (const Case& c : cases(rng)) {
        INFO(c.what);
        const Eigen::Index n = c.a.rows();
        Eigen::VectorXd b(n);
        for (Eigen::Index k = 0; k < n; ++k) b(k) = 0.1 * u(rng);
        const LinearModelSpec spec = spec_for(c.a, b, 1e9);
        LinearPopulation p("P", 1, spec);
        CHECK(p.form() == c.form);
        Eigen::VectorXd x0(n);
        for (Eigen::Index k = 0; k < n; ++k) {
            x0(k) = 3.0 * u(rng);
            p.set_value(0, static_cast<std::size_t>(k), x0(k));
        }
        for (double t : {0.0, 0.01, 0.7, 3.0, 25.0}) {
            const Eigen::VectorXd ref = expm_reference(spec, x0, t);
            for (Eigen::Index k = 0; k < n; ++k)
                CHECK(std::abs(p.value(0, static_cast<std::size_t>(k), t) - ref(k)) <=
                      1e-12 * (1 + ref.norm()));
        }
        // advance in pieces = one step (the flow is a semigroup).
        p.advance(0, 1.3);
        p.advance(0, 4.0);
        const Eigen::VectorXd ref = expm_reference(spec, x0, 4.0);
        CHECK(std::abs(p.value(0, 0, 4.0) - ref(0)) <= 1e-12 * (1 + ref.norm()));
    }
}

TEST_CASE("linear population: next_spike equals a fine scan of the matrix exponential", "[models][linear]") {
    std::mt19937_64 rng(5);
    std::uniform_real_distribution<double> u(-1.0, 1.0);
    for (const Case& c : cases(rng)) {
        INFO(c.what);
        const Eigen::Index n = c.a.rows();
        const LinearModelSpec spec = spec_for(c.a, Eigen::VectorXd::Zero(n), 0.5);
        LinearPopulation p("P", 1, spec);
        int crossings = 0;
        for (int trial = 0; trial < 40; ++trial) {
            Eigen::VectorXd x0(n);
            for (Eigen::Index k = 0; k < n; ++k) x0(k) = 2.0 * u(rng);
            x0(0) = std::min(x0(0), 0.4);  // below threshold at the start
            for (Eigen::Index k = 0; k < n; ++k) p.set_value(0, static_cast<std::size_t>(k), x0(k));
            const double t = p.next_spike(0, 0.0, 60.0), ref = reference_crossing(spec, x0, 60.0, 0.01);
            INFO("trial " << trial << " exact " << t << " scan " << ref);
            // The check time never passes the crossing; an exact answer is the crossing.
            const sim::Bound bound = p.spike_bound(0, 0.0, 60.0);
            CHECK(bound.t <= t);
            if (bound.exact) CHECK(bound.t == t);
            if (std::isfinite(ref)) {
                ++crossings;
                CHECK(std::abs(t - ref) < 1e-9);
            } else {
                CHECK(t == sim::kNever);  // (a crossing narrower than the scan step would show here)
            }
        }
        CHECK(crossings >= 5);
        CHECK(crossings <= 35);
    }
}

TEST_CASE("linear population: refractoriness clamps, drops clamped inputs, resets affinely",
          "[models][linear]") {
    // x0: membrane-like (clamped), x1: a current that keeps decaying and receiving input.
    Eigen::MatrixXd a(2, 2);
    a << -0.1, 0.2, 0.0, -0.5;
    LinearModelSpec spec = spec_for(a, Eigen::Vector2d(0.0, 0.0), 1.0);
    spec.t_ref_ms = 2.0;
    spec.clamped = {true, false};
    spec.reset_c(0) = -0.3;
    spec.reset_m(1, 1) = 0.5;  // x1 halves at a spike
    LinearPopulation p("P", 1, spec);
    p.set_value(0, 0, 1.2);
    p.set_value(0, 1, 4.0);
    CHECK(p.next_spike(0, 0.0, 10.0) == 0.0);  // at threshold now
    p.fire(0, 0.0);
    CHECK(p.value(0, 0, 0.0) == -0.3);
    CHECK(p.value(0, 1, 0.0) == 2.0);
    p.advance(0, 1.0);
    p.receive(0, 0, 1.0, 1.0);  // x0 part dropped, x1 += 1
    CHECK(p.value(0, 0, 1.9) == -0.3);
    const double x1_at_2 = 2.0 * std::exp(-1.0) + std::exp(-0.5);
    CHECK(std::abs(p.value(0, 1, 2.0) - x1_at_2) < 1e-13);
    // After the period both evolve from (x0 = -0.3, x1(2)).
    const Eigen::Vector2d ref = expm_reference(spec, Eigen::Vector2d(-0.3, x1_at_2), 3.0);
    CHECK(std::abs(p.value(0, 0, 5.0) - ref(0)) < 1e-13);
    CHECK(std::abs(p.value(0, 1, 5.0) - ref(1)) < 1e-13);
    CHECK(p.next_spike(0, 1.0, 100.0) >= 2.0);  // no spike while refractory
}

TEST_CASE("linear population: complex eigenvalues are refused with a reason", "[models][linear][bad_input]") {
    Eigen::MatrixXd a(2, 2);
    a << 0.0, 1.0, -1.0, -0.1;  // damped oscillator
    try {
        LinearPopulation p("P", 1, spec_for(a, Eigen::Vector2d::Zero(), 1.0));
        FAIL("no error");
    } catch (const sim::UserError& e) {
        CHECK_THAT(e.what(), Catch::Contains("complex eigenvalues") && Catch::Contains("-0.05 + 0.99"));
    }
}
