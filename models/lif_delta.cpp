#include "models/lif_delta.hpp"

#include <algorithm>
#include <cmath>

namespace delaysim::models {

using sim::ParamKind;

ModelInfo LifDelta::info() {
    ModelInfo m;
    m.name = "lif_delta";
    m.doc =
        "leaky integrate-and-fire, instantaneous voltage jumps (IntFire1, iaf_psc_delta), exact, precise "
        "spike times";
    const double inf = 1e300;
    m.params = {
        {"C_m_pF", "pF", ParamKind::Real, 250.0, 0.0, inf, true, false,
         "membrane capacitance (scales I_e only)"},
        {"tau_m_ms", "ms", ParamKind::Real, 10.0, 0.0, inf, true, false, "membrane time constant"},
        {"E_L_mV", "mV", ParamKind::Real, -65.0, -inf, inf, false, false, "resting potential"},
        {"V_th_mV", "mV", ParamKind::Real, -50.0, -inf, inf, false, false, "spike threshold"},
        {"V_reset_mV", "mV", ParamKind::Real, -65.0, -inf, inf, false, false, "reset potential (< V_th)"},
        {"t_ref_ms", "ms", ParamKind::Real, 2.0, 0.0, inf, false, false,
         "absolute refractory period (V clamped, inputs ignored)"},
        {"I_e_pA", "pA", ParamKind::Real, 0.0, -inf, inf, false, false, "constant external current"},
    };
    m.ports = {{"ex", sim::PortKind::Input, "V += w (mV)"}, {"in", sim::PortKind::Input, "V += w (mV)"}};
    m.variables = {{"V_m", "mV", "membrane potential"}};
    m.make = [](const std::string& name, sim::Index size, const sim::Params& p, std::uint64_t) {
        return std::make_unique<LifDelta>(name, size, p);
    };
    return m;
}

LifDelta::LifDelta(const std::string& name, sim::Index size, const sim::Params& p)
    : NeuronModel(name, size, described<LifDelta>()),
      tau_m_(p.get("tau_m_ms")),
      e_l_(p.get("E_L_mV")),
      v_th_(p.get("V_th_mV")),
      v_reset_(p.get("V_reset_mV")),
      t_ref_(p.get("t_ref_ms")),
      v_inf_(e_l_ + p.get("I_e_pA") * tau_m_ / p.get("C_m_pF")) {
    // A reset at or above threshold would fire again at the end of every
    // refractory period (or, with t_ref = 0, forever at one instant).
    if (!(v_reset_ < v_th_))
        throw sim::UserError(p.owner() + ": parameter 'V_reset_mV' must be below 'V_th_mV'",
                             p.where("V_reset_mV"));
    State s;
    s.v = e_l_;
    state_.assign(size, s);
    if (t_ref_ > 0.0) declare({.batching = this});
}

LifDelta::State LifDelta::evolved(const State& s, sim::Time t) const {
    State out = s;
    out.t = t;
    sim::Time from = s.t;  // free evolution from (from, v0)
    double v0 = s.v;
    if (s.t < s.ref_end) {  // refractory at s.t: clamped until ref_end
        if (t <= s.ref_end) {
            out.v = v_reset_;
            return out;
        }
        from = s.ref_end;
        v0 = v_reset_;
    }
    out.v = v_inf_ + (v0 - v_inf_) * std::exp(-(t - from) / tau_m_);
    return out;
}

void LifDelta::advance(sim::Index i, sim::Time t) {
    state_[i] = evolved(state_[i], t);
}

void LifDelta::receive(sim::Index i, std::size_t, double w, sim::Time t) {
    State& s = state_[i];
    if (t < s.ref_end) return;  // absolute refractoriness: the input is lost
    s.v += w;
}

sim::Time LifDelta::next_spike(sim::Index i, sim::Time t, sim::Time horizon) {
    const State s = evolved(state_[i], std::max(t, state_[i].ref_end));
    // A jump to or past threshold fires at once (the engine asks right after receive).
    if (s.v >= v_th_) return s.t < horizon ? s.t : sim::kNever;
    if (!(v_inf_ > v_th_)) return sim::kNever;  // V only approaches V_inf
    const sim::Time t_cross = s.t + tau_m_ * std::log((v_inf_ - s.v) / (v_inf_ - v_th_));
    return t_cross < horizon ? t_cross : sim::kNever;
}

bool LifDelta::may_spike_before(sim::Index i, sim::Time, const double* w_plus) const {
    const double top =
        std::max(state_[i].v, v_inf_) + std::max(w_plus[kPortEx], 0.0) + std::max(w_plus[kPortIn], 0.0);
    return top >= v_th_;
}

std::optional<sim::Time> LifDelta::absorb(sim::Index i, const sim::SliceInput* in, std::size_t n,
                                          sim::Time horizon) {
    double w_plus = 0.0;
    for (std::size_t k = 0; k < n; ++k) w_plus += std::max(in[k].w, 0.0);
    if (std::max(state_[i].v, v_inf_) + w_plus >= v_th_) return std::nullopt;
    for (std::size_t k = 0; k < n; ++k) {
        advance(i, in[k].t);
        receive(i, in[k].port, in[k].w, in[k].t);
    }
    return next_spike(i, in[n - 1].t, horizon);
}

void LifDelta::fire(sim::Index i, sim::Time t) {
    state_[i].v = v_reset_;
    state_[i].t = t;
    state_[i].ref_end = t + t_ref_;
}

double LifDelta::value(sim::Index i, std::size_t, sim::Time t) const {
    return evolved(state_[i], t).v;
}

void LifDelta::set_value(sim::Index i, std::size_t, double x) {
    state_[i].v = x;
}

}  // namespace delaysim::models
