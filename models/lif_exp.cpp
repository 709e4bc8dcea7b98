#include "models/lif_exp.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "models/exp_sum.hpp"

namespace delaysim::models {

using sim::ParamKind;

ModelInfo LifExp::info() {
    ModelInfo m;
    m.name = "lif_exp";
    m.doc = "leaky integrate-and-fire, exponential current synapses, exact integration, precise spike times";
    const double inf = 1e300;
    m.params = {
        {"C_m_pF", "pF", ParamKind::Real, 250.0, 0.0, inf, true, false, "membrane capacitance"},
        {"tau_m_ms", "ms", ParamKind::Real, 10.0, 0.0, inf, true, false, "membrane time constant"},
        {"E_L_mV", "mV", ParamKind::Real, -65.0, -inf, inf, false, false, "resting potential", true},
        {"V_th_mV", "mV", ParamKind::Real, -50.0, -inf, inf, false, false, "spike threshold", true},
        {"V_reset_mV", "mV", ParamKind::Real, -65.0, -inf, inf, false, false, "reset potential (< V_th)",
         true},
        {"t_ref_ms", "ms", ParamKind::Real, 2.0, 0.0, inf, false, false, "refractory period", true},
        {"I_e_pA", "pA", ParamKind::Real, 0.0, -inf, inf, false, false, "constant external current", true},
        {"tau_syn_ex_ms", "ms", ParamKind::Real, 2.0, 0.0, inf, true, false, "decay of I_ex (port ex)"},
        {"tau_syn_in_ms", "ms", ParamKind::Real, 2.0, 0.0, inf, true, false, "decay of I_in (port in)"},
    };
    m.ports = {{"ex", sim::PortKind::Input, "I_ex += w (pA)"},
               {"in", sim::PortKind::Input, "I_in += w (pA)"}};
    m.variables = {{"V_m", "mV", "membrane potential"},
                   {"I_ex", "pA", "excitatory synaptic current"},
                   {"I_in", "pA", "inhibitory synaptic current"}};
    m.make = [](const std::string& name, sim::Index size, const sim::Params& p, std::uint64_t) {
        return std::make_unique<LifExp>(name, size, p);
    };
    return m;
}

LifExp::LifExp(const std::string& name, sim::Index size, const sim::Params& p)
    : NeuronModel(name, size, described<LifExp>()),
      c_m_(p.get("C_m_pF")),
      tau_m_(p.get("tau_m_ms")),
      tau_ex_(p.get("tau_syn_ex_ms")),
      tau_in_(p.get("tau_syn_in_ms")),
      v_reset_(p.per_node("V_reset_mV", size)),
      t_ref_(p.per_node("t_ref_ms", size)),
      r_m_(1.0 / tau_m_),
      r_ex_(1.0 / tau_ex_),
      r_in_(1.0 / tau_in_),
      kf_ex_(1.0 / (c_m_ * (r_m_ - r_ex_))),
      kf_in_(1.0 / (c_m_ * (r_m_ - r_in_))) {
    const std::vector<double> e_l = p.per_node("E_L_mV", size), v_th = p.per_node("V_th_mV", size),
                              i_e = p.per_node("I_e_pA", size);
    const bool varies = p.varies("V_reset_mV") || p.varies("V_th_mV");
    for (sim::Index i = 0; i < size; ++i)
        if (!(v_reset_[i] < v_th[i]))
            throw sim::UserError(p.owner() + ": parameter 'V_reset_mV' must be below 'V_th_mV'" +
                                     (varies ? " (node " + std::to_string(i) + ")" : std::string()),
                                 p.where(p.varies("V_th_mV") ? "V_th_mV" : "V_reset_mV"));
    for (const char* key : {"tau_syn_ex_ms", "tau_syn_in_ms"})
        if (std::abs(p.get(key) - tau_m_) <= 1e-9 * tau_m_)
            throw sim::UserError(
                p.owner() + ": parameter '" + key +
                    "' must differ from 'tau_m_ms' (the exact propagator needs distinct rates)",
                p.where(key));
    declare({.bounds = this, .batching = this, .superposition = this});
    state_.assign(size, State{});
    for (sim::Index i = 0; i < size; ++i) {
        state_[i].v = e_l[i];
        state_[i].v_inf = e_l[i] + i_e[i] * tau_m_ / c_m_;
        state_[i].v_th = v_th[i];
    }
    // psi(u) = kf (e^{-r_x u} - e^{-r_m u}) peaks at u* = ln(r_x/r_m)/(r_x - r_m).
    auto psi_peak = [&](double r_x, double kf) {
        const double u = std::log(r_x / r_m_) / (r_x - r_m_);
        return kf * (std::exp(-r_x * u) - std::exp(-r_m_ * u));
    };
    psi_peak_ex_ = psi_peak(r_ex_, kf_ex_);
    psi_peak_in_ = psi_peak(r_in_, kf_in_);
}

// Sub-threshold evolution without refractoriness.
LifExp::State LifExp::free_evolution(const State& s, sim::Time t) const {
    const double x = t - s.t;
    State out = s;
    out.t = t;
    if (x == 0.0) return out;
    const double e_ex = std::exp(-x * r_ex_);
    const double e_in = tau_in_ == tau_ex_ ? e_ex : std::exp(-x * r_in_);  // common case: one exp less
    return decayed(s, t, std::exp(-x * r_m_), e_ex, e_in);
}

// The free evolution given its decay factors over [s.t, t].
[[gnu::always_inline]] inline LifExp::State LifExp::decayed(const State& s, sim::Time t, double e_m,
                                                            double e_ex, double e_in) const {
    const Terms c = terms(s);
    State out = s;
    out.t = t;
    out.v = c.v_inf + c.a * e_m + c.k_ex * e_ex + c.k_in * e_in;
    out.i_ex = s.i_ex * e_ex;
    out.i_in = s.i_in * e_in;
    return out;
}

LifExp::State LifExp::evolved(const State& s, sim::Time t) const {
    if (t <= s.ref_end) {  // still refractory at t: V clamped, currents decay
        // (V is V_reset here: fire() set it, and nothing else writes V while
        // refractory, so the per-node V_reset need not live in the State.)
        State out = s;
        out.i_ex = s.i_ex * std::exp(-(t - s.t) * r_ex_);
        out.i_in = s.i_in * std::exp(-(t - s.t) * r_in_);
        out.t = t;
        return out;
    }
    if (s.t < s.ref_end) {  // refractoriness ends inside the interval
        State mid = evolved(s, s.ref_end);
        return free_evolution(mid, t);
    }
    return free_evolution(s, t);
}

void LifExp::advance(sim::Index i, sim::Time t) {
    state_[i] = evolved(state_[i], t);
}

void LifExp::receive(sim::Index i, std::size_t port, double w, sim::Time) {
    (port == kPortEx ? state_[i].i_ex : state_[i].i_in) += w;
    state_[i].headroom = 0.0;
}

sim::Time LifExp::next_spike(sim::Index i, sim::Time t, sim::Time horizon) {
    const State s = evolved(state_[i], std::max(t, state_[i].ref_end));
    const Terms c = terms(s);
    if (!can_cross(c)) return sim::kNever;
    const double x = first_crossing({{c.a, r_m_}, {c.k_ex, r_ex_}, {c.k_in, r_in_}, {c.v_inf - c.v_th, 0.0}},
                                    horizon - s.t);
    return s.t + x;
}

sim::Bound LifExp::spike_bound(sim::Index i, sim::Time t, sim::Time horizon) {
    bool exact;
    const sim::Time b = bound_from(evolved(state_[i], std::max(t, state_[i].ref_end)), horizon, exact);
    return {b, exact};
}

// From a non-refractory state s: V' <= S (see the header), so no crossing before
// s.t + (V_th - V)/S. headroom: > 0 with a "never" that holds for all time.
sim::Time LifExp::bound_from(const State& s, sim::Time horizon, bool& exact, double& headroom) const {
    const Terms c = terms(s);
    exact = true;
    headroom = 0.0;
    const double v_th = c.v_th, margin = rounding_margin(v_th);
    if (s.v >= v_th) return s.t < horizon ? s.t : sim::kNever;
    if (const double top = ceiling(c); !(top >= v_th)) {
        headroom = v_th - top - margin;
        return sim::kNever;
    }
    if (c.v_inf < v_th) {
        const double peak = peak_below(c);
        if (peak < v_th - margin) {
            headroom = v_th - peak - margin;
            return sim::kNever;
        }
    }
    const double slope = slope_bound(c);
    // V can only decrease. (All terms >= 0 then, so the ceiling above, V itself, has
    // caught this case unless rounding put it exactly at V_th: no headroom kept.)
    if (!(slope > 0.0)) return sim::kNever;
    const sim::Time bound = s.t + (v_th - s.v) / slope;
    if (!(bound < horizon)) return sim::kNever;
    exact = false;
    return bound;
}

// Up to 4 links: each costs two exponentials, an exact search about twenty.
sim::Bound LifExp::spike_bound_until(sim::Index i, sim::Time t, sim::Time b, sim::Time horizon) {
    State s = evolved(state_[i], std::max(t, state_[i].ref_end));
    for (int link = 0;; ++link) {
        bool exact;
        const sim::Time bound = bound_from(s, horizon, exact);
        if (exact || !(bound < b) || link == 3) return {bound, exact};
        s = free_evolution(s, bound);  // no crossing before `bound`: continue from there
    }
}

// From a state below threshold with V_inf < V_th and at most two distinct rates
// among the nonzero terms: V - V_inf = c1 e^{-r1 s} + c2 e^{-r2 s} has at most one
// critical point, s* = ln(-c2 r2 / (c1 r1)) / (r2 - r1), so its maximum over s >= 0
// is V(0), V_inf or V(s*). (The caller has checked V_inf < V_th.)
double LifExp::peak_below(const Terms& c) const {
    double c1 = c.a, r1 = r_m_, c2 = c.k_ex, r2 = r_ex_;
    if (c.k_in != 0.0) {
        if (c.k_ex == 0.0 || r_in_ == r_ex_) {
            c2 += c.k_in;
            r2 = r_in_;
        } else {
            return std::numeric_limits<double>::infinity();
        }
    }
    return two_rate_peak(c.v_inf, c1, r1, c2, r2);
}

// Inputs arrive at >= t_in (>= s.t), so by t1 none is older than t1 - t_in.
bool LifExp::may_spike(const State& s, sim::Time t_in, sim::Time t1, double w_ex, double w_in) const {
    if (t1 <= s.ref_end) return false;  // clamped at V_reset until t1
    if (s.t < s.ref_end) return true;   // refractoriness ends inside: leave it to the exact path
    const Terms c = terms(s);
    const double u = t1 - s.t;
    const double free_max = std::min(s.v + u * slope_bound(c), ceiling(c));
    const double rise = (t1 - std::max(t_in, s.t)) / c_m_;
    const double inputs = w_ex * std::min(rise, psi_peak_ex_) + w_in * std::min(rise, psi_peak_in_);
    // A hair of margin for rounding in the bound itself.
    return free_max + inputs >= s.v_th - 1e-12 * (std::abs(s.v_th) + 1.0);
}

bool LifExp::may_spike_before(sim::Index i, sim::Time t1, const double* w_plus) const {
    return may_spike(state_[i], state_[i].t, t1, w_plus[kPortEx], w_plus[kPortIn]);
}

sim::MaybeTime LifExp::absorb(sim::Index i, const sim::SliceInput* in, std::size_t n, sim::Time horizon) {
    State s = evolved(state_[i], in[0].t);
    double w_ex = 0.0, w_in = 0.0;
    for (std::size_t k = 0; k < n; ++k)
        if (in[k].w > 0) (in[k].port == kPortEx ? w_ex : w_in) += in[k].w;
    // Within its headroom the node still never fires: no bound needed (header).
    const double rise = w_ex * psi_peak_ex_ + w_in * psi_peak_in_;
    const bool within = rise < s.headroom;
    if (!within && may_spike(s, s.t, in[n - 1].t, w_ex, w_in)) return std::nullopt;
    for (std::size_t k = 0; k < n; ++k) {
        s = evolved(s, in[k].t);
        if (in[k].port == kPortEx)
            s.i_ex += in[k].w;
        else
            s.i_in += in[k].w;
    }
    sim::Time next = sim::kNever;
    if (within) {
        s.headroom -= rise;
    } else {
        bool exact = true;
        next = bound_from(evolved(s, std::max(s.t, s.ref_end)), horizon, exact, s.headroom);
        if (s.t < s.ref_end) s.headroom = 0.0;  // it holds from ref_end on only
    }
    store(i, s);
    return next;
}

sim::SliceKernel LifExp::slice_kernel() const {
    sim::SliceKernel k;
    k.r_m = r_m_;
    k.r[kPortEx] = r_ex_;
    k.r[kPortIn] = r_in_;
    k.kf[kPortEx] = kf_ex_;
    k.kf[kPortIn] = kf_in_;
    return k;
}

[[gnu::always_inline]] inline LifExp::State LifExp::free_step(const State& s, sim::Time t) {
    const double x = t - s.t;
    State out = s;
    out.t = t;
    if (x == 0.0) return out;
    double e_ex, e_m;
    exp_ex_m_(x, e_ex, e_m);
    return decayed(s, t, e_m, e_ex, tau_in_ == tau_ex_ ? e_ex : exp_in_(x));
}

// m = (t1 - s.t)/h whole slices, to the rounding of the grid times: one table row.
// (A node whose time is off the grid, after an input-by-input step, takes free_step.)
[[gnu::always_inline]] inline LifExp::State LifExp::grid_step(const State& s, sim::Time t1) {
    const double x = t1 - s.t;
    const double f = x * grid_inv_h_;
    if (f > 0.5 && f < kGridSlices + 0.5) {
        const int m = static_cast<int>(f + 0.5);
        if (std::abs(x - m * table_span_) <= kGridTol * t1) {
            const GridDecay& g = grid_[static_cast<std::size_t>(m)];
            return decayed(s, t1, g.e_m, g.e_ex, g.e_in);
        }
    }
    return free_step(s, t1);
}

void LifExp::build_tables(double h) {
    table_span_ = h;
    exp_ex_m_ = sim::SliceExp2(r_ex_, r_m_, kStepSlices * h);
    exp_in_ = sim::SliceExp(r_in_, kStepSlices * h);
    grid_inv_h_ = 1.0 / h;
    for (int m = 1; m <= kGridSlices; ++m) {
        const double x = m * h;
        const double e_ex = std::exp(-x * r_ex_);
        grid_[static_cast<std::size_t>(m)] = {std::exp(-x * r_m_), e_ex,
                                              tau_in_ == tau_ex_ ? e_ex : std::exp(-x * r_in_)};
    }
}

// The tables for slices of width t1 - t0 (built again when the width drifts by
// rounding); on one thread before a settle phase, whose calls then only read them.
void LifExp::prepare_settle(const Span& span) {
    if (const double h = span.t1 - span.t0; !(std::abs(h - table_span_) <= 1e-9 * h)) build_tables(h);
}

sim::MaybeTime LifExp::settle(sim::Index i, const sim::SliceSum& sum, const Span& span) {
    const sim::Time t1 = span.t1;
    LifExp::prepare_settle(span);  // (a no-op after the engine's call; not virtual: inlined)
    State s = state_[i];
    // Refractory when an input arrives: V is clamped, the PSPs do not superpose.
    if (!(s.ref_end < sum.t_first)) return std::nullopt;
    if (s.t < s.ref_end) s = evolved(s, s.ref_end);
    const double w_ex = sum.w_plus[kPortEx], w_in = sum.w_plus[kPortIn];
    State s1 = grid_step(s, t1);
    bool safe = false;
    const double u = t1 - std::max(sum.t_first, s.t);
    if (span.quiet_until >= t1) {  // backwards from V_free(t1)
        // A decaying term's slope, u ms earlier, was e^{r u} times larger:
        // e^x <= 1 + x + x^2 for 0 <= x <= 1 (the series from x^2 on sums to at most
        // (e - 2) x^2); beyond, the exponential itself.
        auto fall = [u](double c, double r) {
            if (!(c > 0.0)) return 0.0;
            const double x = r * u;
            return c * r * (x <= 1.0 ? 1.0 + x * (1.0 + x) : std::exp(x));
        };
        const Terms c = terms(s1);
        const double rise = u / c_m_;
        const double inputs = w_ex * std::min(rise, psi_peak_ex_) + w_in * std::min(rise, psi_peak_in_);
        const double slope = fall(c.a, r_m_) + fall(c.k_ex, r_ex_) + fall(c.k_in, r_in_);
        safe = s1.v + u * slope + inputs < s1.v_th - 1e-12 * (std::abs(s1.v_th) + 1.0);
    }
    if (!safe && may_spike(s, sum.t_first, t1, w_ex, w_in)) {
        // The forward bound from an old update is loose: once more from the first
        // arrival, if the engine's check excludes a free crossing before it.
        if (!(s.t < sum.t_first) || !(span.quiet_until > sum.t_first)) return std::nullopt;
        s = free_evolution(s, sum.t_first);
        if (may_spike(s, sum.t_first, t1, w_ex, w_in)) return std::nullopt;
    }
    s1.v += sum.v;
    s1.i_ex += sum.syn[kPortEx];
    s1.i_in += sum.syn[kPortIn];
    bool exact = true;
    const sim::Time next = bound_from(s1, span.horizon, exact, s1.headroom);
    store(i, s1);
    return next;
}

void LifExp::fire(sim::Index i, sim::Time t) {
    state_[i].v = v_reset_[i];
    state_[i].ref_end = t + t_ref_[i];
    state_[i].headroom = 0.0;
}

double LifExp::value(sim::Index i, std::size_t var, sim::Time t) const {
    const State s = evolved(state_[i], t);
    return var == kV ? s.v : var == kIex ? s.i_ex : s.i_in;
}

void LifExp::set_value(sim::Index i, std::size_t var, double x) {
    State& s = state_[i];
    (var == kV ? s.v : var == kIex ? s.i_ex : s.i_in) = x;
    s.headroom = 0.0;
}

}  // namespace delaysim::models
