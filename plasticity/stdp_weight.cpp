#include "plasticity/stdp_weight.hpp"

#include <algorithm>
#include <cmath>

namespace delaysim::plasticity {

RuleInfo StdpWeight::info() {
    RuleInfo r;
    r.name = "stdp_weight";
    r.doc = "pair-based weight STDP with traces, additive or multiplicative, w in [w_min, w_max]";
    const double inf = 1e300;
    r.params = {
        {"tau_plus_ms", "ms", sim::ParamKind::Real, 20.0, 0.0, inf, true, false,
         "decay of the presynaptic trace"},
        {"tau_minus_ms", "ms", sim::ParamKind::Real, 20.0, 0.0, inf, true, false,
         "decay of the postsynaptic trace"},
        {"a_plus", "w", sim::ParamKind::Real, 0.01, 0.0, inf, false, false,
         "potentiation amplitude (weight unit if additive, 1 if multiplicative)"},
        {"a_minus", "w", sim::ParamKind::Real, 0.012, 0.0, inf, false, false,
         "depression amplitude (weight unit if additive, 1 if multiplicative)"},
        {"w_min", "w", sim::ParamKind::Real, 0.0, -inf, inf, false, false, "lower weight bound"},
        {"w_max", "w", sim::ParamKind::Real, 1.0, -inf, inf, false, false, "upper weight bound (>= w_min)"},
        {"multiplicative", "1", sim::ParamKind::Integer, 0.0, 0.0, 1.0, false, false,
         "0: additive updates, 1: soft bounds (scaled by distance to the bound)"},
    };
    r.make = [](const sim::Params& p) { return std::make_unique<StdpWeight>(p); };
    return r;
}

StdpWeight::StdpWeight(const sim::Params& p)
    : Rule("stdp_weight"),
      tau_plus_(p.get("tau_plus_ms")),
      tau_minus_(p.get("tau_minus_ms")),
      a_plus_(p.get("a_plus")),
      a_minus_(p.get("a_minus")),
      w_min_(p.get("w_min")),
      w_max_(p.get("w_max")),
      multiplicative_(p.get("multiplicative") != 0.0) {
    if (!(w_max_ >= w_min_))
        throw sim::UserError(p.owner() + ": parameter 'w_max' must be >= 'w_min'", p.where("w_max"));
}

double StdpWeight::Trace::at(Time now, double tau) const {
    return value * std::exp(-(now - t) / tau);
}

double StdpWeight::clip(double w) const {
    return std::clamp(w, w_min_, w_max_);
}

void StdpWeight::attach(std::size_t slot, const sim::Projection& p) {
    if (state_.size() <= slot) state_.resize(slot + 1);
    state_[slot].assign(p.size(), Synapse{});
}

void StdpWeight::on_delivered(SynapseHandle& s, Time t) {
    Synapse& st = state_[s.slot()][s.index()];
    const double w = s.weight();
    const double f = multiplicative_ ? w - w_min_ : 1.0;
    s.set_weight(clip(w - a_minus_ * f * st.y.at(t, tau_minus_)));
    st.x = {st.x.at(t, tau_plus_) + 1.0, t};
}

void StdpWeight::on_post_spike(SynapseHandle& s, Time t) {
    Synapse& st = state_[s.slot()][s.index()];
    const double w = s.weight();
    const double f = multiplicative_ ? w_max_ - w : 1.0;
    s.set_weight(clip(w + a_plus_ * f * st.x.at(t, tau_plus_)));
    st.y = {st.y.at(t, tau_minus_) + 1.0, t};
}

}  // namespace delaysim::plasticity
