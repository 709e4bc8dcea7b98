#include "plasticity/delay_shift_stdp.hpp"

namespace delaysim::plasticity {

RuleInfo DelayShiftStdp::info() {
    RuleInfo r;
    r.name = "delay_shift_stdp";
    r.doc = "delay learning (Natschlaeger & Ruf 1998): move arrivals to target_lag_ms before the post spike";
    const double inf = 1e300;
    r.params = {
        {"eta", "1", sim::ParamKind::Real, 0.5, 0.0, 2.0, true, false,
         "fraction of the arrival error corrected per pairing"},
        {"target_lag_ms", "ms", sim::ParamKind::Real, 0.0, -inf, inf, false, false,
         "wanted t_post - t_arrival"},
        {"window_ms", "ms", sim::ParamKind::Real, 10.0, 0.0, inf, false, false,
         "pairs with |t_post - t_arrival| above this are ignored"},
        {"late_pairs", "1", sim::ParamKind::Integer, 1.0, 0.0, 1.0, false, false,
         "1: arrivals after a post spike shorten their delay too"},
    };
    r.make = [](const sim::Params& p) { return std::make_unique<DelayShiftStdp>(p); };
    return r;
}

DelayShiftStdp::DelayShiftStdp(const sim::Params& p)
    : Rule("delay_shift_stdp"),
      eta_(p.get("eta")),
      target_lag_(p.get("target_lag_ms")),
      window_(p.get("window_ms")),
      late_pairs_(p.get("late_pairs") != 0.0) {}

void DelayShiftStdp::attach(std::size_t slot, const sim::Projection& p) {
    if (state_.size() <= slot) state_.resize(slot + 1);
    state_[slot].assign(p.size(), Synapse{});
}

void DelayShiftStdp::shift(SynapseHandle& s, Time lag) {
    s.set_delay(s.delay() + eta_ * (lag - target_lag_));
}

void DelayShiftStdp::on_delivered(SynapseHandle& s, Time t) {
    Synapse& st = state_[s.slot()][s.index()];
    st.last_arrival = t;
    // lag == 0: the target fired in this instant before this arrival (fire before
    // delivery), so its post-spike hook could not see it; the pair belongs here.
    const Time lag = st.last_post - t;
    if ((late_pairs_ || lag == 0.0) && lag <= 0.0 && -lag <= window_) shift(s, lag);
}

void DelayShiftStdp::on_post_spike(SynapseHandle& s, Time t) {
    Synapse& st = state_[s.slot()][s.index()];
    st.last_post = t;
    const Time lag = t - st.last_arrival;
    if (lag >= 0.0 && lag <= window_) shift(s, lag);
}

}  // namespace delaysim::plasticity
