// e^{-y} for y >= 0 to about 2 ulp, several times cheaper than std::exp: with
// y = J + j/64 + rho (J, j integers, 0 <= rho < 1/64),
//   e^{-y} = e^{-J} e^{-j/64} p(rho),
// two tables (708 + 64 doubles, rate-independent, shared by all models) and the
// degree-6 Taylor polynomial of e^{-rho} (remainder < 5e-17). Exact
// models take one or two per input for their decay factors e^{-r x}. Arguments
// below 0, from 708 on (where e^{-y} leaves the normal doubles) and NaN go to
// std::exp.
#pragma once
#include <array>
#include <cmath>

namespace delaysim::sim {

namespace detail {
struct ExpNegTables {
    static constexpr int kWhole = 708;  // e^{-708} is the last normal double
    std::array<double, kWhole> whole{};  // e^{-J}
    std::array<double, 64> frac{};       // e^{-j/64}
    ExpNegTables() {
        for (int J = 0; J < kWhole; ++J) whole[static_cast<std::size_t>(J)] = static_cast<double>(std::exp(-static_cast<long double>(J)));
        for (int j = 0; j < 64; ++j) frac[static_cast<std::size_t>(j)] = static_cast<double>(std::exp(-static_cast<long double>(j) / 64.0L));
    }
};
inline const ExpNegTables exp_neg_tables;
}  // namespace detail

inline double exp_neg(double y) {
    if (!(y >= 0.0 && y < detail::ExpNegTables::kWhole)) [[unlikely]]
        return std::exp(-y);
    const int J = static_cast<int>(y);
    const double f = (y - J) * 64.0;  // exact: y - J has y's precision, * 64 is a shift
    const int j = static_cast<int>(f);
    const double x = -(f - j) * (1.0 / 64);  // -rho, exact
    const double x2 = x * x, x4 = x2 * x2;
    const double p = ((1.0 + x) + x2 * (1.0 / 2 + x * (1.0 / 6))) + x4 * ((1.0 / 24 + x * (1.0 / 120)) + x2 * (1.0 / 720));
    const auto& T = detail::exp_neg_tables;
    return T.whole[static_cast<std::size_t>(J)] * T.frac[static_cast<std::size_t>(j)] * p;
}

}  // namespace delaysim::sim
