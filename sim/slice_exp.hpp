// e^{-r u} for u in about [0, span] (span = a slice width), to double precision
// and several times cheaper than std::exp: u = j d + rho with a table of e^{-r j d}
// (d = span/n, r d <= 1/64) and a degree-6 Taylor polynomial of e^{-r rho}, whose
// remainder (r d)^7/7! < 5e-17 is below rounding. Slice superposition evaluates two
// of these per synaptic event and per node and slice (sim/batch.hpp). Arguments
// off the table (by more than one step) fall back to std::exp.
#pragma once
#include <algorithm>
#include <cmath>
#include <vector>

namespace delaysim::sim {

class SliceExp {
public:
    SliceExp() = default;
    SliceExp(double rate, double span) : r_(rate) {
        const double steps = std::ceil(64.0 * rate * span);
        if (!(steps <= kMaxSteps) || !(span > 0.0)) return;  // too steep: std::exp
        n_ = std::max(1, static_cast<int>(steps));
        d_ = span / n_;
        inv_d_ = n_ / span;
        table_.resize(static_cast<std::size_t>(n_) + 2);
        for (int j = 0; j <= n_ + 1; ++j) table_[static_cast<std::size_t>(j)] = std::exp(-rate * (j * d_));
    }

    double operator()(double u) const {
        const double f = u * inv_d_;
        if (!(f > -1.0 && f < n_ + 1.0)) [[unlikely]]
            return std::exp(-r_ * u);  // also: no table
        const int j = static_cast<int>(f);  // truncation: 0 for f in (-1, 0)
        const double x = -r_ * (u - j * d_);  // |x| <= r d (a hair more just below 0)
        const double x2 = x * x, x4 = x2 * x2;  // Estrin: a short dependency chain
        const double p = ((1.0 + x) + x2 * (1.0 / 2 + x * (1.0 / 6))) +
                         x4 * ((1.0 / 24 + x * (1.0 / 120)) + x2 * (1.0 / 720));
        return table_[static_cast<std::size_t>(j)] * p;
    }

private:
    static constexpr double kMaxSteps = 4096;
    double r_ = 0.0, d_ = 0.0, inv_d_ = 0.0;
    int n_ = -3;  // f < n_ + 1 fails without a table
    std::vector<double> table_;
};

}  // namespace delaysim::sim
