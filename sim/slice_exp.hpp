// e^{-r u} for u in about [0, span] (span = a slice width), to double precision
// and several times cheaper than std::exp: u = j d + rho with a table of e^{-r j d}
// (d = span/n, r d <= 1/64) and a degree-6 Taylor polynomial of e^{-r rho}, whose
// remainder (r d)^7/7! < 5e-17 is below rounding. Slice superposition evaluates two
// of these per synaptic event and per node and slice (sim/slices.hpp). Arguments
// off the table (by more than one step) fall back to std::exp.
#pragma once
#include <algorithm>
#include <cmath>
#include <vector>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace delaysim::sim {

class SliceExp {
public:
    SliceExp() = default;
    // `step_rate`: build the table for this rate's step (>= rate), so that two
    // tables share their index (SliceExp2).
    SliceExp(double rate, double span, double step_rate = 0.0) : r_(rate) {
        const double steps = std::ceil(64.0 * std::max(rate, step_rate) * span);
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
            return std::exp(-r_ * u);       // also: no table
        const int j = static_cast<int>(f);  // truncation: 0 for f in (-1, 0)
        return at(j, u - j * d_);
    }
    // Given the step: e^{-r u} for u = j d + rho (j in the table).
    double at(int j, double rho) const {
        const double x = -r_ * rho;             // |x| <= r d (a hair more just below 0)
        const double x2 = x * x, x4 = x2 * x2;  // Estrin: a short dependency chain
        const double p = ((1.0 + x) + x2 * (1.0 / 2 + x * (1.0 / 6))) +
                         x4 * ((1.0 / 24 + x * (1.0 / 120)) + x2 * (1.0 / 720));
        return table_[static_cast<std::size_t>(j)] * p;
    }
    double rate() const { return r_; }
    double table(int j) const { return table_[static_cast<std::size_t>(j)]; }
    const double* table_data() const { return table_.data(); }
    double step() const { return d_; }
    double inv_step() const { return inv_d_; }
    int steps() const { return n_; }

private:
    static constexpr double kMaxSteps = 4096;
    double r_ = 0.0, d_ = 0.0, inv_d_ = 0.0;
    int n_ = -3;  // f < n_ + 1 fails without a table
    std::vector<double> table_;
};

// Two exponentials of one argument, e^{-r1 u} and e^{-r2 u}, on one table step:
// the index and remainder are computed once (superposition needs both per input).
class SliceExp2 {
public:
    SliceExp2() = default;
    SliceExp2(double r1, double r2, double span)
        : e1_(r1, span, std::max(r1, r2)), e2_(r2, span, std::max(r1, r2)) {}
    // Its parameters by value in one record (valid while this object lives and
    // is not assigned): a loop over many inputs keeps them in registers instead
    // of loading them through the object and its two vectors per call.
    struct Flat {
        double inv_step = 0.0, step = 0.0, lim = -2.0;  // lim: steps + 1 (no table: every f fails)
        double neg_r1 = 0.0, neg_r2 = 0.0;
        const double* table1 = nullptr;
        const double* table2 = nullptr;
        const SliceExp2* self = nullptr;  // off the table
    };
    Flat flat() const {
        return {e1_.inv_step(),   e1_.step(),  static_cast<double>(e1_.steps()) + 1.0,
                -e1_.rate(),      -e2_.rate(), e1_.table_data(),
                e2_.table_data(), this};
    }
    void operator()(double u, double& x1, double& x2) const { eval(flat(), u, x1, x2); }
    // The same bits as operator() (it is this).
    [[gnu::always_inline]] static void eval(const Flat& F, double u, double& x1, double& x2) {
        const double f = u * F.inv_step;
        if (!(f > -1.0 && f < F.lim)) [[unlikely]] {
            x1 = F.self->e1_(u);
            x2 = F.self->e2_(u);
            return;
        }
        const int j = static_cast<int>(f);
        const double rho = u - j * F.step;
#if defined(__SSE2__)
        // Both polynomials in the two lanes of one register: the same operations
        // in the same order as SliceExp::at, so the same bits, at half the count.
        const __m128d x = _mm_mul_pd(_mm_set_pd(F.neg_r2, F.neg_r1), _mm_set1_pd(rho));
        const __m128d xx = _mm_mul_pd(x, x), x4 = _mm_mul_pd(xx, xx);
        const __m128d lo =
            _mm_add_pd(_mm_add_pd(_mm_set1_pd(1.0), x),
                       _mm_mul_pd(xx, _mm_add_pd(_mm_set1_pd(1.0 / 2), _mm_mul_pd(x, _mm_set1_pd(1.0 / 6)))));
        const __m128d hi = _mm_mul_pd(
            x4, _mm_add_pd(_mm_add_pd(_mm_set1_pd(1.0 / 24), _mm_mul_pd(x, _mm_set1_pd(1.0 / 120))),
                           _mm_mul_pd(xx, _mm_set1_pd(1.0 / 720))));
        const __m128d p = _mm_mul_pd(_mm_set_pd(F.table2[j], F.table1[j]), _mm_add_pd(lo, hi));
        x1 = _mm_cvtsd_f64(p);
        x2 = _mm_cvtsd_f64(_mm_unpackhi_pd(p, p));
#else
        x1 = F.self->e1_.at(j, rho);
        x2 = F.self->e2_.at(j, rho);
#endif
    }

private:
    SliceExp e1_, e2_;
};

}  // namespace delaysim::sim
