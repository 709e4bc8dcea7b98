#include "plasticity/constant_drift.hpp"

namespace delaysim::plasticity {

RuleInfo ConstantDrift::info() {
    RuleInfo r;
    r.name = "constant_drift";
    r.doc = "example rule: every presynaptic spike moves the delay by drift_ms";
    r.params = {
        {"drift_ms", "ms", sim::ParamKind::Real, 0.1, -1e6, 1e6, false, false,
         "delay change per presynaptic spike"},
    };
    r.make = [](const sim::Params& p) { return std::make_unique<ConstantDrift>(p); };
    return r;
}

ConstantDrift::ConstantDrift(const sim::Params& p) : Rule("constant_drift"), drift_(p.get("drift_ms")) {}

void ConstantDrift::on_pre_spike(SynapseHandle& s, Time) {
    s.set_delay(s.delay() + drift_);
}

}  // namespace delaysim::plasticity
