// The engine's sum of a node's slice inputs at the slice end t1 (what
// sim/slices_inputs.cpp's sum_range adds per input), with libm exponentials
// instead of the engine's tables: the reference the model tests hand to
// Superposition::settle.
#pragma once
#include <algorithm>
#include <cmath>
#include <random>
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

// One to three inputs at random times in the slice [t0, t0 + h), sorted: an
// excitatory (port 0, w in [0, 40)) or inhibitory (port 1, w in (-40, 0]) one
// each, far below any threshold (the grid-settle tests' draw).
inline std::vector<sim::SliceInput> small_slice_inputs(std::mt19937_64& rng, double t0, double h) {
    std::uniform_real_distribution<double> uni(0.0, 1.0);
    std::vector<sim::SliceInput> in(1 + rng() % 3);
    for (auto& x : in) {
        x.t = t0 + h * uni(rng);
        x.port = static_cast<std::uint32_t>(rng() % 2);
        x.w = x.port == 0 ? 40.0 * uni(rng) : -40.0 * uni(rng);
    }
    std::sort(in.begin(), in.end(), [](const auto& x, const auto& y) { return x.t < y.t; });
    return in;
}

}  // namespace delaysim::testing
