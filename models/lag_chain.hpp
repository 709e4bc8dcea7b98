// Multistage lag variable (Wilson's chain; the "linear chain trick"): N equal
// first-order stages between an input trace u and an output x_N, time in ms:
//
//   du/dt   = -r_u u                       (the port's raw trace; a spike adds w to u)
//   dx_1/dt = (u - x_1) / tau_c,           tau_c = D / N   (D: mean delay, ms)
//   dx_k/dt = (x_{k-1} - x_k) / tau_c,     k = 2..N
//
// Impulse response (x_1 jumps by 1/tau_c, i.e. a unit impulse enters stage 1):
//   x_N(t) = t^{N-1} e^{-t/tau_c} / (tau_c^N (N-1)!)     the Erlang pdf,
//   mean D, standard deviation D/sqrt(N), mode (N-1) D/N; N -> inf: a pure delay D.
//
// Charge. d/dt (tau_c * sum_k x_k) = u - x_N, so with no further input
//   integral_t^inf x_N(s) ds = tau_c * sum_k x_k(t) + integral_t^inf u(s) ds.
// The chain's charge Q = tau_c * sum_k x_k is the part of the future output stored
// in the stages (n_k = tau_c x_k is the occupancy of stage k). When D changes at
// run time (tau_c -> tau_c'), the occupancies are kept: x_k <- x_k * tau_c/tau_c'
// (rescale_for_new_tau). Q and its distribution over stages are conserved; only the
// flow rate changes (so the output x_N jumps by the factor tau_c/tau_c').
//
// Exact propagation. The propagator of the stages is e^{-x/tau_c} times the
// lower-triangular Toeplitz matrix of (x/tau_c)^m/m!; the input column (u -> x_k) is
// a^k times the confluent divided difference of e^{lambda x} at {-r_u, (-a)^{x k}},
// a = 1/tau_c, evaluated stably for every ratio of r_u and a (also r_u == a) by
// confluent_dd() below (incomplete-gamma series / recurrences in log space; no
// cancellation between near-equal rates, no overflow for N = 64 or long intervals).
//
// References: H. R. Wilson, Spikes, Decisions and Actions (OUP 1999), ch. 2
// (multistage lag variables); N. MacDonald, Time Lags in Biological Models (1978);
// McCurdy, Ng & Parlett, Math. Comp. 43 (1984) (divided differences of exp).
#pragma once
#include <cstddef>

namespace delaysim::models {

inline constexpr int kMaxLagStages = 64;

// c^k * (divided difference of lambda -> e^{lambda x} at the nodes {-rp, -rq repeated
// k times}), k >= 0, x >= 0, rates rp, rq >= 0, c > 0. Equivalently
//   c^k x^k * integral_0^1 e^{-x((1-th) rp + th rq)} th^{k-1}/(k-1)! d th.
// Relative accuracy ~1e-14 for all arguments.
double confluent_dd(int k, double rp, double rq, double x, double c);

// y = (u, x_1..x_n): propagate by x in place (exact). r_u: decay rate of u (1/ms),
// a = 1/tau_c. `work` needs n+1 doubles of scratch.
void chain_propagate(double* y, int n, double r_u, double a, double x, double* work);

// Erlang pdf of n stages of time constant tau at t >= 0.
double erlang_pdf(int n, double tau, double t);
// Output x_N(t) of a chain (n stages, mean delay d) after a unit impulse at 0,
// computed by chain_propagate (not by the formula).
double chain_impulse_response(int n, double d, double t);
// Q = tau_c * sum_{k=1..n} x_k for y = (u, x_1..x_n).
double chain_charge(const double* y, int n, double tau_c);
// Keep the occupancies tau_c x_k when tau_c changes (see above).
void rescale_for_new_tau(double* y, int n, double tau_old, double tau_new);

}  // namespace delaysim::models
