// constant_drift — the worked example of plasticity/README.md ("how to add a rule").
// Every spike the synapse's source emits moves the synapse's delay by a constant:
//
//   on a presynaptic spike at time t:   d <- bound(d + drift_ms)
//
// Parameters: drift_ms (ms, default 0.1 ms; negative shortens).
// Bounds: the projection's (clamp / wrap / error), applied by SynapseHandle::set_delay.
// Hook: kPreSpike, which runs after the spike entered the queue: under inflight =
// "keep" the spike that triggered the change still travels with the old delay;
// under "retime" it (and any other spike of the synapse in flight) is moved to
// emission + new delay. No state. Not a model of anything: a test bed for bounds,
// in-flight policies and the recording of changes.
#pragma once
#include "plasticity/registry.hpp"
#include "plasticity/rule.hpp"

namespace delaysim::plasticity {

class ConstantDrift : public Rule {
public:
    explicit ConstantDrift(const sim::Params& p);
    static RuleInfo info();
    unsigned hooks() const override { return kPreSpike; }
    bool writes_weights() const override { return false; }
    void on_pre_spike(SynapseHandle& s, Time t) override;

    // Checkpoints (plasticity/rule.hpp): no state of its own.
    bool checkpointable() const override { return true; }

private:
    double drift_;
};

}  // namespace delaysim::plasticity
