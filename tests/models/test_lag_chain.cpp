// Wilson's lag chain (models/lag_chain.hpp): Erlang impulse response, moments,
// convergence to a pure delay, exact propagator, charge under a change of D.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>
#include <unsupported/Eigen/MatrixFunctions>
#include <vector>

#include "models/lag_chain.hpp"

using namespace delaysim::models;

namespace {

// Moments of the chain's impulse response by composite Simpson on [0, t_max].
struct Moments {
    double mass, mean, sd;
};
Moments moments(int n, double d) {
    const double t_max = d * (1.0 + 40.0 / std::sqrt(n)) + 40.0 * d / n;
    const int steps = 20000;
    const double h = t_max / steps;
    double m0 = 0, m1 = 0, m2 = 0;
    for (int k = 0; k <= steps; ++k) {
        const double t = k * h, w = (k == 0 || k == steps) ? 1.0 : (k % 2 ? 4.0 : 2.0);
        const double r = chain_impulse_response(n, d, t);
        m0 += w * r;
        m1 += w * r * t;
        m2 += w * r * t * t;
    }
    m0 *= h / 3;
    m1 *= h / 3;
    m2 *= h / 3;
    const double mean = m1 / m0;
    return {m0, mean, std::sqrt(m2 / m0 - mean * mean)};
}

// Argmax of the impulse response by golden-section search on [0, 2d].
double peak_time(int n, double d) {
    double lo = 0.0, hi = 2.0 * d;
    const double g = (std::sqrt(5.0) - 1.0) / 2.0;
    for (int it = 0; it < 200 && hi - lo > 1e-13; ++it) {
        const double a = hi - g * (hi - lo), b = lo + g * (hi - lo);
        if (chain_impulse_response(n, d, a) < chain_impulse_response(n, d, b))
            lo = a;
        else
            hi = b;
    }
    return 0.5 * (lo + hi);
}

}  // namespace

TEST_CASE("lag chain impulse response is the Erlang pdf", "[lag]") {
    for (int n : {1, 2, 8, 64})
        for (double d : {0.3, 2.0, 15.0}) {
            const double tau = d / n;
            const double peak = erlang_pdf(n, tau, (n - 1) * tau);
            double err = 0.0;
            for (int k = 0; k <= 4000; ++k) {
                const double t = k * 5.0 * d / 4000;
                err = std::max(err, std::abs(chain_impulse_response(n, d, t) - erlang_pdf(n, tau, t)));
            }
            std::printf("Erlang N=%2d D=%5.1f  max|err|/peak = %.2e\n", n, d, err / peak);
            CHECK(err / peak < 1e-9);
        }
}

TEST_CASE("lag chain impulse response has mean D and standard deviation D/sqrt(N)", "[lag]") {
    for (int n : {1, 2, 8, 64})
        for (double d : {0.5, 2.0, 10.0}) {
            const Moments m = moments(n, d);
            std::printf("moments N=%2d D=%4.1f  mass-1=%.1e  mean-D=%.1e  sd-D/sqrtN=%.1e\n", n, d,
                        m.mass - 1.0, m.mean - d, m.sd - d / std::sqrt(n));
            CHECK(std::abs(m.mass - 1.0) < 1e-6);
            CHECK(std::abs(m.mean - d) < 1e-6);
            CHECK(std::abs(m.sd - d / std::sqrt(n)) < 1e-6);
        }
}

TEST_CASE("as N grows the chain approaches an axonal delay D", "[lag]") {
    const double d = 4.0;
    double prev_sd = 1e300, prev_gap = 1e300, prev_near = 0.0;
    for (int n : {1, 2, 4, 8, 16, 32, 64}) {
        const double tp = peak_time(n, d);
        const Moments m = moments(n, d);
        // Mass within D +- 10% (an axonal delay puts all of it at D).
        double near = 0.0;
        const int steps = 4000;
        const double h = 0.2 * d / steps;
        for (int k = 0; k <= steps; ++k) {
            const double w = (k == 0 || k == steps) ? 1.0 : (k % 2 ? 4.0 : 2.0);
            near += w * chain_impulse_response(n, d, 0.9 * d + k * h);
        }
        near *= h / 3;
        std::printf("N=%2d  peak %.6f ms (expected %.6f)  sd %.4f ms  mass in D+-10%% %.4f\n", n, tp,
                    (n - 1) * d / n, m.sd, near);
        CHECK(std::abs(tp - (n - 1) * d / n) < 1e-6);
        CHECK(m.sd < prev_sd);
        CHECK(d - tp < prev_gap + 1e-12);
        CHECK(near > prev_near);
        prev_near = near;
        prev_sd = m.sd;
        prev_gap = d - tp;
        if (n == 64) CHECK(near > 0.55);
    }
}

TEST_CASE("lag chain propagator matches the matrix exponential", "[lag]") {
    // y = (u, x_1..x_n): A has -r_u, -a on the diagonal and a below it.
    double worst = 0.0;
    for (int n : {1, 3, 8, 64})
        for (double ru : {0.1, 2.0, n / 2.0, n / 2.0 * (1 + 1e-9), 50.0})
            for (double x : {1e-4, 0.37, 3.0, 20.0}) {
                const double a = n / 2.0;  // D = 2 ms; ru == a included
                Eigen::MatrixXd A = Eigen::MatrixXd::Zero(n + 1, n + 1);
                A(0, 0) = -ru;
                for (int k = 1; k <= n; ++k) {
                    A(k, k) = -a;
                    A(k, k - 1) = a;
                }
                Eigen::VectorXd y0(n + 1);
                for (int k = 0; k <= n; ++k) y0(k) = 1.0 + 0.5 * std::sin(k);
                const Eigen::VectorXd ref = (A * x).exp() * y0;
                std::vector<double> y(y0.data(), y0.data() + n + 1), work(n + 1);
                chain_propagate(y.data(), n, ru, a, x, work.data());
                double err = 0.0;
                for (int k = 0; k <= n; ++k) err = std::max(err, std::abs(y[k] - ref(k)));
                worst = std::max(worst, err / ref.cwiseAbs().maxCoeff());
            }
    std::printf("propagator vs Eigen expm: max error relative to max|y| = %.2e\n", worst);
    CHECK(worst < 1e-12);
}

TEST_CASE("a change of D keeps the chain's charge", "[lag]") {
    const int n = 8;
    const double ru = 2.0, tau_u = 1.0 / ru;
    std::vector<double> y(n + 1, 0.0), work(n + 1);
    y[0] = 1.0;  // a spike on the port
    double d = 2.0;
    chain_propagate(y.data(), n, ru, n / d, 1.3, work.data());
    const double q_before = chain_charge(y.data(), n, d / n);
    const double d_new = 3.5;
    rescale_for_new_tau(y.data(), n, d / n, d_new / n);
    d = d_new;
    const double q_after = chain_charge(y.data(), n, d / n);
    std::printf("charge before %.15f after %.15f\n", q_before, q_after);
    CHECK(std::abs(q_after - q_before) <= 1e-15 * q_before);
    // The charge is what is still to come out: int_t^inf x_N = Q + u tau_u.
    const double expected = q_after + y[0] * tau_u;
    const int steps = 40000;
    const double h = 80.0 / steps;
    double out = 0.0;
    for (int k = 0; k <= steps; ++k) {
        std::vector<double> z = y;
        chain_propagate(z.data(), n, ru, n / d, k * h, work.data());
        out += ((k == 0 || k == steps) ? 1.0 : (k % 2 ? 4.0 : 2.0)) * z[n];
    }
    out *= h / 3;
    std::printf("future output %.12f expected %.12f\n", out, expected);
    CHECK(std::abs(out - expected) < 1e-9);
}
