// delay_shift_stdp — local delay learning after Natschläger & Ruf (1998) and
// Hüning, Glünder & Palm (1998): a synapse whose spike arrives at the target at
// t_arr, near a postsynaptic spike at t_post, moves its delay so that its arrival
// lands target_lag_ms before the postsynaptic spike:
//
//   lag = t_post - t_arr                   (ms; > 0: the input arrived before the spike)
//   if |lag| <= window_ms:  d <- bound(d + eta * (lag - target_lag_ms))
//
// Sign convention: an input that arrives too EARLY (lag > target_lag) gets a LONGER
// delay, one that arrives too late (lag < target_lag) a SHORTER one. With the post
// spike time fixed, the arrival error shrinks by the factor (1 - eta) per pairing,
// so 0 < eta < 2 converges and eta = 1 aligns in one step.
//
// Pairing (nearest neighbour, each (arrival, post spike) pair counted once, at the
// later of its two events):
//  - on a post spike at t_post: the synapse's last arrival, if 0 <= lag <= window_ms;
//  - on an arrival at t_arr: the target's last post spike, if -window_ms <= lag < 0
//    and late_pairs = 1; and if lag == 0 (the target fired in this instant before
//    the arrival was applied, so the post-spike hook could not see it).
// Late pairs let inputs that arrive after the spike shorten their delay; the
// references present whole patterns and so see both sides.
//
// Parameters: eta (1, default 0.5), target_lag_ms (ms, default 0), window_ms (ms,
// default 10), late_pairs (0/1, default 1). Bounds: the projection's, applied by
// SynapseHandle::set_delay. Hooks: kDelivered, kPostSpikeNode (one call per post
// spike, not one per incoming synapse).
//
// State: per synapse its last arrival time (8 B), per target node its last
// post-spike time (GeNN's postsynaptic variables, NEST's archiving node; kept
// once per node instead of a copy per synapse). A post spike is one node-level
// call (kPostSpikeNode) that reads the last arrivals of the node's incoming
// synapses (in ascending id, the per-synapse walk's order: the same changes and
// /plasticity events) and writes nothing but the pairs' delays; the rule's state
// is half the size of a per-synapse copy of both times.
//
// References: T. Natschläger, B. Ruf (1998) Spatial and temporal pattern analysis
// via spiking neurons, Network 9:319-332. H. Hüning, H. Glünder, G. Palm (1998)
// Synaptic delay learning in pulse-coupled neurons, Neural Comput. 10:555-565.
#pragma once
#include <cstdint>
#include <vector>

#include "plasticity/registry.hpp"
#include "plasticity/rule.hpp"
#include "sim/huge_alloc.hpp"

namespace delaysim::plasticity {

class DelayShiftStdp : public Rule {
public:
    explicit DelayShiftStdp(const sim::Params& p);
    static RuleInfo info();
    unsigned hooks() const override { return kDelivered | kPostSpikeNode; }
    bool writes_weights() const override { return false; }
    void attach(std::size_t slot, const sim::Projection& p) override;
    void on_delivered(SynapseHandle& s, Time t) override;
    void on_post_spike_node(NodeHandle& n, Time t) override;
    std::optional<ArrivalLog> arrival_log(std::size_t slot) override {
        return ArrivalLog{last_arrival_[slot].data(), last_post_[slot].data(), window_, late_pairs_};
    }
    void prefetch(std::size_t slot, Index s) const override {
        __builtin_prefetch(&last_arrival_[slot][s], 1);
    }

    // Checkpoints (plasticity/rule.hpp).
    bool checkpointable() const override { return true; }
    void save_state(sim::Writer& w) const override;
    void restore_state(sim::Reader& r) override;

private:
    void shift(SynapseHandle& s, Time lag);
    double eta_, target_lag_, window_;
    bool late_pairs_;
    std::vector<sim::HugeVector<Time>> last_arrival_;  // per slot, per synapse
    std::vector<std::vector<Time>> last_post_;         // per slot, per target node
};

}  // namespace delaysim::plasticity
