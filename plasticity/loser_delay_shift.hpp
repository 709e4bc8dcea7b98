// loser_delay_shift — the seed's delay rule (seed notebook, "biologically plausible
// concept for learning delays"; DESIGN.md). Two rivals get the same inputs through
// different delays; the first to fire inhibits the other. The inhibited neuron (the
// "loser") shifts the delays of its plastic input synapses:
//
//   when neuron j receives a spike on an Inhibit port at time t:
//     d_ij <- bound(d_ij + step)     for every synapse i->j of the attached projection(s)
//
// Parameters: step_ms (ms, default +1 ms, the seed's `d_2 += 1*ms`).
// Units: delays and step in ms. Bounds: the projection's own (clamp, wrap into
// [min, max), or error), applied by SynapseHandle::set_delay — never here. The
// seed's notebook clamps to [-max, max]; delays are >= 0 here, so clamp [min, max].
// The change takes effect at t for spikes emitted from t on (inflight = "keep"),
// or also for the synapse's spikes in flight (inflight = "retime").
// Hook: kInhibited. No state.
// Reference: the seed notebook (shared/seed), Brian2 model `DelayLearning`, synapses s_ab/s_ba.
#pragma once
#include "plasticity/registry.hpp"
#include "plasticity/rule.hpp"

namespace delaysim::plasticity {

class LoserDelayShift : public Rule {
public:
    explicit LoserDelayShift(const sim::Params& p);
    static RuleInfo info();
    unsigned hooks() const override { return kInhibited; }
    bool writes_weights() const override { return false; }
    void on_inhibited(SynapseHandle& s, Time t) override;

    // Checkpoints (plasticity/rule.hpp): no state of its own.
    bool checkpointable() const override { return true; }

private:
    double step_;
};

}  // namespace delaysim::plasticity
