#include "plasticity/delay_shift_centred.hpp"

#include <algorithm>

namespace delaysim::plasticity {

RuleInfo DelayShiftCentred::info() {
    RuleInfo r;
    r.name = "delay_shift_centred";
    r.doc =
        "delay_shift_stdp with each neuron's mean input delay conserved (shifts shared out over its "
        "synapses)";
    const double inf = 1e300;
    r.params = {
        {"eta", "1", sim::ParamKind::Real, 0.05, 0.0, 2.0, true, false,
         "fraction of the arrival error corrected per pairing"},
        {"target_lag_ms", "ms", sim::ParamKind::Real, 0.0, -inf, inf, false, false,
         "wanted t_post - t_arrival"},
        {"window_ms", "ms", sim::ParamKind::Real, 3.0, 0.0, inf, false, false,
         "pairs with |t_post - t_arrival| above this are ignored"},
        {"late_pairs", "1", sim::ParamKind::Integer, 1.0, 0.0, 1.0, false, false,
         "1: arrivals after a post spike shorten their delay too"},
    };
    r.make = [](const sim::Params& p) { return std::make_unique<DelayShiftCentred>(p); };
    return r;
}

DelayShiftCentred::DelayShiftCentred(const sim::Params& p)
    : Rule("delay_shift_centred"),
      eta_(p.get("eta")),
      target_lag_(p.get("target_lag_ms")),
      window_(p.get("window_ms")),
      late_pairs_(p.get("late_pairs") != 0.0) {}

void DelayShiftCentred::attach(std::size_t slot, const sim::Projection& p) {
    if (state_.size() <= slot) {
        state_.resize(slot + 1);
        slot_targets_.resize(slot + 1, nullptr);
    }
    state_[slot].assign(p.size(), Synapse{});
    // Projections onto the same population share its neurons' counts and sums (a
    // std::map node never moves, so the pointer stays valid as others are added).
    auto& targets = targets_[p.target_population()];
    for (sim::Index s = 0; s < p.size(); ++s) {
        const sim::Index j = p.target(s);
        if (targets.size() <= j) targets.resize(j + 1);
        targets[j].n += 1;
    }
    slot_targets_[slot] = &targets;
}

void DelayShiftCentred::update(SynapseHandle& s, Synapse& st, double delta) {
    Target& tg = target_of(s);
    const double owed = tg.shares - st.taken;
    const double own = delta / tg.n;
    tg.shares += own;
    // The synapse takes its own share -delta/n at once, the others' at their next hook.
    st.taken += owed + own;
    const double change = delta - own - owed;
    if (change != 0.0) s.set_delay(s.delay() + change);
}

void DelayShiftCentred::on_delivered(SynapseHandle& s, Time t) {
    Synapse& st = state_[s.slot()][s.index()];
    st.last_arrival = t;
    // lag == 0: the target fired in this instant before this arrival (fire before
    // delivery), so its post-spike hook could not see it; the pair belongs here.
    const Time lag = st.last_post - t;
    // An unpaired arrival writes nothing: the owed shares wait for the next post
    // spike (fewer writes; the neuron's sum is conserved at its spikes either way).
    if ((late_pairs_ || lag == 0.0) && lag <= 0.0 && -lag <= window_)
        update(s, st, eta_ * (lag - target_lag_));
}

void DelayShiftCentred::on_post_spike(SynapseHandle& s, Time t) {
    Synapse& st = state_[s.slot()][s.index()];
    st.last_post = t;
    const Time lag = t - st.last_arrival;
    const bool paired = lag >= 0.0 && lag <= window_;
    update(s, st, paired ? eta_ * (lag - target_lag_) : 0.0);
}

}  // namespace delaysim::plasticity
