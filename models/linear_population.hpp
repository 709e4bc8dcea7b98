// linear_population — one exact implementation for every neuron model whose
// subthreshold dynamics are linear with constant coefficients (the models
// declared in a model file with [[model]], configs/README.md). Units: those of
// the declared variables; time in ms.
//
//   dx/dt = A x + b                 x: n state variables, A (1/ms), b (unit/ms)
//   input on port p, weight w:      x += w J_p            (J_p: the port's jump per unit weight)
//   spike when  theta . x + c >= 0  (e.g. V - V_th, or v - vth against a decaying vth)
//   on a spike:  x = R x + r        (reset; R = I and r = 0 keep a variable as it is)
//   refractory for t_ref ms after a spike: the clamped variables are held (dx_k/dt = 0,
//   inputs to them ignored), the others evolve and receive inputs; no spike.
//
// Exact integration of linear subthreshold dynamics as in Rotter & Diesmann (1999),
// Biol. Cybern. 81:381-402.
//
// Integration: with the augmented state z = (x, 1), dz/dt = M z, M = [[A, b], [0, 0]],
// so z(t0+s) = e^{M s} z0 exactly. If M has real eigenvalues and a well-conditioned
// eigenvector basis V (M = V diag(lambda) V^-1; Modal), then
//   z(s) = V diag(e^{lambda_k s}) V^-1 z0   and   f(s) = theta . z(s) + c = sum_k a_k e^{lambda_k s},
// a sum of exponentials whose first zero models/exp_sum.hpp isolates exactly (Rolle);
// up to 7 variables (exp_sum's 8 terms), larger systems take the Schur form.
// If the basis is ill-conditioned (repeated eigenvalues without a full set of
// eigenvectors, e.g. tau_syn = tau_m, or nearly so) the real Schur form M = Q T Q^T
// (T triangular, real eigenvalues on its diagonal) is used instead (Schur): z(s) =
// Q e^{T s} Q^T z0 by Eigen's matrix exponential, and the crossing search is
// models/linear_crossing.hpp's state recursion on T, which handles repeated rates
// exactly (polynomial times exponential terms). Both are exact up to rounding.
// Complex eigenvalues (oscillatory subthreshold dynamics) are refused: f is then no
// sum of real exponentials and neither search applies (a sim::UserError that says so).
// Refractory dynamics (clamped rows of M zeroed) need no crossing search and may use
// either form or, for complex eigenvalues, the matrix exponential itself.
//
// Costs: a step is O(n^2) plus n+1 exponentials (Modal); the Schur path computes a
// matrix exponential per evaluation (slow, but only for defective systems).
// spike_bound (Modal, stable): f' <= S = sum of the positive parts of the terms'
// slopes at the start, so no crossing before -f0/S: a check time without a search.
// Batching (Modal, stable, t_ref > 0): each input of weight w on port p adds w J_p,
// whose share of f u ms later, theta . e^{M u} (w J_p, 0), is again a sum of
// exponentials, so by LinearFlow::ceiling it is at most |w| min(f_p(0) + u S_p, P_p)
// with per-port constants for the unit response to +J_p (w > 0) or -J_p (w < 0).
// absorb adds these to the free evolution's ceiling over the slice; below 0 the node
// cannot fire before the last input, and the inputs are applied without a search.
// The proof from positive weights alone (may_spike_before) does not hold here (a
// negative weight may raise f later): it answers "may spike". Opt-in (enable_batching,
// below). No superposition yet.
#pragma once
#include <Eigen/Dense>
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "sim/population.hpp"

namespace delaysim::models {

// At most this many state variables: the augmented state then fits a fixed-size
// Eigen vector (no allocation per step).
inline constexpr int kMaxLinearVariables = 15;
using LinearState = Eigen::Matrix<double, Eigen::Dynamic, 1, 0, kMaxLinearVariables + 1, 1>;

// The share of the threshold function f that a unit input adds u ms after it
// arrives is at most min(f0 + u slope, top) (per port and sign; LinearFlow::ceiling).
struct InputRise {
    double f0, slope, top;
    double at(double u) const { return std::min(f0 + u * slope, top); }
};

// Batching's proof for a node's inputs in[0..n): the ceiling of f at the last input,
// starting from `top` (the free evolution's) and `scale` (its size, for the rounding
// margin), plus each input's rise. Before it arrives an input adds nothing: its share
// is >= 0 (an inhibitory input arriving late cannot undo a crossing before it).
// True if f provably stays below 0 until in[n-1].t.
bool inputs_stay_below(const std::vector<InputRise>& pos, const std::vector<InputRise>& neg,
                       const sim::SliceInput* in, std::size_t n, double top, double scale);

// A linear model, fully evaluated (numbers, not expressions). Built from a
// [[model]] table by sim/config/lower_model.cpp, or by C++ code directly.
struct LinearModelSpec {
    std::string name;  // as in model = "..."
    std::string doc;
    std::vector<sim::VariableInfo> variables;  // n
    std::vector<sim::PortInfo> ports;          // all PortKind::Input
    Eigen::MatrixXd a;                         // n x n, 1/ms
    Eigen::VectorXd b;                         // n
    std::vector<Eigen::VectorXd> jumps;        // per port, n: x += w * jump
    Eigen::RowVectorXd theta;                  // n: spike when theta . x + theta_c >= 0
    double theta_c = 0.0;
    Eigen::MatrixXd reset_m;  // n x n
    Eigen::VectorXd reset_c;  // n
    double t_ref_ms = 0.0;
    std::vector<bool> clamped;  // n: held during refractoriness
    Eigen::VectorXd initial;    // n
    // Per node, only where a parameter is given per node (empty: the values above for
    // every node): node i resets to reset_m x + reset_c_node[i] and is refractory for
    // t_ref_node[i] ms. (Checked against the population's size by check_per_node.)
    std::vector<Eigen::VectorXd> reset_c_node;
    std::vector<double> t_ref_node;
    // Per node, likewise: the drive b_node[i] (instead of b), the threshold constant
    // theta_c_node[i] (instead of theta_c) and the initial state initial_node[i].
    std::vector<Eigen::VectorXd> b_node;
    std::vector<double> theta_c_node;
    std::vector<Eigen::VectorXd> initial_node;
    const Eigen::VectorXd& reset_c_of(sim::Index i) const {
        return reset_c_node.empty() ? reset_c : reset_c_node[i];
    }
    double t_ref_of(sim::Index i) const { return t_ref_node.empty() ? t_ref_ms : t_ref_node[i]; }
    double theta_c_of(sim::Index i) const { return theta_c_node.empty() ? theta_c : theta_c_node[i]; }
    const Eigen::VectorXd& initial_of(sim::Index i) const {
        return initial_node.empty() ? initial : initial_node[i];
    }
    double min_t_ref() const;  // the shortest refractory period of any node
};

// Throws sim::UserError unless the per-node values fit a population of `size` nodes
// (one per node, refractory periods finite and >= 0).
void check_per_node(const LinearModelSpec& spec, sim::Index size);

// Per-node drive and threshold (b_node, theta_c_node) as one augmented offset o_i per
// node (empty when neither is given): with M o_i = -(b_i - b, 0) and (theta, c) . o_i =
// c - c_i, z - o_i follows the population's flow M (and the refractory one: clamped rows
// of both sides are zero) and f_i(z) = (theta, c) . (z - o_i), so every proof and search
// runs on z - o_i unchanged. o_i = (d_i, 0) + alpha_i u0 with A d_i = b - b_i and u0 the
// fixed point (x*, 1) of M. May lower spec.theta_c (filling theta_c_node first) where the
// population's own equilibrium sits at its threshold (then u0 cannot carry alpha_i).
// Throws sim::UserError when a node's drive has no such d_i (A singular in its direction).
std::vector<Eigen::VectorXd> node_offsets(LinearModelSpec& spec, sim::Index size);

// e^{M s} for a fixed M, in the cheapest exact form M admits (see the header).
class LinearFlow {
public:
    enum class Form { Modal, Schur, Expm };
    // crossing: the flow must support first_crossing (real eigenvalues); otherwise
    // a UserError names the eigenvalues. theta: the augmented readout (n+1).
    LinearFlow(const Eigen::MatrixXd& m, const Eigen::RowVectorXd& theta, bool crossing,
               const std::string& who);
    Form form() const { return form_; }
    // z1 = e^{M s} z0 (n+1 each; z1 may alias z0).
    void propagate(const LinearState& z0, double s, LinearState& z1) const;
    // Smallest s in [0, s_max] with theta . e^{M s} z0 >= 0, or +inf.
    double first_crossing(const LinearState& z0, double s_max) const;
    // Modal form with every rate >= 0: a time s_b <= the first crossing from z0
    // (f0 = f(0) < 0), from f' <= S = sum_k max(-r_k a_k, 0) (each term's slope only
    // shrinks in magnitude): s_b = -f0/S, or +inf if the positive terms alone stay
    // below 0 or S = 0. NaN when the form has no such bound (then search exactly).
    double crossing_bound(const LinearState& z0, double f0) const;
    // Modal form with every rate >= 0, f(s) = theta . e^{M s} z0 = sum_k a_k e^{lambda_k s}:
    // f(s) <= min(f(0) + s slope, top) for every s >= 0, with top = the sum of the
    // positive parts of the decaying terms plus the constant term, slope = the sum of
    // the positive parts of the terms' slopes at 0 (each only shrinks); scale = the sum
    // of |a_k| (for a rounding margin). top is NaN when the form has no such bound.
    struct Ceiling {
        double top, slope, scale;
    };
    Ceiling ceiling(const LinearState& z0) const;
    // Modal form: V, V^-1 and the eigenvalues (models/small_linear.hpp copies them).
    const Eigen::MatrixXd& modal_basis() const { return v_; }
    const Eigen::MatrixXd& modal_inverse() const { return v_inv_; }
    const Eigen::VectorXd& eigenvalues() const { return lambda_; }

private:
    Form form_;
    Eigen::MatrixXd m_;
    Eigen::MatrixXd v_, v_inv_;   // Modal: M = V diag(lambda) V^-1
    Eigen::VectorXd lambda_;      // Modal: eigenvalues; Schur: diag(T)
    Eigen::RowVectorXd theta_v_;  // Modal: theta V
    Eigen::MatrixXd q_, t_;       // Schur: M = Q T Q^T
    Eigen::RowVectorXd theta_q_;  // Schur: theta Q
};

class LinearPopulation : public sim::Population, public sim::SpikeBounds, public sim::Batching {
public:
    // Throws sim::UserError (without location: the caller adds it) for complex
    // eigenvalues or a spec whose sizes do not match.
    LinearPopulation(const std::string& name, sim::Index size, LinearModelSpec spec);

    const std::string& model() const override { return spec_.name; }
    bool is_source() const override { return false; }
    const std::vector<sim::PortInfo>& ports() const override { return spec_.ports; }
    const std::vector<sim::VariableInfo>& variables() const override { return spec_.variables; }

    void advance(sim::Index i, sim::Time t) override;
    void receive(sim::Index i, std::size_t port, double w, sim::Time t) override;
    sim::Time next_spike(sim::Index i, sim::Time t, sim::Time horizon) override;
    void fire(sim::Index i, sim::Time t) override;
    double value(sim::Index i, std::size_t var, sim::Time t) const override;
    void set_value(sim::Index i, std::size_t var, double x) override;
    // Capability: a check time from LinearFlow::crossing_bound: no exponential, no
    // search; the engine asks next_spike only if no input comes first.
    sim::Bound spike_bound(sim::Index i, sim::Time t, sim::Time horizon) override;
    // Capability: slice batching, for Modal, stable models with t_ref > 0. Not declared
    // by default: when absorb refuses, the slice path searches exactly before every
    // input, which costs more than the event loop's bound checks (+24 % instructions on
    // configs/declared_lif_exp.toml). enable_batching() declares it (true if the model
    // admits the proof); the contract test runs it so.
    bool enable_batching();
    bool may_spike_before(sim::Index, sim::Time, const double*) const override { return true; }
    sim::MaybeTime absorb(sim::Index i, const sim::SliceInput* in, std::size_t n, sim::Time horizon) override;

    LinearFlow::Form form() const { return free_.form(); }

    // Checkpoints (sim/population.hpp).
    bool checkpointable() const override { return true; }
    void save_state(sim::Writer& w) const override;
    void restore_state(sim::Reader& r) override;

private:
    // The augmented state of node i at time t (no event in between).
    LinearState evolved(sim::Index i, sim::Time t) const;
    LinearState load(sim::Index i) const;
    void store(sim::Index i, const LinearState& z, sim::Time t);

    // Variable k's offset for node i: x = (the state the flow moves) + o_i (node_offsets).
    double offset(sim::Index i, std::size_t k) const {
        return offset_.empty() ? 0.0 : offset_[i](static_cast<Eigen::Index>(k));
    }

    LinearModelSpec spec_;
    std::vector<Eigen::VectorXd> offset_;  // per node, only with per-node drive or threshold
    std::size_t n_;
    Eigen::RowVectorXd theta_aug_;  // (theta, theta_c)
    LinearFlow free_, refractory_;
    std::vector<double> x_;  // n per node
    std::vector<sim::Time> t_, ref_end_;
    // Per port: f_p(0), S_p and P_p of a unit positive / negative input's share of f.
    std::vector<InputRise> rise_pos_, rise_neg_;
    bool batching_ok_ = false;
};

// The population for a linear model: SmallLinear<n> (models/small_linear.hpp: fixed
// size, batched and superposed by default) when the system admits it (n <= 4, real
// eigenvalues <= 0, both flows modal), else LinearPopulation. Throws as LinearPopulation.
std::unique_ptr<sim::Population> make_linear_population(const std::string& name, sim::Index size,
                                                        LinearModelSpec spec);

}  // namespace delaysim::models
