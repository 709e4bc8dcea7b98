// The in-flight delay semantics, in one place: which delay a spike already on
// its way obeys (Projection's InflightPolicy). Keep: the delay in force at
// emission, nothing to do after the spike is queued. Retime: a delay change
// also moves the synapse's spikes in flight to emission + new delay (at once if
// that is past); for that the emission times of each source node are kept for
// the projection's largest delay bound (the history), each synapse has a
// version that every change bumps, and a queued delivery carries the version it
// was made for (its stamp): stale ones are dropped when they come due.
#pragma once
#include <algorithm>
#include <cstdint>
#include <deque>
#include <vector>

#include "sim/event_queue.hpp"
#include "sim/network.hpp"

namespace delaysim::sim {

class Writer;
class Reader;

class Inflight {
public:
    // UserError if a Retime projection has no finite delay_max_ms (the history's span).
    explicit Inflight(const Network& net);

    // A spike of `node` of `pop` at t (before its deliveries are queued).
    void emitted(std::uint32_t pop, Index node, Time t) {
        if (!history_[pop].empty()) remember(pop, node, t);
    }
    // The stamp of a new delivery through synapse s of projection q (0 under Keep).
    std::uint32_t stamp(std::uint32_t q, Index s) const { return retime_[q] ? version_[q][s] : 0; }
    bool retime(std::uint32_t q) const { return retime_[q] != 0; }
    // A delivery comes due: false if it is stale (the synapse's delay changed
    // after it was queued, and a retimed copy is on its way instead).
    bool admit(const Event& e) {
        if (!retime_[e.group]) return true;
        if (e.stamp != version_[e.group][e.item]) return false;
        last_delivered_[e.group][e.item] = e.emitted;
        return true;
    }
    // Synapse s of projection `proj` (index q) has a new delay d at `now`: under
    // Retime each of its spikes in flight is re-queued through push(emitted,
    // arrival, stamp) at max(emission + d, now).
    template <class Push>
    void delay_changed(const Projection& proj, std::uint32_t q, Index s, Time d, Time now, Push&& push) {
        if (!retime_[q]) return;
        const std::uint32_t stamp = ++version_[q][s];
        for (Time te : history_[proj.source_population()][proj.source(s)]) {
            if (te <= last_delivered_[q][s] || te > now) continue;
            push(te, std::max(te + d, now), stamp);
        }
    }

    // Checkpoints (sim/checkpoint.hpp): the dynamic state, restored into one
    // built from the same config (CheckpointError if the sizes differ).
    void save(Writer& w) const;
    void restore(Reader& r);

private:
    void remember(std::uint32_t pop, Index node, Time t);

    std::vector<std::uint8_t> retime_;                 // per projection
    std::vector<std::vector<std::uint32_t>> version_;  // per Retime projection, per synapse
    std::vector<std::vector<Time>> last_delivered_;    // ... emission time of the last spike delivered
    // Recent emission times per source node (only populations that feed a Retime
    // projection), kept for the projection's largest delay bound.
    std::vector<std::vector<std::deque<Time>>> history_;
    std::vector<Time> history_span_;
};

}  // namespace delaysim::sim
