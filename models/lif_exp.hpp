// lif_exp — leaky integrate-and-fire neuron with exponentially decaying synaptic
// currents, integrated exactly (Rotter & Diesmann 1999) with precise spike times
// (no grid; cf. Morrison et al. 2007 and NEST's iaf_psc_exp_ps). Units: mV, pA, pF, ms.
//
//   dV/dt    = -(V - E_L)/tau_m + (I_ex + I_in + I_e)/C_m
//   dI_ex/dt = -I_ex/tau_syn_ex        port ex: I_ex += w   (w in pA)
//   dI_in/dt = -I_in/tau_syn_in        port in: I_in += w   (w in pA, negative inhibits)
//   spike when V >= V_th; then V = V_reset, clamped for t_ref ms (currents keep decaying
//   and accumulating input). Initial: V = E_L, I_ex = I_in = 0.
// Per node (params lists or distributions): E_L_mV, V_th_mV, V_reset_mV, t_ref_ms,
// I_e_pA. They enter the dynamics only through each node's V_inf and V_th, which
// its State carries, so every bound and fast path below holds node by node.
// C_m_pF, tau_m_ms and tau_syn_*_ms stay one per population: slice superposition
// (slice_kernel) needs one set of rates and K factors for all nodes.
//
// With V_inf = E_L + I_e*tau_m/C_m and K_x = (I_x/C_m)/(1/tau_m - 1/tau_syn_x),
//   V(t0+s) = V_inf + (V0 - V_inf - K_ex - K_in) e^{-s/tau_m} + K_ex e^{-s/tau_syn_ex} + K_in
//   e^{-s/tau_syn_in},
// so V - V_th is a sum of exponentials (one with rate 0) whose first zero is found
// exactly (models/exp_sum.hpp). Requires tau_syn_* != tau_m.
// spike_bound: V'(s) <= S = sum of the positive parts of the terms' slopes at s = 0
// (each term's slope only shrinks in magnitude), so V cannot reach V_th before
// (V_th - V0)/S: a check time that needs no exponential. In large networks the
// exact search then runs only for neurons that got no input until near threshold.
// may_spike_before (slice batching): a PSP per unit current, psi(u) = K(e^{-r_x u} - e^{-r_m u}),
// is concave up to its peak with psi'(0) = 1/C_m, so psi(u) <= min(u/C_m, psi_peak); with
// the slope bound for the free evolution, V over [t0, t1] stays below
//   min(V0 + S (t1-t0), V_inf + sum of positive terms) + sum_port W+_port min((t1-t0)/C_m, psi_peak_port).
// settle (slice superposition): V(t1) = free evolution + the summed PSPs
// (sim/slice_input.hpp), if no spike in the slice. Inputs arrive after t_first, so
// they add at most W+ min((t1 - t_first)/C_m, psi_peak); the free part is bounded
// by the forward bound above or, when the engine's check already excludes a free
// crossing before t1, backwards from V(t1): going back u <= t1 - t_first, term j's
// slope grows by e^{r_j u} (<= 1/(1 - r_j u) for r_j u < 1), so with its amplitude c_j(t1)
//   V_free(t) <= V_free(t1) + u sum_j max(c_j, 0) r_j e^{r_j u}.
// A node that a settle left at a slice end and that gets its next inputs m whole
// slices later (m <= 32; sparse inputs) steps there with e^{-r m h} from a table
// built once per slice width h (std::exp of the same argument): a table load instead of
// the free step's table exponentials, exact to the rounding of the grid times.
// The backward bound takes e^x <= 1 + x + x^2 (0 <= x <= 1) for the slope factor.
// spike_bound_until chains the slope bound (no crossing before it, so bound again from
// there, at most 4 links) before the engine pays for an exact search.
// Below rheobase (V_inf < V_th), with at most two distinct rates among the nonzero
// terms, V - V_inf = c1 e^{-r1 s} + c2 e^{-r2 s} has at most one critical point
// s* = ln(-c2 r2/(c1 r1))/(r2 - r1): if V(0), V_inf and V(s*) are below V_th, V never
// reaches it (peak_below; the check is then "never", not a chain of bounds).
// Headroom: such a proof leaves H = V_th - max V (less a rounding margin) in the state.
// Free evolution keeps it; inputs of positive weight W+ per port add at most
// W+ psi_peak to V at any later time, so while sum_port W+_port psi_peak_port < H
// the node still never fires: absorb applies them without any bound and lowers H
// by that sum. settle only leaves H for later inputs: testing it there cost the
// dense networks, which have none, 3-4 % in A/Bs. Any other change of the state
// (a spike, receive, set_value) sets H = 0.
#pragma once
#include <algorithm>
#include <array>
#include <vector>

#include "models/linear_bounds.hpp"
#include "models/neuron_model.hpp"
#include "models/registry.hpp"
#include "sim/huge_alloc.hpp"
#include "sim/population.hpp"
#include "sim/slice_exp.hpp"

namespace delaysim::models {

class LifExp : public NeuronModel, public sim::SpikeBounds, public sim::Batching, public sim::Superposition {
public:
    enum Port : std::size_t { kPortEx, kPortIn };
    enum Var : std::size_t { kV, kIex, kIin };

    LifExp(const std::string& name, sim::Index size, const sim::Params& p);
    static ModelInfo info();

    void advance(sim::Index i, sim::Time t) override;
    void receive(sim::Index i, std::size_t port, double w, sim::Time t) override;
    sim::Time next_spike(sim::Index i, sim::Time t, sim::Time horizon) override;
    void fire(sim::Index i, sim::Time t) override;
    double value(sim::Index i, std::size_t var, sim::Time t) const override;
    void set_value(sim::Index i, std::size_t var, double x) override;

    // Capabilities (all four but lag ports).
    sim::Bound spike_bound(sim::Index i, sim::Time t, sim::Time horizon) override;
    sim::Bound spike_bound_until(sim::Index i, sim::Time t, sim::Time b, sim::Time horizon) override;
    void prefetch(sim::Index i) const override {  // a 64-byte state may straddle two lines
        __builtin_prefetch(&state_[i]);
        __builtin_prefetch(reinterpret_cast<const char*>(&state_[i]) + sizeof(State) - 1);
    }
    bool may_spike_before(sim::Index i, sim::Time t1, const double* w_plus) const override;
    sim::MaybeTime absorb(sim::Index i, const sim::SliceInput* in, std::size_t n, sim::Time horizon) override;
    sim::SliceKernel slice_kernel() const override;
    sim::MaybeTime settle(sim::Index i, const sim::SliceSum& sum, const Span& span) override;
    void prepare_settle(const Span& span) override;

    // Checkpoints (sim/population.hpp).
    bool checkpointable() const override { return true; }
    void save_state(sim::Writer& w) const override;
    void restore_state(sim::Reader& r) override;

private:
    struct State {
        double v = 0, i_ex = 0, i_in = 0;
        sim::Time t = 0;
        sim::Time ref_end = -1e300;  // end of the refractory period
        // > 0: V stays at least this far below V_th for all t >= this.t without new
        // input (set only from a non-refractory state; kept by free evolution).
        double headroom = 0;
        // This node's constants (never change after construction; store() skips
        // them): V_inf = E_L + I_e tau_m / C_m and V_th.
        double v_inf = 0, v_th = 0;
    };
    State evolved(const State& s, sim::Time t) const;
    bool may_spike(const State& s, sim::Time t_in, sim::Time t1, double w_ex, double w_in) const;
    sim::Time bound_from(const State& s, sim::Time horizon, bool& exact, double& headroom) const;
    sim::Time bound_from(const State& s, sim::Time horizon, bool& exact) const {
        double headroom;
        return bound_from(s, horizon, exact, headroom);
    }
    State free_evolution(const State& s, sim::Time t) const;
    State decayed(const State& s, sim::Time t, double e_m, double e_ex, double e_in) const;
    // free_evolution with table exponentials (sim/slice_exp.hpp) for steps of up
    // to kStepSlices slices: settle() takes one such step per node and slice, and
    // in sparsely driven networks the step since a node's last input spans slices.
    State free_step(const State& s, sim::Time t);
    static constexpr double kStepSlices = 32;
    // Settle's free step when it spans m whole slices (the node was last moved by
    // a settle, to a slice end, m <= kGridSlices slices ago): the decay factors
    // e^{-r m h} from a per-population table, no exponential at all (header).
    State grid_step(const State& s, sim::Time t1);
    static constexpr int kGridSlices = 32;
    // |x - m h| below this fraction of t1 (a few ulps: the rounding of the two
    // grid times themselves) counts as m whole slices.
    static constexpr double kGridTol = 0x1p-49;
    // The tables for slices of width h (prepare_settle, restore_state).
    void build_tables(double h);

    // V - V_inf = a e^{-r_m s} + k_ex e^{-r_ex s} + k_in e^{-r_in s} from state s
    // (with the node's V_inf and V_th).
    struct Terms {
        double a, k_ex, k_in, v_inf, v_th;
    };
    Terms terms(const State& s) const {
        const double k_ex = s.i_ex * kf_ex_, k_in = s.i_in * kf_in_;
        return {s.v - s.v_inf - k_ex - k_in, k_ex, k_in, s.v_inf, s.v_th};
    }
    // Each term only decays, so the sum of the positive ones bounds V - V_inf from
    // above: if even that ceiling stays below threshold, no crossing is possible
    // (cheap exit for the common sub-threshold case in large networks).
    double ceiling(const Terms& c) const {
        return c.v_inf + positive(c.a) + positive(c.k_ex) + positive(c.k_in);
    }
    bool can_cross(const Terms& c) const { return ceiling(c) >= c.v_th; }
    // S: V' <= S for all later times (each term's slope only shrinks in magnitude).
    double slope_bound(const Terms& c) const {
        return positive(-c.a * r_m_) + positive(-c.k_ex * r_ex_) + positive(-c.k_in * r_in_);
    }
    // The largest V over s >= 0, exact, or +inf where it is not proved; call only with
    // V_inf < V_th (sparse networks).
    double peak_below(const Terms& c) const;
    static double rounding_margin(double v_th) { return 1e-9 * (std::abs(v_th) + 1.0); }  // for log and exp
    // Field by field: a whole-struct copy went through the stack in widths that
    // defeated store-to-load forwarding (a stall on every settled node).
    void store(sim::Index i, const State& s) {
        State& out = state_[i];
        out.v = s.v;
        out.i_ex = s.i_ex;
        out.i_in = s.i_in;
        out.t = s.t;
        out.ref_end = s.ref_end;
        out.headroom = s.headroom;
    }

    double c_m_, tau_m_, tau_ex_, tau_in_;
    std::vector<double> v_reset_, t_ref_;  // per node (fire() only)
    // Rates (1/ms) and K_x / I_x = 1/(C_m (r_m - r_x)), precomputed: the hot path
    // (every delivery) then multiplies instead of dividing.
    double r_m_, r_ex_, r_in_, kf_ex_, kf_in_;
    double psi_peak_ex_, psi_peak_in_;  // peak of the PSP per unit current (mV/pA)
    sim::HugeVector<State> state_;
    double table_span_ = 0.0;  // slice width the tables were built for
    sim::SliceExp2 exp_ex_m_;
    sim::SliceExp exp_in_;
    struct GridDecay {
        double e_m, e_ex, e_in;
    };
    std::array<GridDecay, kGridSlices + 1> grid_{};  // [m]: e^{-r m h}, m = 1..kGridSlices
    double grid_inv_h_ = 0.0;
};

}  // namespace delaysim::models
