#include "models/lag_chain.hpp"

#include <array>
#include <cmath>

#include "sim/error.hpp"

namespace delaysim::models {
namespace {

// log(m!) for m = 0..2*kMaxLagStages+2.
double log_factorial(int m) {
    static const auto table = [] {
        std::array<double, 2 * kMaxLagStages + 3> t{};
        for (std::size_t i = 0; i < t.size(); ++i) t[i] = std::lgamma(static_cast<double>(i) + 1.0);
        return t;
    }();
    return m < static_cast<int>(table.size()) ? table[static_cast<std::size_t>(m)]
                                              : std::lgamma(static_cast<double>(m) + 1.0);
}

// The series converge for every y but need ~y terms; past k + 40 the recurrences
// (stable there, and P, G stay in [1/2, 1]) take over.
bool use_series(int k, double y) {
    return y <= static_cast<double>(k) + 40.0;
}

// E(k, y) = int_0^1 e^{-y th} th^{k-1}/(k-1)! d th = P(k, y) / y^k,  y >= 0.
double log_e(int k, double y) {
    if (use_series(k, y)) {  // e^{-y} sum_n y^n / (k+n)!
        double s = 1.0, t = 1.0;
        for (int n = 0; n < 2000; ++n) {
            t *= y / (k + n + 1);
            s += t;
            if (t < 1e-17 * s && n > y) break;
        }
        return -y + std::log(s) - log_factorial(k);
    }
    double q = 0.0;  // e^{-y} sum_{j<k} y^j/j!, small here
    for (int j = 0; j < k; ++j) q += std::exp(-y + j * std::log(y) - log_factorial(j));
    return std::log1p(-q) - k * std::log(y);
}

// F(k, y) = int_0^1 e^{-y (1-th)} th^{k-1}/(k-1)! d th,  y >= 0.
double log_f(int k, double y) {
    if (use_series(k, y)) {  // e^{-y} sum_n y^n / (n! (n+k) (k-1)!)
        double s = 1.0, t = 1.0;
        for (int n = 0; n < 2000; ++n) {
            t *= y * (n + k) / ((n + 1.0) * (n + k + 1.0));
            s += t;
            if (t < 1e-17 * s && n > y) break;
        }
        return -y + std::log(s) - log_factorial(k);
    }
    // G_j = F(j, y) y (j-1)!:  G_1 = 1 - e^{-y},  G_j = 1 - G_{j-1} (j-1)/y.
    double g = -std::expm1(-y);
    for (int j = 2; j <= k; ++j) g = 1.0 - g * (j - 1) / y;
    return std::log(g) - std::log(y) - log_factorial(k - 1);
}

}  // namespace

double confluent_dd(int k, double rp, double rq, double x, double c) {
    DS_ASSERT(k >= 0 && x >= 0.0 && c > 0.0);
    if (k == 0) return std::exp(-rp * x);
    if (x == 0.0) return 0.0;
    const double lead = k * std::log(c * x);
    if (rq >= rp) return std::exp(lead - rp * x + log_e(k, x * (rq - rp)));
    return std::exp(lead - rq * x + log_f(k, x * (rp - rq)));
}

void chain_propagate(double* y, int n, double r_u, double a, double x, double* work) {
    if (x == 0.0) return;
    DS_ASSERT(x > 0.0 && n >= 1);
    const double lax = std::log(a * x);
    for (int m = 0; m < n; ++m) work[m] = std::exp(m * lax - log_factorial(m) - a * x);
    const double u0 = y[0];
    for (int i = n; i >= 1; --i) {  // descending: x_i needs the old x_1..x_i
        double s = 0.0;
        for (int j = 1; j <= i; ++j) s += work[i - j] * y[j];
        if (u0 != 0.0) s += u0 * confluent_dd(i, r_u, a, x, a);
        y[i] = s;
    }
    y[0] = u0 * std::exp(-r_u * x);
}

double erlang_pdf(int n, double tau, double t) {
    if (t <= 0.0) return n == 1 && t == 0.0 ? 1.0 / tau : 0.0;
    return std::exp((n - 1) * std::log(t) - t / tau - n * std::log(tau) - log_factorial(n - 1));
}

double chain_impulse_response(int n, double d, double t) {
    double y[kMaxLagStages + 1] = {}, work[kMaxLagStages + 1];
    const double tau = d / n;
    y[1] = 1.0 / tau;
    chain_propagate(y, n, 1.0, 1.0 / tau, t, work);
    return y[n];
}

double chain_charge(const double* y, int n, double tau_c) {
    double s = 0.0;
    for (int k = 1; k <= n; ++k) s += y[k];
    return tau_c * s;
}

void rescale_for_new_tau(double* y, int n, double tau_old, double tau_new) {
    const double f = tau_old / tau_new;
    for (int k = 1; k <= n; ++k) y[k] *= f;
}

}  // namespace delaysim::models
