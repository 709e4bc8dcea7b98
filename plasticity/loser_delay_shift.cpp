#include "plasticity/loser_delay_shift.hpp"

namespace delaysim::plasticity {

RuleInfo LoserDelayShift::info() {
    RuleInfo r;
    r.name = "loser_delay_shift";
    r.doc = "the seed's rule: an inhibited neuron shifts its plastic input delays by step_ms";
    r.params = {
        {"step_ms", "ms", sim::ParamKind::Real, 1.0, -1e6, 1e6, false, false,
         "delay change per inhibition (the seed: +1 ms)"},
    };
    r.make = [](const sim::Params& p) { return std::make_unique<LoserDelayShift>(p); };
    return r;
}

LoserDelayShift::LoserDelayShift(const sim::Params& p) : Rule("loser_delay_shift"), step_(p.get("step_ms")) {}

void LoserDelayShift::on_inhibited(SynapseHandle& s, Time) {
    s.set_delay(s.delay() + step_);
}

}  // namespace delaysim::plasticity
