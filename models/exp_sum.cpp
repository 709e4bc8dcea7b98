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

// Sort by rate, merge equal rates, drop zero coefficients. In place, by insertion
// (at most kMaxExpTerms terms, usually 3 or 4: std::sort and the copies cost more).
Terms normalise(const ExpTerm* in, std::size_t n) {
    Terms t;
    for (std::size_t k = 0; k < n; ++k) {
        std::size_t j = t.size();
        t.push_back(in[k]);
        for (; j > 0 && in[k].r < t[j - 1].r; --j) t[j] = t[j - 1];
        t[j] = in[k];
    }
    std::size_t m = 0;
    for (std::size_t k = 0; k < t.size(); ++k) {
        if (m > 0 && t[m - 1].r == t[k].r)
            t[m - 1].c += t[k].c;
        else
            t[m++] = t[k];
    }
    t.resize(m);
    t.erase(std::remove_if(t.begin(), t.end(), [](const ExpTerm& x) { return x.c == 0.0; }), t.end());
    return t;
}

// g(x) = f(x) * exp(r_0 x): same sign as f, without underflow for large x. The
// slowest term is constant in g: no exponential for it (the same sum, bit for bit).
double scaled(const Terms& t, double x) {
    double s = t.front().c;
    for (std::size_t k = 1; k < t.size(); ++k) s += t[k].c * std::exp(-(t[k].r - t.front().r) * x);
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
        double g = t.front().c, dg = 0.0;  // (the constant term of g)
        for (std::size_t k = 1; k < t.size(); ++k) {
            const double r = t[k].r - t.front().r, e = t[k].c * std::exp(-r * x);
            g += e;
            dg -= r * e;
        }
        ((g >= 0.0) == hi_sign ? hi : lo) = x;
        double next = dg != 0.0 ? x - g / dg : 0.5 * (lo + hi);
        // Converged before the bracket test: a step of zero (g == 0 at x, now an end
        // of the bracket) would otherwise fall back to bisecting the whole bracket.
        if (std::abs(next - x) < tol) {
            // Close the bracket around the zero from both sides (half a tolerance
            // each way, so that two probes inside end the search).
            for (const double probe : {next - 0.5 * tol, next + 0.5 * tol})
                if (probe > lo && probe < hi) ((scaled(t, probe) >= 0.0) == hi_sign ? hi : lo) = probe;
            next = 0.5 * (lo + hi);
        } else if (!(next > lo && next < hi)) {
            next = 0.5 * (lo + hi);
        }
        x = next;
    }
    // Never a late answer: if 100 steps did not close the bracket, bisect until they do
    // (a halving per step; a bracket of doubles closes in at most ~2100).
    for (double tol = 1e-15 * std::max(1.0, std::abs(hi)) + 1e-300; hi - lo > tol;) {
        const double mid = 0.5 * (lo + hi);
        if (!(mid > lo && mid < hi)) break;
        ((scaled(t, mid) >= 0.0) == hi_sign ? hi : lo) = mid;
    }
    return hi;
}

// refine for two terms, g = c0 + c1 e^{-r x} (monotone): the zero in closed form,
// moved by at most a few ulps to the side of hi's sign (refine's contract).
double refine_two(const Terms& t, double lo, double hi, double g_lo, double g_hi) {
    const bool hi_sign = g_hi >= 0.0;
    double x = std::log(-t[1].c / t[0].c) / (t[1].r - t[0].r);
    for (int k = 0; k < 4 && x > lo && x < hi; ++k, x = std::nextafter(x, hi))
        if ((scaled(t, x) >= 0.0) == hi_sign) return x;
    return refine(t, lo, hi, g_lo, g_hi);
}

// All points in (lo, hi) where f changes sign, ascending.
Terms derivative(const Terms& t) {
    Terms d;
    for (std::size_t k = 1; k < t.size(); ++k) {
        const double rk = t[k].r - t.front().r;
        d.push_back({-rk * t[k].c, rk});
    }
    return normalise(d.data(), d.size());
}

Points sign_changes(const Terms& t, double lo, double hi) {
    if (t.size() < 2) return {};
    if (t.size() == 2) {  // monotone: one zero at most, no recursion
        const double ga = scaled(t, lo), gb = scaled(t, hi);
        if (!((ga < 0.0 && gb >= 0.0) || (ga >= 0.0 && gb < 0.0))) return {};
        return {refine_two(t, lo, hi, ga, gb)};
    }
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
    const Terms t = normalise(terms, n);
    if (t.empty()) return 0.0;  // f == 0 >= 0
    if (scaled(t, 0.0) >= 0.0) return 0.0;
    if (!(x_max > 0.0)) return kInf;
    if (t.size() == 1) return kInf;
    if (t.size() == 2) {
        const double g = scaled(t, x_max);
        return g >= 0.0 ? refine_two(t, 0.0, x_max, scaled(t, 0.0), g) : kInf;
    }
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
