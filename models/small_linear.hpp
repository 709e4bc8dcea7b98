// small_linear — the fast exact core for small linear models: the same equations,
// semantics and units as models/linear_population.hpp (whose header states them),
//
//   dx/dt = A x + b;  port p, weight w: x += w J_p;  spike when theta . x + c >= 0;
//   reset x = R x + r;  refractory for t_ref ms: clamped variables held, inputs to them ignored,
//
// for n <= kMaxSmallLinear variables whose augmented matrix M = [[A, b], [0, 0]] has
// real eigenvalues <= 0 and a well-conditioned eigenvector basis (LinearFlow's Modal
// form): every stable leaky model with distinct rates (LIF with current synapses, IntFire1,
// adaptive thresholds). make_linear_population picks it; other systems keep LinearPopulation.
// Exact integration as in Rotter & Diesmann (1999), Biol. Cybern. 81:381-402.
//
// State: per node the modal coordinates y = V^-1 (x, 1) (n + 1 doubles, fixed size, no
// allocation), so free evolution is y_k *= e^{lambda_k s} (one exponential per distinct
// nonzero rate: modes of one rate share it), an input is y += w c_p (c_p = V^-1 (J_p, 0), computed once per
// population), and f = theta_v . y (theta_v = (theta, c) V) is a sum of exponentials whose first zero
// models/exp_sum.hpp isolates exactly. Refractory spans take the refractory flow (clamped
// rows of M zeroed) in the free basis, y += sum_c (e^{lambda_c s} - 1) Q_c y over its
// distinct decaying rates (Q_c sparse: a clamped V leaves a few entries); a reset V^-1 R V.
//
// Proofs, all from f's terms a_k = theta_v_k y_k (rates r_k = -lambda_k >= 0, so each
// term only shrinks in magnitude):
//   spike_bound:  f' <= S = sum_k max(lambda_k a_k, 0): no crossing before -f0/S; and
//                 f <= top = sum of the positive decaying terms + the constant term:
//                 top < 0 means never; with a constant term < 0 (below rheobase) and at
//                 most two decaying rates, the exact peak of f (one critical point) < 0 too.
//   spike_bound_until chains the slope bound (at most 4 links) before an exact search.
//   one input:    its share of f u ms later, g_p(u) = w theta_v . (c_p e^{lambda u}), is at
//                 most w min(g_p(0) + u S_p, top_p) (the same two bounds, per unit weight;
//                 with at most two rates in g_p, S_p = sup g_p' and top_p = sup g_p exactly).
//   negative weights harmless: where g_p >= 0 for all u (checked once, exactly, for up to
//                 two rates: the slower term's coefficient and g_p(0) >= 0), an input of
//                 negative weight never raises f, so positive weights alone bound f.
// Per-node threshold, drive and initial state: y = V^-1 (z - o_i) with node i's offset o_i
// (linear_population.hpp, node_offsets), so the proofs below are the uniform ones; o_i
// enters only the reset offset and value / set_value.
// Batching (t_ref > 0, as LinearPopulation, or t_ref = 0 where no input jumps f): absorb adds the inputs'
// bounds to the free ceiling; a node refractory at its last update cannot fire before the refractory end, so
// inputs before it are applied on the refractory flow and the proof starts at the end;
// may_spike_before is the same proof from positive weights (only
// where negative ones are harmless). Superposition (<= 2 ports, negative weights harmless, and every port's
// jump exciting at most two modes: its own q_p and a mode m shared by all ports): the engine's SliceKernel
// sums per port syn_p = sum w e^{-r_p u} and v = sum_p kf_p sum w (e^{-r_p u} - e^{-r_m u}); with kf_p =
// c_{p,m} (0 for a port whose only mode is q_p) the modal increment at the slice end is
//   dy_{q_p} += c_{p,q_p} syn_p,   dy_m += sum_p kf_p syn_p - v,
// exactly the inputs' effect (lif_exp's kernel is the case V-mode = m, I_p-mode = q_p).
// settle proves no spike in the slice from the forward bound above, or backwards from
// f(t1): f(t1 - s) <= f(t1) + sum_k max(a_k(t1), 0) (e^{r_k s} - 1), with e^x - 1 <=
// x + (e - 2) x^2 for x <= 1 (no exponential). Its free step to t1 takes table
// exponentials (sim/slice_exp.hpp, one table per rate on a shared index). A node that an
// earlier settle left at a slice end, m <= 32 slices back, steps with e^{lambda_k m h}
// from a table built once per slice width h (std::exp of the same argument; the width
// is saved with the checkpoint so that a resumed run uses the same table). peak() sums
// f's terms per distinct rate (rate classes fixed at construction) and bound_from asks
// for it only below rheobase (constant term < 0). ceiling() takes the common shape (the
// constant mode last, every other mode decaying) without the per-mode floors and weights,
// the same sums in the same order; the scale only where a margin needs it.
// Headroom (as the hand-written lif_exp had it): a "never" proof for all time (top < 0,
// or the exact peak below rheobase) leaves H = -(that ceiling) less its rounding margin
// in the node's state. Free evolution keeps it; an input of weight w on port p adds at
// most |w| top_p (rise_pos_ / rise_neg_ by its sign) at any later time, so while the
// inputs' sum stays below H the node still never fires: absorb applies them with no
// bound and lowers H by that sum. settle only leaves H for later inputs (testing it
// there cost the dense networks, which have none, 3-4 %). receive, fire, set_value and
// an absorb ending refractory set H = 0.
#pragma once
#include <array>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "models/linear_population.hpp"
#include "sim/population.hpp"
#include "sim/slice_exp.hpp"

namespace delaysim::models {

inline constexpr int kMaxSmallLinear = 4;

template <int N>
class SmallLinear : public sim::Population,
                    public sim::SpikeBounds,
                    public sim::Batching,
                    public sim::Superposition {
public:
    static constexpr int Z = N + 1;  // the augmented state (x, 1)
    using Vec = std::array<double, Z>;
    using Mat = std::array<Vec, Z>;

    // free, refractory: the two flows of spec, both in Modal form with rates <= 0
    // (make_linear_population checks).
    SmallLinear(const std::string& name, sim::Index size, LinearModelSpec spec, const LinearFlow& free,
                const LinearFlow& refractory);

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

    sim::Bound spike_bound(sim::Index i, sim::Time t, sim::Time horizon) override;
    sim::Bound spike_bound_until(sim::Index i, sim::Time t, sim::Time b, sim::Time horizon) override;
    bool may_spike_before(sim::Index i, sim::Time t1, const double* w_plus) const override;
    sim::MaybeTime absorb(sim::Index i, const sim::SliceInput* in, std::size_t n, sim::Time horizon) override;
    void prefetch(sim::Index i) const override { __builtin_prefetch(&state_[i]); }
    sim::SliceKernel slice_kernel() const override { return kernel_; }
    sim::MaybeTime settle(sim::Index i, const sim::SliceSum& sum, const Span& span) override;
    void prepare_settle(const Span& span) override;

    // Which capabilities the model admits (declared in the constructor).
    bool batches() const { return capabilities().batching != nullptr; }
    bool superposes() const { return capabilities().superposition != nullptr; }

    // The event loop's per-instant decay factors (small_linear.cpp, its last section).
    void on_event_loop(bool only) override;

    bool checkpointable() const override { return true; }
    void save_state(sim::Writer& w) const override;
    void restore_state(sim::Reader& r) override;

private:
    struct State {
        Vec y;  // modal coordinates of (x, 1)
        sim::Time t = 0.0;
        sim::Time ref_end = -1e300;
        double headroom = 0.0;  // H (header): > 0 only after a "never" proof, not refractory
    };
    // f's bounds from modal coordinates y (see the header).
    struct Ceiling {
        double f0, top, slope, scale, c0;  // c0: f's constant term (< 0: below rheobase)
    };
    // A unit input's share of f: at most min(f0 + u slope, top) u ms later.
    using Rise = InputRise;
    template <bool Scale = true>  // false: no scale (zero)
    Ceiling ceiling(const Vec& y) const;
    double f(const Vec& y) const;
    Vec free_step(const Vec& y, double s) const;
    // settle's free step over m <= kGridSlices whole slices (the node was left at a
    // slice end): y_k e^{lambda_k m h} from the table, no exponential (header).
    Vec grid_step(const Vec& y, double x, sim::Time t1) const;
    // free_step with table exponentials (sim/slice_exp.hpp, one per rate class on a
    // shared index) for steps of up to kStepSlices slices, else std::exp.
    Vec table_step(const Vec& y, double s) const;
    void build_grid(double h);
    Vec evolved(const State& s, sim::Time t) const;
    double peak(const Vec& y) const;
    sim::Time exact_from(const Vec& y, sim::Time from, sim::Time horizon) const;  // from < horizon
    // headroom: set to H where the answer is a "never" for all time, else 0.
    // (always_inline on the declarations: given only on a definition out of the class,
    // GCC applies its unit-growth limit to it in this large unit and calls them.)
    [[gnu::always_inline]] sim::Time check_from(const Vec& y, sim::Time from, sim::Time horizon,
                                                double* headroom) const;
    sim::Bound bound_from(const Vec& y, sim::Time from, sim::Time horizon, double* headroom = nullptr) const;
    [[gnu::always_inline]] sim::Bound bound_at(const Vec& y, sim::Time from, sim::Time horizon,
                                               double* headroom) const;
    bool below_rheobase(const Vec& y, double* headroom) const;
    // The most that inputs in[0..n) can add to f at any later time (their ports' tops).
    double input_tops(const sim::SliceInput* in, std::size_t n) const;
    // The inputs in[k..n) on the free flow, from (y, t): a free step to each, then its jump.
    void apply_free(Vec& y, sim::Time& t, const sim::SliceInput* in, std::size_t k, std::size_t n) const;
    Rise rise(const Vec& c, double sign) const;
    void plan_superposition();

    LinearModelSpec spec_;
    std::size_t ports_;
    Mat v_{}, v_inv_{};                   // free flow: M = V diag(lambda) V^-1
    Vec lambda_{}, theta_v_{};            // its eigenvalues; (theta, c) V
    std::array<int, Z> same_rate_{};      // an earlier mode with the same eigenvalue, or -1
    std::array<int, Z> rate_class_{};     // index of the mode's distinct decaying rate, -1 for rate 0
    std::array<double, Z> class_rate_{};  // those rates, r = -lambda > 0
    int rate_classes_ = 0;
    Vec top_floor_{}, const_weight_{};  // per mode: -inf and 1 for rate 0, else 0 and 0 (ceiling)
    bool const_last_ = false;           // the shape: one constant mode, the last (ceiling)
    // The refractory flow in the free modal basis: per distinct decaying rate lambda_c,
    // the nonzero entries of Q_c (constructor): y += (e^{lambda_c s} - 1) Q_c y.
    struct RefEntry {
        int row, col;
        double value;
    };
    struct RefClass {
        double lambda;
        std::vector<RefEntry> q;
    };
    std::vector<RefClass> ref_classes_;
    Vec lambda_ref_{};               // the refractory flow's eigenvalues
    std::array<int, Z> ref_same_{};  // an earlier mode with the same one, or -1
    Mat reset_{};                    // V^-1 [[R, r], [0, 1]] V
    std::vector<Vec> reset_node_;    // per node (only if given): added after reset_ (constructor)
    std::vector<Vec> offset_node_;   // per node (only with per-node drive or threshold): z = V y + o_i
    Vec minus_offset(sim::Index i, Vec z) const {
        if (!offset_node_.empty())
            for (int k = 0; k < Z; ++k) z[k] -= offset_node_[i][k];
        return z;
    }
    std::vector<Vec> jump_, jump_ref_;  // per port: c_p, and c_p with clamped entries dropped
    std::vector<Rise> rise_pos_, rise_neg_;
    bool negative_harmless_ = false;  // every port: g_p >= 0
    // Superposition: per port its own mode and coefficient, the shared mode m.
    sim::SliceKernel kernel_;
    std::array<int, sim::SliceKernel::kPorts> own_mode_{};
    std::array<double, sim::SliceKernel::kPorts> own_coef_{};
    std::array<Rise, sim::SliceKernel::kPorts> sup_rise_{};  // rise_pos_, zero for absent ports
    int shared_mode_ = 0;
    // settle's grid table: grid_[m][k] = e^{lambda_k m h} for slices of width grid_span_.
    static constexpr int kGridSlices = 32;
    static constexpr double kGridTol = 0x1p-49;  // |x - m h| <= this * t1: m whole slices (rounding)
    double grid_span_ = 0.0, grid_inv_h_ = 0.0;
    std::array<Vec, kGridSlices + 1> grid_{};
    static constexpr double kStepSlices = 32;
    std::array<sim::SliceExp, Z> step_exp_{};  // [rate class], built with the grid
    std::vector<State> state_;

    // The event loop's advance and receive (small_linear.cpp, its last section). A free
    // step from t0 to t within one epoch [T, T + E) (E a power of two, E r <= 8 for every
    // rate) takes e^{-r (t - t0)} as G(t) H(t0), G(t) = e^{-r (t - T)} once per distinct
    // t (an instant's zero-delay deliveries share it), H(t0) = 1 / G(t0) kept per node:
    // one product instead of an exponential. Both are functions of the times alone
    // (recomputed where the kept one is not for the node's time), so the result does not
    // depend on what was cached: no checkpoint state. Only where the engine says that the
    // event loop alone calls (on_event_loop): the cache is shared, the slices' lanes are not.
    struct Instant {
        sim::Time t = std::numeric_limits<double>::quiet_NaN(), t_epoch = 0.0;
        std::array<double, Z> g{}, h{};  // per mode (its rate class's): G(t), H(t) = 1 / G(t)
    };
    struct NodeScale {
        sim::Time t = std::numeric_limits<double>::quiet_NaN();  // H is for this time
        std::array<double, Z> h{};
    };
    struct Support {  // a port's nonzero modal jump entries: modes k, coefficients c
        int n = 0;
        std::array<int, Z> k{};
        std::array<double, Z> c{};
    };
    std::array<double, Z> mode_decay(double x) const;  // per mode: e^{-r x} (1 for rate 0)
    void fill_instant(sim::Time t);
    void scale_at(NodeScale& h, sim::Time t0) const;  // H(t0), t0 in the instant's epoch
    void advance_event(State& s, sim::Index i, sim::Time t);
    bool event_loop_ = false;
    double epoch_ = 0.0, inv_epoch_ = 0.0;
    Instant instant_;
    std::vector<NodeScale> scale_;
    std::vector<Support> support_, support_ref_;  // per port, for jump_ / jump_ref_ (empty: all)
};

extern template class SmallLinear<1>;
extern template class SmallLinear<2>;
extern template class SmallLinear<3>;
extern template class SmallLinear<4>;

}  // namespace delaysim::models
