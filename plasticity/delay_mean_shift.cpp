#include "plasticity/delay_mean_shift.hpp"

#include <algorithm>
#include <cmath>

namespace delaysim::plasticity {

RuleInfo DelayMeanShift::info() {
    RuleInfo r;
    r.name = "delay_mean_shift";
    r.doc =
        "delay learning by mean shift: move arrivals onto the arrivals of the first (reference) projection";
    const double inf = 1e300;
    r.params = {
        {"eta", "1", sim::ParamKind::Real, 0.5, 0.0, 2.0, true, false,
         "fraction of the mean-shift step applied per burst"},
        {"sigma_ms", "ms", sim::ParamKind::Real, 1.0, 0.0, inf, true, false,
         "width of the Gaussian pair weight exp(-lag^2/(2 sigma^2))"},
        {"window_ms", "ms", sim::ParamKind::Real, 3.0, 0.0, inf, true, false,
         "pairs with |t_ref - t_arrival| above this are ignored"},
        {"gap_ms", "ms", sim::ParamKind::Real, 50.0, 0.0, inf, true, false,
         "a source spike after this much silence ends the burst and applies its shift"},
    };
    r.make = [](const sim::Params& p) { return std::make_unique<DelayMeanShift>(p); };
    return r;
}

DelayMeanShift::DelayMeanShift(const sim::Params& p)
    : Rule("delay_mean_shift"),
      eta_(p.get("eta")),
      sigma_(p.get("sigma_ms")),
      window_(p.get("window_ms")),
      gap_(p.get("gap_ms")) {
    // A shorter gap would let pairs of one burst be applied before they are complete.
    if (gap_ < window_)
        throw sim::UserError(p.owner() + ": 'gap_ms' (" + sim::fmt_ms(gap_) + ") must be >= 'window_ms' (" +
                                 sim::fmt_ms(window_) + ")",
                             p.where("gap_ms"));
}

void DelayMeanShift::attach(std::size_t slot, const sim::Projection& p) {
    if (slot == 0) {
        target_pop_ = p.target_population();
    } else if (p.target_population() != target_pop_) {
        throw sim::UserError("delay_mean_shift: projection '" + p.name() +
                             "' must end on the population of the reference projection (the first listed)");
    }
    Index nodes = 0;
    for (Index s = 0; s < p.size(); ++s) nodes = std::max<Index>(nodes, p.target(s) + 1);
    if (ref_.size() < nodes) ref_.resize(nodes), onto_.resize(nodes);
    if (state_.size() <= slot) state_.resize(slot + 1);
    if (slot == 0) return;
    state_[slot].assign(p.size(), Synapse{});
    for (Index s = 0; s < p.size(); ++s) onto_[p.target(s)].push_back({slot, s});
}

void DelayMeanShift::prune(std::vector<Time>& v, Time t) const {
    // Times arrive in order, so the stale ones are a prefix.
    const auto keep = std::find_if(v.begin(), v.end(), [&](Time a) { return t - a <= window_; });
    v.erase(v.begin(), keep);
}

void DelayMeanShift::pair(Synapse& st, Time lag) const {
    const double g = std::exp(-lag * lag / (2.0 * sigma_ * sigma_));
    st.sum_lag += g * lag;
    st.sum_g += g;
}

void DelayMeanShift::on_delivered(SynapseHandle& s, Time t) {
    const Index node = s.target();
    if (s.slot() == 0) {
        // A reference arrival pairs with the earlier arrivals of every plastic synapse
        // onto this node (lag >= 0); it stays for the plastic arrivals still to come.
        prune(ref_[node], t);
        ref_[node].push_back(t);
        for (const Ref& k : onto_[node]) {
            Synapse& st = state_[k.slot][k.synapse];
            prune(st.arrivals, t);
            for (Time a : st.arrivals) pair(st, t - a);
        }
        return;
    }
    Synapse& st = state_[s.slot()][s.index()];
    prune(ref_[node], t);
    for (Time r : ref_[node]) pair(st, r - t);  // lag <= 0: the reference came first
    prune(st.arrivals, t);
    st.arrivals.push_back(t);
}

void DelayMeanShift::on_pre_spike(SynapseHandle& s, Time t) {
    if (s.slot() == 0) return;
    Synapse& st = state_[s.slot()][s.index()];
    if (t - st.last_pre >= gap_ && st.sum_g > 0.0) {
        s.set_delay(s.delay() + eta_ * st.sum_lag / st.sum_g);
        st.sum_lag = st.sum_g = 0.0;
    }
    st.last_pre = t;
}

}  // namespace delaysim::plasticity
