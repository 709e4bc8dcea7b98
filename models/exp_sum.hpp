// Exact first-crossing search for sums of exponentials
//     f(x) = sum_k c_k exp(-r_k x),   r_k >= 0,  x >= 0.
// Every model here integrates in closed form, so "v(t) - threshold(t)" between
// events is such a sum. A sum of n exponentials has at most n-1 real zeros, and
// the zeros of its derivative (after factoring out the slowest exponential) separate
// them (Rolle). Recursing on the derivative isolates every zero, so no crossing
// between events is ever missed, however tangential or late it is.
#pragma once
#include <cstddef>
#include <initializer_list>
#include <vector>

namespace delaysim::models {

struct ExpTerm {
    double c;  // coefficient
    double r;  // decay rate (1/ms), >= 0
};

// f(x) for the given terms.
double exp_sum(const std::vector<ExpTerm>& terms, double x);

// Smallest x in [0, x_max] with f(x) >= 0, or +inf if none. If f(0) >= 0 the
// answer is 0. The result satisfies f(result) >= 0 (up to rounding of f) and lies
// within ~1e-13 (relative) of the true crossing.
// Allocation-free: at most kMaxExpTerms distinct rates.
inline constexpr std::size_t kMaxExpTerms = 8;
double first_crossing(const ExpTerm* terms, std::size_t n, double x_max);
inline double first_crossing(const std::vector<ExpTerm>& terms, double x_max) {
    return first_crossing(terms.data(), terms.size(), x_max);
}
inline double first_crossing(std::initializer_list<ExpTerm> terms, double x_max) {
    return first_crossing(terms.begin(), terms.size(), x_max);
}

}  // namespace delaysim::models
