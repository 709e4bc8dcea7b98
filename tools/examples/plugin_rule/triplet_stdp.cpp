#include "triplet_stdp.hpp"

#include <algorithm>
#include <cmath>

#include "sim/config/plugin.hpp"
#include "sim/serialize.hpp"

namespace triplet {

delaysim::plasticity::RuleInfo TripletStdp::info() {
    using delaysim::sim::ParamKind;
    const double inf = 1e300;
    delaysim::plasticity::RuleInfo r;
    r.name = "triplet_stdp";
    r.doc = "triplet STDP (Pfister & Gerstner 2006, all-to-all; NEST stdp_triplet_synapse), w in [0, w_max]";
    r.params = {
        {"tau_plus_ms", "ms", ParamKind::Real, 16.8, 0.0, inf, true, false, "pair potentiation window (r1)"},
        {"tau_minus_ms", "ms", ParamKind::Real, 33.7, 0.0, inf, true, false, "pair depression window (o1)"},
        {"tau_x_ms", "ms", ParamKind::Real, 101.0, 0.0, inf, true, false, "presynaptic triplet trace (r2)"},
        {"tau_y_ms", "ms", ParamKind::Real, 125.0, 0.0, inf, true, false, "postsynaptic triplet trace (o2)"},
        {"a2_plus", "1", ParamKind::Real, 5e-3, 0.0, inf, false, false,
         "pair potentiation, relative to w_max"},
        {"a3_plus", "1", ParamKind::Real, 6.2e-3, 0.0, inf, false, false,
         "triplet potentiation, relative to w_max"},
        {"a2_minus", "1", ParamKind::Real, 7e-3, 0.0, inf, false, false,
         "pair depression, relative to w_max"},
        {"a3_minus", "1", ParamKind::Real, 2.3e-4, 0.0, inf, false, false,
         "triplet depression, relative to w_max"},
        {"w_max", "w", ParamKind::Real, 1.0, 0.0, inf, true, false,
         "upper weight bound (weights in [0, w_max])"},
    };
    r.make = [](const delaysim::sim::Params& p) { return std::make_unique<TripletStdp>(p); };
    return r;
}

TripletStdp::TripletStdp(const delaysim::sim::Params& p)
    : Rule("triplet_stdp"),
      tau_plus_(p.get("tau_plus_ms")),
      tau_minus_(p.get("tau_minus_ms")),
      tau_x_(p.get("tau_x_ms")),
      tau_y_(p.get("tau_y_ms")),
      a2p_(p.get("a2_plus")),
      a3p_(p.get("a3_plus")),
      a2m_(p.get("a2_minus")),
      a3m_(p.get("a3_minus")),
      w_max_(p.get("w_max")) {}

void TripletStdp::attach(std::size_t slot, const delaysim::sim::Projection& p) {
    if (state_.size() <= slot) state_.resize(slot + 1);
    state_[slot].assign(p.size(), Synapse{});
}

// The traces decay exactly between events: each is brought to t when it is read.
void TripletStdp::on_delivered(SynapseHandle& s, Time t) {
    Synapse& st = state_[s.slot()][s.index()];
    const double o1 = st.o1 * std::exp(-(t - st.t_post) / tau_minus_);
    const double r2 = st.r2 * std::exp(-(t - st.t_pre) / tau_x_);  // before its own jump
    const double u = s.weight() / w_max_ - o1 * (a2m_ + a3m_ * r2);
    s.set_weight(std::max(0.0, u) * w_max_);
    st.r1 = st.r1 * std::exp(-(t - st.t_pre) / tau_plus_) + 1.0;
    st.r2 = r2 + 1.0;
    st.t_pre = t;
}

void TripletStdp::on_post_spike(SynapseHandle& s, Time t) {
    Synapse& st = state_[s.slot()][s.index()];
    const double r1 = st.r1 * std::exp(-(t - st.t_pre) / tau_plus_);
    const double o2 = st.o2 * std::exp(-(t - st.t_post) / tau_y_);  // before its own jump
    const double u = s.weight() / w_max_ + r1 * (a2p_ + a3p_ * o2);
    s.set_weight(std::min(1.0, u) * w_max_);
    st.o1 = st.o1 * std::exp(-(t - st.t_post) / tau_minus_) + 1.0;
    st.o2 = o2 + 1.0;
    st.t_post = t;
}

// Checkpoints: the traces of every synapse, per slot.
void TripletStdp::save_state(delaysim::sim::Writer& w) const {
    w.put_nested(state_);
}

void TripletStdp::restore_state(delaysim::sim::Reader& r) {
    r.expect(r.length(sizeof(std::uint64_t)), state_.size(), "triplet_stdp slots");
    for (auto& slot : state_) r.get(slot, slot.size(), "triplet_stdp synapse state");
}

}  // namespace triplet

DELAYSIM_PLUGIN(registrar) {
    registrar.add_rule(triplet::TripletStdp::info());
}
