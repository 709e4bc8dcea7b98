// SliceExp (sim/slice_exp.hpp) must agree with the exponential to rounding over
// its table and just off its ends (arrivals a rounding step outside a slice), and
// fall back to std::exp beyond them or when the rate is too steep for a table.
// Reference: the long double exponential of the same double argument r*u. Like
// std::exp(-r*u), SliceExp inherits the rounding of its argument, about
// 1.1e-16 * r*u in relative terms; the tolerance allows for that and 3 ulp.
#include <catch2/catch.hpp>

#include <cmath>
#include <random>
#include <utility>

#include "sim/slice_exp.hpp"

using delaysim::sim::SliceExp;

TEST_CASE("SliceExp agrees with std::exp to a few ulp over and around its span") {
    std::mt19937_64 rng(99);
    for (const double rate : {0.01, 0.1, 0.5, 3.3, 20.0}) {
        for (const double span : {0.01, 0.1, 0.5, 3.2}) {
            const SliceExp e(rate, span);
            std::uniform_real_distribution<double> u(-0.05 * span, 1.05 * span);
            double worst = 0.0;  // in units of the tolerance
            for (int i = 0; i < 20000; ++i) {
                const double x = u(rng);
                const long double ref = std::exp(-static_cast<long double>(rate) * x);
                const double tol = 3 * 2.2e-16 + 1.1e-16 * rate * std::abs(x);
                worst = std::max(worst, static_cast<double>(std::abs(e(x) - ref) / ref) / tol);
            }
            INFO("rate " << rate << " span " << span);
            CHECK(worst < 1.0);
            CHECK(e(0.0) == 1.0);
        }
    }
    // Far off the table, and a table too steep to build: std::exp itself.
    const SliceExp e(0.5, 0.1);
    CHECK(e(7.0) == std::exp(-3.5));
    CHECK(e(-2.0) == std::exp(1.0));
    const SliceExp steep(1e4, 1.0);
    CHECK(steep(0.37) == std::exp(-3700.0));
}

TEST_CASE("SliceExp2 gives both exponentials of one argument to the same accuracy") {
    using delaysim::sim::SliceExp2;
    std::mt19937_64 rng(7);
    for (const double span : {0.1, 0.5}) {
        const double r1 = 0.5, r2 = 0.1;  // tau_syn 2 ms, tau_m 10 ms
        const SliceExp2 e(r1, r2, span);
        std::uniform_real_distribution<double> u(-0.05 * span, 1.05 * span);
        double worst = 0.0;
        for (int i = 0; i < 20000; ++i) {
            const double x = u(rng);
            double a = 0.0, b = 0.0;
            e(x, a, b);
            for (const auto& [got, r] : {std::pair{a, r1}, std::pair{b, r2}}) {
                const long double ref = std::exp(-static_cast<long double>(r) * x);
                const double tol = 3 * 2.2e-16 + 1.1e-16 * r * std::abs(x);
                worst = std::max(worst, static_cast<double>(std::abs(got - ref) / ref) / tol);
            }
        }
        CHECK(worst < 1.0);
        double a = 0.0, b = 0.0;
        e(9.0, a, b);  // off the table: std::exp
        CHECK(a == std::exp(-4.5));
        CHECK(b == std::exp(-0.9));
    }
}
