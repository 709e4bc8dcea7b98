// Exact first-crossing search for a linear readout of a linear system
//     f(x) = w^T z(x),   z(x) = e^{M x} z0,   x >= 0,
// where M has real eigenvalues -r_1..-r_n (with multiplicity). f is an exponential
// polynomial sum_k P_k(x) e^{-r_k x} (repeated rates give the polynomials; for the
// lag-chain neuron: degree N-1). This generalises models/exp_sum to it.
//
// Why this method (models/coincidence_lag.hpp needs it): Rolle's recursion, done on
// the *state* instead of on coefficients. For any rate r,
//     d/dx (e^{r x} f) = e^{r x} w^T (M + r I) z(x),
// so the zeros of F_1 = w^T (M + r_1 I) z separate those of f (e^{r_1 x} f is monotone
// between them), and so on: F_{j+1} = F_j' + r_{j+1} F_j. After n-1 factors only one
// mode is left, F_{n-1} = F_{n-1}(0) e^{-r x}, which has no zero. Recursing from that
// end isolates every sign change of f in [0, x_max]: no crossing between events is
// missed, however tangential or late. Working with w_j = w (M + r_1 I)...(M + r_j I)
// (rescaled; only signs matter) and the exactly propagated state avoids forming the
// coefficients of P_k, which are ill-conditioned when rates nearly coincide (chain rate
// N/D close to a trace rate) and grow like (N/D)^N for N = 64. The annihilation is
// exact in floating point for triangular M (the shifted diagonal entry is exactly 0).
// Each root is refined by safeguarded secant/bisection to ~1e-15 relative.
#pragma once
#include <Eigen/Dense>
#include <functional>
#include <vector>

namespace delaysim::models {

struct LinearSignal {
    Eigen::MatrixXd m;          // n x n
    std::vector<double> rates;  // -eigenvalues of m, with multiplicity (n of them)
    std::function<void(double x, Eigen::VectorXd& z)> state;  // exact z(x)
};

// Smallest x in [0, x_max] with w^T z(x) >= 0, or +inf if none (0 if f(0) >= 0).
double first_crossing(const LinearSignal& s, const Eigen::RowVectorXd& w, double x_max);

}  // namespace delaysim::models
