// The engine's sum of a node's slice inputs at the slice end t1 (what
// sim/slices_inputs.cpp's sum_range adds per input), with libm exponentials
// instead of the engine's tables: the reference the model tests hand to
// Superposition::settle.
#pragma once
#include <algorithm>
#include <cmath>
#include <vector>

#include "sim/population.hpp"

namespace delaysim::testing {

inline sim::SliceSum slice_sum(const sim::SliceKernel& k, const std::vector<sim::SliceInput>& in,
                               sim::Time t1) {
    sim::SliceSum sum;
    sum.t_first = in.front().t;
    for (const sim::SliceInput& x : in) {
        const double u = t1 - x.t, e_p = std::exp(-k.r[x.port] * u), e_m = std::exp(-k.r_m * u);
        sum.syn[x.port] += x.w * e_p;
        sum.v += x.w * k.kf[x.port] * (e_p - e_m);
        sum.w_plus[x.port] += std::max(x.w, 0.0);
        ++sum.count;
    }
    return sum;
}

}  // namespace delaysim::testing
