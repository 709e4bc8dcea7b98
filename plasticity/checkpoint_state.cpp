// save_state/restore_state of the built-in rules (plasticity/rule.hpp,
// "Checkpoints"): the state their hooks change, in one order. What attach()
// derives from the projections (index maps, synapse counts per target) is made
// again when the restored simulation attaches the rule; sizes are checked
// against it (CheckpointError).
#include "plasticity/delay_mean_shift.hpp"
#include "plasticity/delay_shift_centred.hpp"
#include "plasticity/delay_shift_stdp.hpp"
#include "plasticity/loser_delay_align.hpp"
#include "plasticity/stdp_weight.hpp"
#include "sim/serialize.hpp"

namespace delaysim::plasticity {
namespace {

// Per slot, per synapse, plain records: the slot count and each slot's size must be the attached ones.
template <class V>
void restore_slots(sim::Reader& r, V& state, const char* what) {
    r.expect(r.length(sizeof(std::uint64_t)), state.size(), what);
    for (auto& slot : state) r.get(slot, slot.size(), what);
}

}  // namespace

void DelayShiftStdp::save_state(sim::Writer& w) const {
    w.put_nested(last_arrival_);
    w.put_nested(last_post_);
}
void DelayShiftStdp::restore_state(sim::Reader& r) {
    restore_slots(r, last_arrival_, "delay_shift_stdp synapse state");
    restore_slots(r, last_post_, "delay_shift_stdp node state");
}

void StdpWeight::save_state(sim::Writer& w) const {
    w.put_nested(state_);
}
void StdpWeight::restore_state(sim::Reader& r) {
    restore_slots(r, state_, "stdp_weight synapse state");
}

void DelayShiftCentred::save_state(sim::Writer& w) const {
    w.put_nested(state_);
    w.put<std::uint64_t>(targets_.size());
    for (const auto& [pop, targets] : targets_) {
        w.put(pop);
        w.put(targets);
    }
}

void DelayShiftCentred::restore_state(sim::Reader& r) {
    restore_slots(r, state_, "delay_shift_centred synapse state");
    r.expect(r.length(sizeof(std::uint32_t)), targets_.size(), "delay_shift_centred target populations");
    for (auto& [pop, targets] : targets_) {
        r.expect(r.get<std::uint32_t>(), pop, "delay_shift_centred target population");
        r.get(targets, targets.size(), "delay_shift_centred targets");
    }
}

void DelayMeanShift::save_state(sim::Writer& w) const {
    w.put<std::uint64_t>(state_.size());
    for (const auto& slot : state_) {
        w.put<std::uint64_t>(slot.size());
        for (const Synapse& s : slot) {
            w.put(s.arrivals);
            w.put(s.sum_lag);
            w.put(s.sum_g);
            w.put(s.last_pre);
        }
    }
    w.put_nested(ref_);
}

void DelayMeanShift::restore_state(sim::Reader& r) {
    r.expect(r.length(sizeof(std::uint64_t)), state_.size(), "delay_mean_shift slots");
    for (auto& slot : state_) {
        r.expect(r.length(4 * sizeof(double)), slot.size(), "delay_mean_shift synapse state");
        for (Synapse& s : slot) {
            r.get(s.arrivals);
            r.get(s.sum_lag);
            r.get(s.sum_g);
            r.get(s.last_pre);
        }
    }
    const std::size_t n = ref_.size();
    r.get_nested(ref_, n, "delay_mean_shift reference arrivals");
}

void LoserDelayAlign::save_state(sim::Writer& w) const {
    w.put<std::uint64_t>(nodes_.size());
    for (const Node& n : nodes_) w.put(n.pending);
    w.put<std::uint64_t>(plastic_.size());
    for (const Plastic& p : plastic_) {
        w.put(p.trace);
        w.put(p.ref);
        w.put(p.last_ref);
        w.put(p.open);
        w.put(p.changed);
        w.put(p.changed_to);
        w.put(p.misses);
        w.put(p.sw);
        w.put(p.swe);
    }
    w.put(seq_);
}

void LoserDelayAlign::restore_state(sim::Reader& r) {
    r.expect(r.length(sizeof(std::uint64_t)), nodes_.size(), "loser_delay_align nodes");
    for (Node& n : nodes_) {
        r.get(n.pending);
        for (const Arrival& a : n.pending)
            if (a.what != kReference && a.what >= plastic_.size()) r.fail("a loser_delay_align arrival");
    }
    r.expect(r.length(sizeof(std::uint64_t)), plastic_.size(), "loser_delay_align synapses");
    for (Plastic& p : plastic_) {
        r.get(p.trace);
        r.get(p.ref);
        r.get(p.last_ref);
        r.get(p.open);
        r.get(p.changed);
        r.get(p.changed_to);
        r.get(p.misses);
        r.get(p.sw);
        r.get(p.swe);
    }
    r.get(seq_);
}

}  // namespace delaysim::plasticity
