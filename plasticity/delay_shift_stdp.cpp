#include "plasticity/delay_shift_stdp.hpp"

#include <algorithm>
#include <utility>

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
    if (last_arrival_.size() <= slot) last_arrival_.resize(slot + 1), last_post_.resize(slot + 1);
    last_arrival_[slot].assign(p.size(), -sim::kNever);
    last_post_[slot].assign(p.n_target(), -sim::kNever);
}

void DelayShiftStdp::shift(SynapseHandle& s, Time lag) {
    s.set_delay(s.delay() + eta_ * (lag - target_lag_));
}

void DelayShiftStdp::on_delivered(SynapseHandle& s, Time t) {
    // max: the same as t in time order, and what the engine's ArrivalLog stores in any order.
    Time& last = last_arrival_[s.slot()][s.index()];
    last = std::max(last, t);
    // lag == 0: the target fired in this instant before this arrival (fire before
    // delivery), so its post-spike hook could not see it; the pair belongs here.
    const Time lag = last_post_[s.slot()][s.target()] - t;
    if ((late_pairs_ || lag == 0.0) && lag <= 0.0 && -lag <= window_) shift(s, lag);
}

// Two passes over the node's incoming synapses: find the pairs (reading only the
// last arrivals, prefetched ahead), then shift them (their delays prefetched):
// only the ~window_ms * rate share that pairs costs a delay read.
void DelayShiftStdp::on_post_spike_node(NodeHandle& h, Time t) {
    const std::size_t slot = h.slot();
    last_post_[slot][h.node()] = t;
    const Time* last = last_arrival_[slot].data();
    const auto in = h.incoming();
    thread_local std::vector<std::pair<std::uint32_t, Time>> pairs;  // (per thread: lanes run nodes at once)
    pairs.clear();
    constexpr std::size_t kAhead = 16;
    for (std::size_t k = 0; k < in.size(); ++k) {
        if (k + kAhead < in.size()) __builtin_prefetch(last + in[k + kAhead]);
        const Time lag = t - last[in[k]];
        if (lag >= 0.0 && lag <= window_) pairs.emplace_back(in[k], lag);
    }
    constexpr std::size_t kDelayAhead = 8;
    for (std::size_t i = 0; i < std::min(kDelayAhead, pairs.size()); ++i) h.prefetch(pairs[i].first);
    for (std::size_t i = 0; i < pairs.size(); ++i) {
        if (i + kDelayAhead < pairs.size()) h.prefetch(pairs[i + kDelayAhead].first);
        SynapseHandle s = h.synapse(pairs[i].first);
        shift(s, pairs[i].second);
    }
}

}  // namespace delaysim::plasticity
