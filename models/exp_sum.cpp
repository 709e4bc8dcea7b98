#include "models/exp_sum.hpp"

#include <algorithm>
#include <boost/container/static_vector.hpp>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace delaysim::models {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
using Terms = boost::container::static_vector<ExpTerm, kMaxExpTerms>;
using Points = boost::container::static_vector<double, kMaxExpTerms + 1>;

// Sort by rate, merge equal rates, drop zero coefficients.
Terms normalise(Terms t) {
    std::sort(t.begin(), t.end(), [](const ExpTerm& a, const ExpTerm& b) { return a.r < b.r; });
    Terms out;
    for (const ExpTerm& x : t) {
        if (!out.empty() && out.back().r == x.r)
            out.back().c += x.c;
        else
            out.push_back(x);
    }
    out.erase(std::remove_if(out.begin(), out.end(), [](const ExpTerm& x) { return x.c == 0.0; }), out.end());
    return out;
}

// g(x) = f(x) * exp(r_0 x): same sign as f, without underflow for large x.
double scaled(const Terms& t, double x) {
    double s = 0.0;
    for (const ExpTerm& k : t) s += k.c * std::exp(-(k.r - t.front().r) * x);
    return s;
}

// Newton steps kept inside a bracket [lo, hi] with g(lo) and g(hi) of opposite
// signs (bisection when a step would leave it); returns the end of the final
// bracket where g has the sign of g(hi), within ~1e-15 relative of the zero.
double refine(const Terms& t, double lo, double hi, double g_lo, double g_hi) {
    const bool hi_sign = g_hi >= 0.0;
    double x = lo - g_lo * (hi - lo) / (g_hi - g_lo);  // secant start
    if (!(x > lo && x < hi)) x = 0.5 * (lo + hi);
    for (int it = 0; it < 100; ++it) {
        const double tol = 1e-15 * std::max(1.0, std::abs(hi)) + 1e-300;
        if (hi - lo <= tol) break;
        double g = 0.0, dg = 0.0;
        for (const ExpTerm& k : t) {
            const double r = k.r - t.front().r, e = k.c * std::exp(-r * x);
            g += e;
            dg -= r * e;
        }
        ((g >= 0.0) == hi_sign ? hi : lo) = x;
        double next = dg != 0.0 ? x - g / dg : 0.5 * (lo + hi);
        if (!(next > lo && next < hi)) next = 0.5 * (lo + hi);
        if (std::abs(next - x) < tol) {
            // Newton has converged: close the bracket around the zero from both sides.
            for (const double probe : {next - tol, next + tol})
                if (probe > lo && probe < hi) ((scaled(t, probe) >= 0.0) == hi_sign ? hi : lo) = probe;
            next = 0.5 * (lo + hi);
        }
        x = next;
    }
    return hi;
}

// All points in (lo, hi) where f changes sign, ascending.
Terms derivative(const Terms& t) {
    Terms d;
    for (std::size_t k = 1; k < t.size(); ++k) {
        const double rk = t[k].r - t.front().r;
        d.push_back({-rk * t[k].c, rk});
    }
    return normalise(d);
}

Points sign_changes(const Terms& t, double lo, double hi) {
    if (t.size() < 2) return {};
    // Derivative of g: the slowest term is constant in g and disappears.
    Points pts{lo};
    for (double x : sign_changes(derivative(t), lo, hi)) pts.push_back(x);
    pts.push_back(hi);
    Points roots;
    for (std::size_t k = 0; k + 1 < pts.size(); ++k) {
        const double a = pts[k], b = pts[k + 1];
        const double ga = scaled(t, a), gb = scaled(t, b);
        if ((ga < 0.0 && gb >= 0.0) || (ga >= 0.0 && gb < 0.0)) roots.push_back(refine(t, a, b, ga, gb));
    }
    return roots;
}

}  // namespace

double exp_sum(const std::vector<ExpTerm>& terms, double x) {
    double s = 0.0;
    for (const ExpTerm& k : terms) s += k.c * std::exp(-k.r * x);
    return s;
}

double first_crossing(const ExpTerm* terms, std::size_t n, double x_max) {
    if (n > kMaxExpTerms) throw std::length_error("first_crossing: too many exponential terms");
    const Terms t = normalise(Terms(terms, terms + n));
    if (t.empty()) return 0.0;  // f == 0 >= 0
    if (scaled(t, 0.0) >= 0.0) return 0.0;
    if (!(x_max > 0.0)) return kInf;
    if (t.size() == 1) return kInf;
    // g is monotone between consecutive zeros of g'; the first piece whose end is
    // >= 0 holds the crossing.
    Points pts{0.0};
    for (double x : sign_changes(derivative(t), 0.0, x_max)) pts.push_back(x);
    pts.push_back(x_max);
    double g_prev = scaled(t, 0.0);
    for (std::size_t k = 1; k < pts.size(); ++k) {
        const double g = scaled(t, pts[k]);
        if (g >= 0.0) return refine(t, pts[k - 1], pts[k], g_prev, g);
        g_prev = g;
    }
    return kInf;
}

}  // namespace delaysim::models
