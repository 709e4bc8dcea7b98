// Small pieces of the no-spike proofs of the linear core (models/small_linear.hpp).
#pragma once
#include <algorithm>
#include <cmath>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace delaysim::models {

// max(x, y) without a branch: the bounds take the positive parts of terms whose signs
// vary from node to node, and GCC compiles std::max to a mispredicted jump there.
// (A NaN x gives y; a NaN state is lost anyway.)
inline double max_sd(double x, double y) {
#if defined(__SSE2__)
    return _mm_cvtsd_f64(_mm_max_sd(_mm_set_sd(x), _mm_set_sd(y)));
#else
    return std::max(x, y);
#endif
}
inline double positive(double x) {
    return max_sd(x, 0.0);
}

// The largest value over s >= 0 of c0 + c1 e^{-r1 s} + c2 e^{-r2 s} (distinct rates
// r1, r2 > 0), exact: the decaying part has at most one critical point,
// s* = ln(-c2 r2 / (c1 r1)) / (r2 - r1) (only where c1 and c2 differ in sign), so the
// maximum is the start, the limit c0 or the value at s*.
inline double two_rate_peak(double c0, double c1, double r1, double c2, double r2) {
    const double f0 = c0 + c1 + c2;
    if (!((c1 > 0.0) != (c2 > 0.0)) || c1 == 0.0 || c2 == 0.0) return std::max(f0, c0);  // monotone
    const double s_star = std::log(-c2 * r2 / (c1 * r1)) / (r2 - r1);
    if (!(s_star > 0.0)) return std::max(f0, c0);  // monotone over s > 0
    return std::max({f0, c0, c0 + c1 * std::exp(-r1 * s_star) + c2 * std::exp(-r2 * s_star)});
}

}  // namespace delaysim::models
