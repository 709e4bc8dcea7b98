#include "plasticity/loser_delay_align.hpp"

#include <algorithm>
#include <cmath>

namespace delaysim::plasticity {

RuleInfo LoserDelayAlign::info() {
    RuleInfo r;
    r.name = "loser_delay_align";
    r.doc =
        "the seed's loser rule made to settle: an inhibited neuron searches (step_ms) while some plastic "
        "arrival has no reference partner within window_ms, else corrects its mean timing error";
    r.params = {
        {"reference_port", "1", sim::ParamKind::Integer, 0.0, 0.0, 1e6, false, false,
         "index of the target port (delaysim list) whose arrivals are the timing reference; never written"},
        {"window_ms", "ms", sim::ParamKind::Real, 0.4, 0.0, 1e6, true, false,
         "a plastic arrival is matched if a reference arrival lies within +-window_ms"},
        {"step_ms", "ms", sim::ParamKind::Real, 0.8, 0.0, 1e6, true, false,
         "search shift per inhibition while some plastic arrival is unmatched; <= 2 window_ms"},
        {"tau_ms", "ms", sim::ParamKind::Real, 0.5, 0.0, 1e6, true, false,
         "time constant of the pair weight exp(-|t_R - t_P| / tau)"},
        {"gain", "1", sim::ParamKind::Real, 1.0, 0.0, 2.0, true, false,
         "fraction of the weighted mean timing error corrected per inhibition"},
        {"min_change_ms", "ms", sim::ParamKind::Real, 1e-3, 0.0, 1e6, false, false,
         "refinements smaller than this are not applied (the delay stops changing)"},
    };
    r.make = [](const sim::Params& p) { return std::make_unique<LoserDelayAlign>(p); };
    return r;
}

LoserDelayAlign::LoserDelayAlign(const sim::Params& p)
    : Rule("loser_delay_align"),
      window_(p.get("window_ms")),
      step_(p.get("step_ms")),
      tau_(p.get("tau_ms")),
      gain_(p.get("gain")),
      min_change_(p.get("min_change_ms")),
      reference_port_(static_cast<std::size_t>(p.get("reference_port"))) {
    // A longer step could jump over the matched window and search for ever.
    if (step_ > 2.0 * window_)
        throw sim::UserError(p.owner() + ": step_ms (" + std::to_string(step_) +
                             ") must be <= 2 window_ms (" + std::to_string(2.0 * window_) + ")");
}

void LoserDelayAlign::attach(std::size_t slot, const sim::Projection& p) {
    if (index_.size() <= slot) index_.resize(slot + 1), is_reference_.resize(slot + 1);
    const bool reference = p.port() == reference_port_;
    is_reference_[slot] = reference;
    auto& idx = index_[slot];
    idx.resize(p.size());
    for (sim::Index s = 0; s < p.size(); ++s) {
        const auto key = std::make_pair(p.target_population(), p.target(s));
        auto [it, fresh] = node_of_.try_emplace(key, static_cast<std::uint32_t>(nodes_.size()));
        if (fresh) nodes_.emplace_back();
        if (reference) {
            idx[s] = it->second;
        } else {
            idx[s] = static_cast<std::uint32_t>(plastic_.size());
            plastic_.emplace_back();
            plastic_.back().node = it->second;
            // The start counts as a change at t = 0 to the initial delay.
            plastic_.back().changed = 0.0;
            plastic_.back().changed_to = p.delay(s);
            nodes_[it->second].plastic.push_back(idx[s]);
        }
    }
}

void LoserDelayAlign::advance(Trace& tr, Time t) const {
    const double dt = t - tr.t, decay = std::exp(-dt / tau_);
    tr.y = (tr.y + dt * tr.x) * decay;
    tr.x *= decay;
    tr.t = t;
}

// Open plastic arrivals that no reference arrival can match any more (all arrivals
// up to t are taken) are misses.
void LoserDelayAlign::close_misses(Plastic& k, Time t) {
    const auto gone = std::remove_if(k.open.begin(), k.open.end(), [&](Time b) { return b + window_ < t; });
    k.misses += static_cast<std::uint64_t>(k.open.end() - gone);
    k.open.erase(gone, k.open.end());
}

// One arrival at neuron n, in time order: pairs it with the other input's traces.
void LoserDelayAlign::take(Node& n, const Arrival& a) {
    if (a.what == kReference) {
        for (std::uint32_t id : n.plastic) {
            Plastic& k = plastic_[id];
            for (Time b : k.open)  // matching takes every R arrival
                if (a.t - b > window_) ++k.misses;
            k.open.clear();  // the rest are matched by this arrival
            k.last_ref = a.t;
            // Pairs: not if a P arrival at the same time would come from a spike
            // emitted before k's change.
            if (a.t < k.changed + k.changed_to) continue;
            advance(k.trace, a.t);  // earlier P arrivals: e = t_R - t_P >= 0
            k.sw += k.trace.x;
            k.swe += k.trace.y;
            advance(k.ref, a.t);
            k.ref.x += 1.0;
        }
        return;
    }
    Plastic& k = plastic_[a.what];
    // Spikes emitted before the last change carry the old delay: no evidence about the new one.
    if (a.emitted < k.changed || (a.emitted == k.changed && a.delay != k.changed_to)) return;
    advance(k.ref, a.t);  // earlier R arrivals: e = t_R - t_P <= 0
    k.sw += k.ref.x;
    k.swe -= k.ref.y;
    close_misses(k, a.t);
    if (a.t - k.last_ref > window_) k.open.push_back(a.t);
    advance(k.trace, a.t);
    k.trace.x += 1.0;
}

void LoserDelayAlign::catch_up(Node& n, Time t) {
    while (!n.pending.empty() && n.pending.front().t <= t) {
        std::pop_heap(n.pending.begin(), n.pending.end(), later);
        const Arrival a = n.pending.back();
        n.pending.pop_back();
        take(n, a);
    }
}

void LoserDelayAlign::on_pre_spike(SynapseHandle& s, Time t) {
    const std::uint32_t id = index_[s.slot()][s.index()];
    const bool reference = is_reference_[s.slot()];
    Node& n = nodes_[reference ? id : plastic_[id].node];
    catch_up(n, t);  // keeps the queue to the spikes in flight
    const Time d = s.delay();
    n.pending.push_back({t + d, t, d, seq_++, reference ? kReference : id});
    std::push_heap(n.pending.begin(), n.pending.end(), later);
}

void LoserDelayAlign::on_inhibited(SynapseHandle& s, Time t) {
    if (is_reference_[s.slot()]) return;
    Plastic& k = plastic_[index_[s.slot()][s.index()]];
    catch_up(nodes_[k.node], t);
    close_misses(k, t);
    double change = 0.0;
    if (k.misses > 0) {
        change = step_;
    } else if (k.sw > 0.0) {
        change = gain_ * k.swe / k.sw;
        // Keep the evidence: it keeps growing until a change is made, so a pair whose
        // mirror has not arrived yet weighs less and less and cannot start a change.
        if (std::abs(change) < min_change_) return;
    }
    if (change == 0.0) return;
    k.misses = 0;
    k.sw = k.swe = 0.0;
    const Time old = s.delay();
    s.set_delay(old + change);
    if (s.delay() == old) return;  // held at a bound: nothing changed
    k.changed = t;
    k.changed_to = s.delay();
    k.trace = Trace{0, 0, t};
    k.ref = Trace{0, 0, t};
    k.open.clear();
}

}  // namespace delaysim::plasticity
